#include "queue/executor_sql.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <tuple>
#include <unordered_set>

#include "queue/errors.h"
#include "queue/transaction_settings.h"
#include "queue/queries.h"

namespace daap::queue {
namespace {

std::string lease_text(const JobLease& lease) {
  return "job " + std::to_string(lease.id) + " (worker " + lease.worker_id + ", attempt " +
         std::to_string(lease.attempt) + ")";
}

// The leases as the three parallel arrays the statements unnest.
struct LeaseArrays {
  std::vector<JobId> ids;
  std::vector<std::string> workers;
  std::vector<int> attempts;
};
// Positions of `leases` by ascending job id. Every statement that touches several held jobs
// visits them in this order (a nested loop over the arrays, by primary key), so that two of
// them at once (a heartbeat and a grouped completion) take their row locks in the same order
// and cannot deadlock.
std::vector<std::size_t> by_id(const std::vector<JobLease>& leases) {
  std::vector<std::size_t> order(leases.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return leases[a].id < leases[b].id; });
  return order;
}

LeaseArrays to_arrays(const std::vector<JobLease>& leases,
                      const std::vector<std::size_t>& order) {
  LeaseArrays a;
  for (const auto i : order) {
    a.ids.push_back(leases[i].id);
    a.workers.push_back(leases[i].worker_id);
    a.attempts.push_back(leases[i].attempt);
  }
  return a;
}

// One claimed row. Its lease (id, attempt) always reads; anything else that does not (a payload
// number beyond a double, a value a handler could never use) marks the job unreadable, so that
// it fails alone instead of failing the claim of every worker.
Job read_claimed(const pqxx::row& row, const std::string& worker_id) {
  Job job;
  job.id = row["id"].as<JobId>();
  job.attempt = row["attempt"].as<int>();
  job.worker_id = worker_id;
  try {
    job.kind = row["kind"].as<std::string>();
    job.queue = row["queue"].as<std::string>();
    job.priority = row["priority"].as<int>();
    job.max_attempts = row["max_attempts"].as<int>();
    job.run_at = row["run_at"].as<std::string>();
    job.database_id = row["database_id"].get<std::string>();
    job.unique_key = row["unique_key"].get<std::string>();
    if (const auto ms = row["timeout_ms"].get<std::int64_t>()) {
      job.timeout = std::chrono::milliseconds(*ms);
    }
    job.payload = nlohmann::json::parse(row["payload"].view());
  } catch (const std::exception& e) {
    job.unreadable = std::string("the job's row cannot be read: ") + e.what();
  }
  return job;
}

// JSON text a jsonb column takes: a string that is not valid UTF-8 (a handler's result built from
// raw bytes) has its bad bytes replaced instead of failing the completion.
std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::string> result_text(const nlohmann::json& result) {
  if (result.is_null()) return std::nullopt;
  return json_text(result);
}

}  // namespace

std::vector<Job> claim(pqxx::connection& conn, const ClaimRequest& request) {
  if (request.limit <= 0 || request.queues.empty()) return {};
  std::vector<std::optional<int>> after_priority;
  std::vector<std::optional<std::string>> after_run_at;
  std::vector<std::optional<JobId>> after_id;
  for (std::size_t i = 0; i < request.queues.size(); ++i) {
    const auto* at = i < request.after.size() && request.after[i] ? &*request.after[i] : nullptr;
    after_priority.push_back(at ? std::optional<int>(at->priority) : std::nullopt);
    after_run_at.push_back(at ? std::optional<std::string>(at->run_at) : std::nullopt);
    after_id.push_back(at ? std::optional<JobId>(at->id) : std::nullopt);
  }
  std::vector<Job> jobs;
  pqxx::work tx(conn, "claim");
  // A claim need not wait for its WAL flush: if the server crashes before it is durable, the
  // jobs are simply available again with the attempt unspent. Any later synchronous commit
  // (a completion) flushes the WAL up to it first, so no job finishes on a lost claim. A claimer
  // paused inside this transaction must not keep the rows locked past the lease.
  tx.exec(
      "SELECT set_config('synchronous_commit', 'off', true), "
      "set_config('idle_in_transaction_session_timeout', $1, true)",
      pqxx::params{std::to_string(std::max<long long>(request.lease.count(), 1))});
  const auto rows =
      tx.exec(sql::claim_jobs,
              pqxx::params{request.worker_id, request.queues, request.limit,
                           request.lease.count(), after_priority, after_run_at, after_id});
  tx.commit();
  jobs.reserve(rows.size());
  for (const auto& row : rows) jobs.push_back(read_claimed(row, request.worker_id));
  return jobs;
}

