// The statements a worker runs on the jobs it holds: claim, complete, fail, snooze, release,
// heartbeat. Every write after the claim is fenced on the JobLease.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "queue/job.h"

namespace daap::queue {

// What a worker asks of one claim.
struct ClaimRequest {
  std::string worker_id;
  std::vector<std::string> queues;  // claimed from in this order
  int limit = 0;
  std::chrono::milliseconds lease{0};
  // Per queue (same order, may be shorter): where this worker's previous claim there stopped.
  std::vector<std::optional<ClaimPosition>> after;
};

// Claims up to `limit` available jobs whose run_at has come (daap.claim_jobs: from each queue in
// turn, by priority, run_at, id, skipping rows other workers have locked, starting after the
// given positions). Sets them running, spends an attempt, records the worker and the lease.
// Commits on its own, without waiting for the WAL flush; its transaction ends server-side if the
// claimer goes quiet inside it for longer than the lease. A row that cannot be read comes back
// with Job::unreadable set instead of failing the claim.
std::vector<Job> claim(pqxx::connection& conn, const ClaimRequest& request);
// The same without positions.
std::vector<Job> claim(pqxx::connection& conn, const std::string& worker_id,
                       const std::vector<std::string>& queues, int limit,
                       std::chrono::milliseconds lease);

// Marks the job succeeded with `result`, in the caller's transaction (with the handler's own
// writes). Throws FenceLost if the lease is no longer held.
void complete(pqxx::transaction_base& tx, const JobLease& lease, const nlohmann::json& result);

// Completes many jobs in one statement (grouped commit for handlers that did not write);
// returns the ids whose fence held. Like heartbeat() and release(), it prefers index plans for
// the rest of `tx` (queue/plans.h), so that it finds its rows by primary key on any table.
std::vector<JobId> complete_many(pqxx::transaction_base& tx, const std::vector<JobLease>& leases,
                                 const std::vector<nlohmann::json>& results);

// What fail() did with the job.
enum class FailOutcome { retried, failed, cancelled, fence_lost };

// Records the error in the job's history. permanent, or attempts exhausted: failed.
// Otherwise available again at now + retry_delay. If cancellation was requested: cancelled.
FailOutcome fail(pqxx::transaction_base& tx, const JobLease& lease, const std::string& error,
                 bool permanent, std::chrono::milliseconds retry_delay);

// Ends the job cancelled (the handler saw its cancellation request). False if fence lost.
bool cancel_running(pqxx::transaction_base& tx, const JobLease& lease, const std::string& why);

// Back to available at now + delay without spending the attempt. False if fence lost.
bool snooze(pqxx::transaction_base& tx, const JobLease& lease, std::chrono::milliseconds delay);

// Shutdown: back to available now, attempt not spent. Returns how many were released.
int release(pqxx::transaction_base& tx, const std::vector<JobLease>& leases);

// What a heartbeat learned about the jobs it extended.
struct HeartbeatResult {
  std::vector<JobId> lost;              // no longer held by this lease: stop caring
  std::vector<JobId> cancel_requested;  // held, and someone asked to cancel
};

// Extends the leases of held jobs to now + lease.
HeartbeatResult heartbeat(pqxx::transaction_base& tx, const std::vector<JobLease>& leases,
                          std::chrono::milliseconds lease);

// Exponential backoff with jitter: min(cap, base * 2^(attempt-1)) scaled by a random factor in
// [0.5, 1.0]. Documented in the README.
std::chrono::milliseconds retry_delay(int attempt,
                                      std::chrono::milliseconds base = std::chrono::seconds(1),
                                      std::chrono::milliseconds cap = std::chrono::hours(1));

}  // namespace daap::queue
