// What a job is: its states, a claimed job as a handler sees it, and how to enqueue one.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace daap::queue {

using JobId = std::int64_t;
using Clock = std::chrono::system_clock;

enum class JobState { available, running, succeeded, failed, cancelled };
std::string_view to_string(JobState state);
// Throws std::invalid_argument naming the text and the accepted states.
JobState parse_job_state(std::string_view text);

// Identifies one execution of a job: completion is fenced on all three, so a rescued job's
// late completion (same worker or not) cannot apply.
struct JobLease {
  JobId id = 0;
  std::string worker_id;
  int attempt = 0;
};

// Where a claim in one queue stopped: (priority, run_at, id) of the last job it took. The next
// claim in that queue may start its index scan there.
struct ClaimPosition {
  int priority = 0;
  std::string run_at;  // as PostgreSQL printed it: passed back unchanged
  JobId id = 0;
};

// A job claimed by a worker, as its handler receives it.
struct Job {
  JobId id = 0;
  std::string kind;
  std::string queue;
  nlohmann::json payload;
  int priority = 0;
  int attempt = 0;  // 1 on the first run
  int max_attempts = 0;
  std::string run_at;  // as PostgreSQL printed it
  std::optional<std::string> database_id;
  std::optional<std::string> unique_key;
  // The job's own time limit (daap.jobs.timeout); none: the kind's default.
  std::optional<std::chrono::milliseconds> timeout;
  std::string worker_id;  // who holds it now
  // Set when the row could not be read (a payload number beyond a double, say): the job must
  // fail with this message instead of running. The other fields but the lease may be empty.
  std::optional<std::string> unreadable;
  JobLease lease() const { return {id, worker_id, attempt}; }
  ClaimPosition position() const { return {priority, run_at, id}; }
};

// A request to enqueue; defaults match daap.enqueue()'s.
struct NewJob {
  std::string kind;
  nlohmann::json payload = nlohmann::json::object();
  std::string queue = "default";
  int priority = 0;
  std::optional<Clock::time_point> run_at;  // now when empty
  int max_attempts = 25;
  std::optional<std::string> unique_key;
  std::optional<std::string> database_id;
  std::optional<std::chrono::milliseconds> timeout;  // the kind's default when empty; 1s..30d
};

// A whole job row, for admins (daapctl jobs show/list).
struct JobRow {
  JobId id = 0;
  std::string kind;
  std::string queue;
  nlohmann::json payload;
  JobState state = JobState::available;
  int priority = 0;
  int attempt = 0;
  int max_attempts = 0;
  std::string run_at, created_at;  // RFC 3339 text as PostgreSQL prints it
  std::optional<std::string> started_at, finished_at, locked_by, lease_expires_at, last_error,
      unique_key, database_id, cancel_requested_at, timeout;
  nlohmann::json errors;  // [{attempt, at, error}]
  nlohmann::json result;  // null when none
};
nlohmann::json to_json(const JobRow& row);

}  // namespace daap::queue
