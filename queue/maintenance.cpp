#include "queue/maintenance.h"

#include "queue/queries.h"

namespace daap::queue {

RescueResult rescue_expired_leases(pqxx::transaction_base& tx, int limit) {
  RescueResult out;
  for (const auto& row : tx.exec(sql::rescue_expired_leases, pqxx::params{limit})) {
    const auto state = row[0].view();
    if (state == "available") {
      ++out.made_available;
    } else if (state == "failed") {
      ++out.failed;
    } else {
      ++out.cancelled;
    }
  }
  return out;
}

int prune_finished_jobs(pqxx::transaction_base& tx, std::chrono::milliseconds succeeded_retention,
                        std::chrono::milliseconds failed_retention, int limit) {
  return static_cast<int>(
      tx.exec(sql::prune_finished_jobs,
              pqxx::params{succeeded_retention.count(), failed_retention.count(), limit})
          .affected_rows());
}

int prune_stale_workers(pqxx::transaction_base& tx, std::chrono::milliseconds stale_after) {
  return static_cast<int>(
      tx.exec(sql::prune_stale_workers, pqxx::params{stale_after.count()}).affected_rows());
}

}  // namespace daap::queue
