// Periodic jobs (daap.periodic_jobs, migrations 025-026): a job enqueued each time a cron
// schedule fires. What one is, when it runs next, and the admin operations, each through the
// SQL function of the same name (the SQL API is the contract; daapctl periodic calls this).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "queue/cron_schedule.h"
#include "queue/job.h"

namespace daap::queue {

// No periodic job has the name (the message names it).
class PeriodicJobNotFound : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A periodic job of that name exists already (add without replace).
class PeriodicJobExists : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One row of daap.periodic_jobs.
struct PeriodicJob {
  std::string name;
  std::string schedule;  // five cron fields
  std::string time_zone;
  std::string kind;
  nlohmann::json payload;
  std::string queue;
  int priority = 0;
  int max_attempts = 25;
  bool enabled = true;
  Instant schedule_from{};  // runs are counted from here
  std::optional<Instant> last_scheduled_at;
  std::optional<Instant> last_enqueued_at;
  std::optional<JobId> last_job_id;
  std::optional<std::string> last_error;
  Instant created_at{};
  Instant updated_at{};
};

// When a periodic job runs next by its schedule: the first fire time after the later of
// schedule_from and last_scheduled_at (at or before now: due, enqueued at the leader's next
// pass); or why it cannot be scheduled.
struct NextRun {
  std::optional<std::chrono::sys_seconds> at;
  std::optional<std::string> error;
};
NextRun next_run(const PeriodicJob& job);

// What daap.add_periodic_job takes; defaults are its defaults.
struct NewPeriodicJob {
  std::string name;
  std::string schedule;
  std::string kind;
  nlohmann::json payload = nlohmann::json::object();
  std::string time_zone = "UTC";
  std::string queue = "default";
  int priority = 0;
  int max_attempts = 25;
  bool enabled = true;
};

// Adds a periodic job, or changes the one of that name when `replace`. Throws
// std::invalid_argument naming the field, or PeriodicJobExists.
PeriodicJob add_periodic_job(pqxx::transaction_base& tx, const NewPeriodicJob& job,
                             bool replace = false);
// Each throws PeriodicJobNotFound.
void remove_periodic_job(pqxx::transaction_base& tx, const std::string& name);
PeriodicJob enable_periodic_job(pqxx::transaction_base& tx, const std::string& name);
PeriodicJob disable_periodic_job(pqxx::transaction_base& tx, const std::string& name);
// Enqueues its job now (the schedule is unchanged); returns the job's id.
JobId run_periodic_job_now(pqxx::transaction_base& tx, const std::string& name);

std::optional<PeriodicJob> get_periodic_job(pqxx::transaction_base& tx, const std::string& name);

// A page of periodic jobs by name; `now` is the database's time, for next runs.
struct PeriodicJobPage {
  std::vector<PeriodicJob> items;
  std::optional<std::string> next_cursor;  // set when more may follow
  Instant now{};
};
inline constexpr int kMaxPeriodicListLimit = 1000;
// Throws std::invalid_argument naming "limit" or "cursor".
PeriodicJobPage list_periodic_jobs(pqxx::transaction_base& tx, int limit,
                                   const std::optional<std::string>& cursor);

// The row's columns, timestamps in RFC 3339 UTC, plus next_run_at (null when it cannot be
// scheduled, with schedule_error saying why) and due (next_run_at is not after `now`).
nlohmann::json to_json(const PeriodicJob& job, Instant now);

// RFC 3339 in UTC with microseconds.
std::string format_instant(Instant t);

}  // namespace daap::queue
