// Plans that do not depend on table statistics. A queue table is filled faster than autovacuum
// analyses it, and emptied and refilled: estimates are routinely wrong by orders of magnitude.
#pragma once

#include <pqxx/pqxx>

namespace daap::queue {

// For the rest of `tx`, only index scans look cheap (sql/prefer_index_plans.sql): statements
// walk their indexes in order and stop at their limit, or find their rows by primary key.
void prefer_index_plans(pqxx::transaction_base& tx);

}  // namespace daap::queue
