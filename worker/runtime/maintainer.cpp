#include "worker/runtime/maintainer.h"

#include <algorithm>

#include "queue/leadership.h"
#include "queue/maintenance.h"
#include "queue/transaction_settings.h"
#include "worker/backoff.h"
#include "worker/logging.h"
#include "worker/periodic_scheduler.h"
#include "worker/runtime/retry.h"

namespace daap::worker::runtime {

using spdlog::level::level_enum;
using std::chrono::milliseconds;

Maintainer::Maintainer(MaintainerConfig config, ConnectionPool& pool, Metrics* metrics)
    : config_(std::move(config)), pool_(pool), metrics_(metrics) {}

void Maintainer::set_leading(bool leading) {
  leading_ = leading;
  if (metrics_) metrics_->set_maintenance_leader(leading);
}

void Maintainer::start() {
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void Maintainer::stop() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
  resign();
}

bool Maintainer::pass() {
  const auto ttl = config_.leadership_lease;
  const char* name = queue::kMaintenanceLeadership;
  auto conn = pool_.acquire();
  if (!term_) {
    term_ = queue::acquire_leadership(*conn, name, config_.worker_id, ttl);
    if (!term_) return false;
    set_leading(true);
    log(level_enum::info, "became maintenance leader", {{"term", *term_}});
  }
  pqxx::work tx(*conn, "maintenance");
  // A leader paused in the middle of a pass must not hold its locks (or the lease row) past the
  // lease: the server ends the transaction.
  queue::limit_idle_time(tx, ttl);
  queue::prefer_index_plans(tx);
  // One bounded batch of each per pass: a backlog is worked off over the next passes.
  const auto rescued = queue::rescue_expired_leases(tx);
  const int pruned =
      queue::prune_finished_jobs(tx, config_.succeeded_retention, config_.failed_retention);
  const int workers = queue::prune_stale_workers(tx, config_.stale_worker_after);
  // Last, in a savepoint: whatever goes wrong with the periodic jobs (a row written by hand, a
  // lock timeout) is undone alone, and rescue and pruning still commit.
  queue::PeriodicPass periodic;
  try {
    pqxx::subtransaction sub(tx, "periodic jobs");
    periodic = schedule_periodic_jobs(sub);
    sub.commit();
  } catch (const pqxx::broken_connection&) {
    throw;
  } catch (const std::exception& e) {
    periodic = {};
    log(level_enum::warn, "periodic jobs not scheduled in this pass; rescue and pruning go on",
        {{"error", error_text(e)}});
  }
  if (!queue::renew_leadership(tx, name, config_.worker_id, *term_, ttl)) {
    tx.abort();
    log(level_enum::warn, "no longer maintenance leader: the lease lapsed; this pass is undone",
        {{"term", *term_}});
    term_.reset();
    set_leading(false);
    return false;
  }
  tx.commit();
  if (metrics_) {
    metrics_->maintained(rescued.made_available, rescued.failed, rescued.cancelled, pruned,
                         workers);
  }
  if (rescued.made_available + rescued.failed + rescued.cancelled > 0) {
    log(level_enum::info, "rescued jobs with expired leases",
        {{"made_available", rescued.made_available},
         {"failed", rescued.failed},
         {"cancelled", rescued.cancelled}});
  }
  if (pruned + workers > 0) {
    log(level_enum::info, "pruned", {{"finished_jobs", pruned}, {"stale_workers", workers}});
  }
  log_periodic_pass(periodic);
  return true;
}

void Maintainer::run(std::stop_token stop) {
  const auto interval = std::max(milliseconds(100), config_.leadership_lease / 3);
  Backoff backoff;
  // Not at the very start: the first claims and completions need the pool's connections more.
  auto next = std::min(interval, milliseconds(500));
  while (sleep_for(stop, next)) {
    try {
      pass();
      backoff.reset();
      next = interval;
    } catch (const std::exception& e) {
      next = std::min(backoff.next(), interval);
      log_retry("maintenance", e, next);
    }
  }
}

void Maintainer::resign() {
  if (!term_) return;
  try {
    auto conn = pool_.acquire();
    pqxx::work tx(*conn, "resign leadership");
    queue::resign_leadership(tx, queue::kMaintenanceLeadership, config_.worker_id, *term_);
    tx.commit();
    log(level_enum::info, "gave up maintenance leadership", {{"term", *term_}});
  } catch (const std::exception& e) {
    log(level_enum::warn, "cannot give up maintenance leadership; it lapses on its own",
        {{"error", error_text(e)}});
  }
  term_.reset();
  set_leading(false);
}

}  // namespace daap::worker::runtime
