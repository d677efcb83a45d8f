// Maintenance passes, run by the maintenance leader only (queue/leadership.h); each runOnce-style function does one
// bounded pass in the caller's transaction and is tested directly.
#pragma once

#include <chrono>
#include <string>

#include <pqxx/pqxx>

namespace daap::queue {

// Defaults (documented in the README).
inline constexpr auto kSucceededRetentionDefault = std::chrono::hours(24);
inline constexpr auto kFailedRetentionDefault = std::chrono::hours(24 * 7);
inline constexpr auto kStaleWorkerAfterDefault = std::chrono::minutes(5);
inline constexpr int kMaintenanceBatch = 1000;

struct RescueResult {
  int made_available = 0;
  int failed = 0;
  int cancelled = 0;
};
// Running jobs whose lease expired: back to available (attempt already spent), failed when
// attempts are exhausted, cancelled when cancellation had been requested. Up to `limit`.
RescueResult rescue_expired_leases(pqxx::transaction_base& tx, int limit = kMaintenanceBatch);

// Deletes finished jobs older than their retention. Returns how many.
int prune_finished_jobs(pqxx::transaction_base& tx, std::chrono::milliseconds succeeded_retention,
                        std::chrono::milliseconds failed_retention,
                        int limit = kMaintenanceBatch);

// Deletes workers rows whose heartbeat is older than `stale_after`. Returns how many.
int prune_stale_workers(pqxx::transaction_base& tx, std::chrono::milliseconds stale_after);

}  // namespace daap::queue
