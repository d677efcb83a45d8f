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

LeaderElector::LeaderElector(pqxx::connection& conn) : conn_(conn) {}

bool LeaderElector::try_lead() {
  try {
    pqxx::nontransaction tx(conn_, "leader election");
    // A leader re-checks that its session still holds the lock rather than taking it again
    // (advisory locks stack, and one unlock must release it).
    const auto query = leader_ ? sql::holds_advisory_lock : sql::try_advisory_lock;
    leader_ = tx.exec(query, pqxx::params{kLockKey}).one_field().as<bool>();
  } catch (const pqxx::failure&) {
    // A broken connection has lost the lock with its session: the caller reconnects.
    leader_ = false;
  }
  return leader_;
}

void LeaderElector::resign() {
  if (!leader_) return;
  leader_ = false;
  try {
    pqxx::nontransaction tx(conn_, "leader resign");
    tx.exec(sql::advisory_unlock, pqxx::params{kLockKey});
  } catch (const pqxx::failure&) {
    // The session is gone, and its lock with it.
  }
}

}  // namespace daap::queue
