#include "queue/plans.h"

#include "queue/queries.h"

namespace daap::queue {

void prefer_index_plans(pqxx::transaction_base& tx) { tx.exec(sql::prefer_index_plans); }

}  // namespace daap::queue
