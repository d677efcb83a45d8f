// How many jobs daap.jobs holds, for /metrics: per queue the live ones (due, scheduled,
// running), and per state the finished ones.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

namespace daap::queue {

// Live jobs of one queue in one state: `due` (available, run_at passed: the backlog),
// `scheduled` (available, run_at ahead: not backlog yet) or `running`.
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
  std::vector<QueueStateCount> counts;  // by queue, then state; live states only
  std::vector<QueueAge> oldest_due;     // one per queue that has a live job
  std::vector<std::pair<std::string, std::int64_t>> finished;  // succeeded, failed, cancelled
};

// Counts the jobs through indexes (it sets prefer_index_plans for the rest of `tx`): the
// per-queue part costs what is live; the finished part is an index-only walk per state.
JobCounts count_jobs(pqxx::transaction_base& tx);

}  // namespace daap::queue
