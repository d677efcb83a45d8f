// The periodic jobs' pass of the maintenance leader: in the caller's transaction (the leader's
// lease-fenced one, so a pass whose lease lapsed is rolled back with its enqueues), every
// enabled periodic job whose schedule has fired since its last run gets exactly one job.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "queue/job.h"

namespace daap::queue {

// One run enqueued: the fire time it stands for, and the first one it was due for when runs
// were missed (an outage, no leader): those are not made up one by one.
struct PeriodicRun {
  std::string name;
  std::chrono::sys_seconds scheduled_at{};
  std::chrono::sys_seconds due_since{};
  JobId job_id = 0;
};

// A periodic job that became unschedulable (error set), or schedulable again (error empty).
struct PeriodicProblem {
  std::string name;
  std::optional<std::string> error;
};

struct PeriodicPass {
  std::vector<PeriodicRun> enqueued;
  std::vector<PeriodicProblem> changed;
};

// Enqueues the due run of each enabled periodic job (rows another transaction holds are left
// for the next pass), unique key periodic:<name>:<scheduled time, RFC 3339 UTC> and run_at the
// scheduled time. Exactly once per fire time: the row records it in the same statement, and a
// fire time at or before the recorded one is never enqueued. A job that cannot be scheduled
// (a time zone the tz database lacks, a run the server refuses: each run is enqueued in a
// savepoint of its own) gets last_error and is skipped.
PeriodicPass enqueue_due_runs(pqxx::dbtransaction& tx);

}  // namespace daap::queue
