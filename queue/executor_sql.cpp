#include "queue/executor_sql.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <tuple>
#include <unordered_set>

#include "queue/errors.h"
#include "queue/queries.h"

namespace daap::queue {
namespace {

Clock::time_point from_epoch_us(std::int64_t us) {
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::microseconds(us)));
}

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
LeaseArrays to_arrays(const std::vector<JobLease>& leases) {
  LeaseArrays a;
  for (const auto& l : leases) {
    a.ids.push_back(l.id);
    a.workers.push_back(l.worker_id);
    a.attempts.push_back(l.attempt);
  }
  return a;
}

std::optional<std::string> result_text(const nlohmann::json& result) {
  if (result.is_null()) return std::nullopt;
  return result.dump();
}

}  // namespace

std::vector<Job> claim(pqxx::connection& conn, const std::string& worker_id,
                       const std::vector<std::string>& queues, int limit,
                       std::chrono::milliseconds lease) {
  if (limit <= 0 || queues.empty()) return {};
  std::vector<Job> jobs;
  pqxx::work tx(conn, "claim");
  // A claim need not wait for its WAL flush: if the server crashes before it is durable, the
  // jobs are simply available again with the attempt unspent. Any later synchronous commit
  // (a completion) flushes the WAL up to it first, so no job finishes on a lost claim.
  tx.exec("SET LOCAL synchronous_commit = off");
  for (const auto& row :
       tx.exec(sql::claim_jobs, pqxx::params{worker_id, queues, limit, lease.count()})) {
    Job job;
    job.id = row["id"].as<JobId>();
    job.kind = row["kind"].as<std::string>();
    job.queue = row["queue"].as<std::string>();
    job.payload = nlohmann::json::parse(row["payload"].view());
    job.priority = row["priority"].as<int>();
    job.attempt = row["attempt"].as<int>();
    job.max_attempts = row["max_attempts"].as<int>();
    job.run_at = from_epoch_us(row["run_at_us"].as<std::int64_t>());
    job.created_at = from_epoch_us(row["created_at_us"].as<std::int64_t>());
    job.database_id = row["database_id"].get<std::string>();
    job.unique_key = row["unique_key"].get<std::string>();
    job.worker_id = worker_id;
    jobs.push_back(std::move(job));
  }
  tx.commit();
  // UPDATE ... RETURNING does not keep the subselect's order.
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
    return std::tie(a.priority, a.run_at, a.id) < std::tie(b.priority, b.run_at, b.id);
  });
  return jobs;
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
  auto a = to_arrays(leases);
  nlohmann::json all = results;
  std::vector<JobId> ids;
  for (const auto& row :
       tx.exec(sql::complete_jobs, pqxx::params{a.ids, a.workers, a.attempts, all.dump()})) {
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
  auto a = to_arrays(leases);
  return static_cast<int>(
      tx.exec(sql::release_jobs, pqxx::params{a.ids, a.workers, a.attempts}).size());
}

HeartbeatResult heartbeat(pqxx::transaction_base& tx, const std::vector<JobLease>& leases,
                          std::chrono::milliseconds lease) {
  HeartbeatResult out;
  if (leases.empty()) return out;
  auto a = to_arrays(leases);
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
