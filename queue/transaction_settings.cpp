#include "queue/transaction_settings.h"

#include <string>

#include "queue/queries.h"

namespace daap::queue {

void prefer_index_plans(pqxx::transaction_base& tx) { tx.exec(sql::prefer_index_plans); }

void limit_idle_time(pqxx::transaction_base& tx, std::chrono::milliseconds limit) {
  tx.exec("SELECT set_config('idle_in_transaction_session_timeout', $1, true)",
          pqxx::params{std::to_string(std::max<long long>(limit.count(), 1))});
}

}  // namespace daap::queue
