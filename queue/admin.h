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

struct JobFilter {
  std::optional<JobState> state;
  std::optional<std::string> kind;
  std::optional<std::string> queue;
  int limit = 50;  // 1..1000
};
// Newest first.
std::vector<JobRow> list_jobs(pqxx::transaction_base& tx, const JobFilter& filter);

// An available job is cancelled at once; a running one gets cancel_requested_at and its
// worker ends it cancelled. Returns the resulting state. Finished jobs: WrongJobState.
JobState cancel_job(pqxx::transaction_base& tx, JobId id);

// A failed or cancelled job goes back to available now, with a fresh attempt budget
// (attempt reset to 0; its error history is kept). Others: WrongJobState.
void retry_job(pqxx::transaction_base& tx, JobId id);

// One row of daap.job_stats.
struct JobStatsRow {
  std::string queue, kind, state;
  std::int64_t count = 0;
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