std::vector<Job> claim(pqxx::connection& conn, const std::string& worker_id,
                       const std::vector<std::string>& queues, int limit,
                       std::chrono::milliseconds lease) {
  return claim(conn, ClaimRequest{worker_id, queues, limit, lease, {}});
}

void complete(pqxx::transaction_base& tx, const JobLease& lease, const nlohmann::json& result) {
  auto r = tx.exec(sql::complete_job,
                   pqxx::params{lease.id, lease.worker_id, lease.attempt, result_text(result)});
  if (r.empty()) {
    throw FenceLost(lease_text(lease) + " is no longer held: not completed");
  }
}

std::vector<JobId> complete_many(pqxx::transaction_base& tx, const std::vector<JobLease>& leases,
                                 const std::vector<nlohmann::json>& results) {
  if (leases.size() != results.size()) {
    throw std::invalid_argument("complete_many: " + std::to_string(leases.size()) + " leases but " +
                                std::to_string(results.size()) + " results");
  }
  if (leases.empty()) return {};
  prefer_index_plans(tx);
  const auto order = by_id(leases);
  auto a = to_arrays(leases, order);
  nlohmann::json all = nlohmann::json::array();
  for (const auto i : order) all.push_back(results[i]);
  std::vector<JobId> ids;
  for (const auto& row :
       tx.exec(sql::complete_jobs, pqxx::params{a.ids, a.workers, a.attempts, json_text(all)})) {
    ids.push_back(row[0].as<JobId>());
  }
  return ids;
}

FailOutcome fail(pqxx::transaction_base& tx, const JobLease& lease, const std::string& error,
                 bool permanent, std::chrono::milliseconds retry_delay) {
  auto r = tx.exec(sql::fail_job, pqxx::params{lease.id, lease.worker_id, lease.attempt, error,
                                               permanent, retry_delay.count()});
  if (r.empty()) return FailOutcome::fence_lost;
  switch (parse_job_state(r.one_field().view())) {
    case JobState::available:
      return FailOutcome::retried;
    case JobState::cancelled:
      return FailOutcome::cancelled;
    default:
      return FailOutcome::failed;
  }
}

bool cancel_running(pqxx::transaction_base& tx, const JobLease& lease, const std::string& why) {
  return !tx.exec(sql::cancel_running_job,
                  pqxx::params{lease.id, lease.worker_id, lease.attempt, why})
              .empty();
}

bool snooze(pqxx::transaction_base& tx, const JobLease& lease, std::chrono::milliseconds delay) {
  return !tx.exec(sql::snooze_job,
                  pqxx::params{lease.id, lease.worker_id, lease.attempt, delay.count()})
              .empty();
}

int release(pqxx::transaction_base& tx, const std::vector<JobLease>& leases) {
  if (leases.empty()) return 0;
  prefer_index_plans(tx);
  auto a = to_arrays(leases, by_id(leases));
  return static_cast<int>(
      tx.exec(sql::release_jobs, pqxx::params{a.ids, a.workers, a.attempts}).size());
}

HeartbeatResult heartbeat(pqxx::transaction_base& tx, const std::vector<JobLease>& leases,
                          std::chrono::milliseconds lease) {
  HeartbeatResult out;
  if (leases.empty()) return out;
  prefer_index_plans(tx);
  auto a = to_arrays(leases, by_id(leases));
  std::unordered_set<JobId> held;
  for (const auto& row :
       tx.exec(sql::heartbeat_jobs, pqxx::params{a.ids, a.workers, a.attempts, lease.count()})) {
    const auto id = row["id"].as<JobId>();
    held.insert(id);
    if (row["cancel_requested"].as<bool>()) out.cancel_requested.push_back(id);
  }
  for (const auto& l : leases) {
    if (!held.contains(l.id)) out.lost.push_back(l.id);
  }
  std::sort(out.cancel_requested.begin(), out.cancel_requested.end());
  return out;
}

std::chrono::milliseconds retry_delay(int attempt, std::chrono::milliseconds base,
                                      std::chrono::milliseconds cap) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const int exponent = std::clamp(attempt, 1, 64) - 1;
  // In doubles: base * 2^62 overflows any integer duration long before the cap applies.
  const double full = std::min(static_cast<double>(cap.count()),
                               static_cast<double>(base.count()) * std::ldexp(1.0, exponent));
  const double factor = std::uniform_real_distribution<double>(0.5, 1.0)(rng);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(full * factor)));
}

}  // namespace daap::queue
