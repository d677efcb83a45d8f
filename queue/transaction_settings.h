// Settings that hold for the rest of one transaction (SET LOCAL), so that they work the same
// behind PgBouncer in transaction pooling, where session settings leak to other clients.
#pragma once

#include <chrono>

#include <pqxx/pqxx>

namespace daap::queue {

// Plans that do not depend on table statistics. A queue table is filled faster than autovacuum
// analyses it, and emptied and refilled: estimates are routinely wrong by orders of magnitude.
// For the rest of `tx`, only index scans look cheap (sql/prefer_index_plans.sql): statements walk
// their indexes in order and stop at their limit, or find their rows by primary key.
void prefer_index_plans(pqxx::transaction_base& tx);

// If the client goes quiet inside `tx` for longer than `limit` (a paused or partitioned
// process), the server ends the session, and the row locks the transaction holds with it: a
// stalled worker cannot keep other workers from rescuing or taking its rows.
void limit_idle_time(pqxx::transaction_base& tx, std::chrono::milliseconds limit);

}  // namespace daap::queue
