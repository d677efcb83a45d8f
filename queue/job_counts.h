// How many jobs each queue holds, for /metrics: backlog (due), scheduled, running, finished.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace daap::queue {

// Jobs of one queue in one state. `state` is a job state, except that available jobs are
// `due` (run_at passed: the backlog) or `scheduled` (run_at ahead: not backlog yet).
struct QueueStateCount {
  std::string queue, state;
  std::int64_t count = 0;
};

// How long the oldest due job of a queue has waited past its run_at (0 when none is due).
struct QueueAge {
  std::string queue;
  double oldest_due_seconds = 0;
};

struct JobCounts {
  std::vector<QueueStateCount> counts;  // by queue, then state
  std::vector<QueueAge> oldest_due;     // one per queue that has any job
};

// Counts every row of daap.jobs (one scan of the table: call it sparingly on a large one).
JobCounts count_jobs(pqxx::transaction_base& tx);

}  // namespace daap::queue
