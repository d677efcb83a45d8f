// Admin operations on jobs and workers (daapctl jobs/stats/workers).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "queue/job.h"

namespace daap::queue {

// The job does not exist (names the id).
class JobNotFound : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The job is in a state the operation does not apply to (names the state).
class WrongJobState : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::optional<JobRow> get_job(pqxx::transaction_base& tx, JobId id);
// A row of get_job's, list_jobs' or select_jobs' columns. Unreadable JSON is kept as its text.
JobRow read_job_row(const pqxx::row& row);

// The newest `limit` jobs concerning a databases record (of `kinds`, or any), newest first.
std::vector<JobRow> jobs_of_database(pqxx::transaction_base& tx, const std::string& database_id,
                                     int limit,
                                     const std::optional<std::vector<std::string>>& kinds = {});

struct JobFilter {
  std::optional<JobState> state;
  std::optional<std::string> kind;
  std::optional<std::string> queue;
  std::optional<std::string> database_id;     // a databases record's id
  std::optional<std::string> since, until;    // as in JobSelection (queue/bulk.h)
  std::optional<std::string> error_contains;  // in last_error, case-insensitive, literal
  int limit = 50;               // 1..1000
  std::optional<JobId> before;  // only older jobs (the previous page's last id)
};
// Newest first; with a state, read through the (state, id) index (migration 023). Sets
// prefer_index_plans (queue/transaction_settings.h) for the rest of `tx`.
std::vector<JobRow> list_jobs(pqxx::transaction_base& tx, const JobFilter& filter);

// One job through daap.cancel_jobs (queue/bulk.h): an available job is cancelled at once; a
// running one gets cancel_requested_at and its worker ends it cancelled. Returns the resulting
// state. Finished jobs: WrongJobState.
JobState cancel_job(pqxx::transaction_base& tx, JobId id);

// One job through daap.retry_jobs: a failed or cancelled job goes back to available now, with a
// fresh attempt budget (attempt reset to 0; its error history is kept). Others, or its
// unique_key held by an unfinished job: WrongJobState.
void retry_job(pqxx::transaction_base& tx, JobId id);

// One row of daap.job_stats.
struct JobStatsRow {
  std::string queue, kind, state;
  std::int64_t count = 0;
  std::int64_t due = 0;        // available and run_at <= now()
  std::int64_t scheduled = 0;  // available and run_at > now()
  std::optional<double> oldest_available_age_seconds;
};
std::vector<JobStatsRow> job_stats(pqxx::transaction_base& tx);

// One row of daap.workers.
struct WorkerRow {
  std::string id, hostname, version, started_at, heartbeat_at;
  std::vector<std::string> queues;
  int pid = 0;
  int concurrency = 0;
};
std::vector<WorkerRow> list_workers(pqxx::transaction_base& tx);

}  // namespace daap::queue
