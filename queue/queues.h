// Queues as an admin sees and steers them (daapctl queues): daap.queues, daap.queue_overview
// and the controls of migration 019, which daap.claim_jobs honours across all replicas.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace daap::queue {

// A queue's controls as they now are.
struct QueueControls {
  std::string name;
  std::optional<std::string> paused_at;  // none: running
  std::optional<int> max_running;        // none: no limit
};

// One row of daap.queue_overview.
struct QueueOverview {
  QueueControls controls;
  std::int64_t due = 0, scheduled = 0, running = 0, failed_24h = 0;
  std::optional<double> oldest_due_age_seconds;
};
// Every queue a job ever named or an admin steered, by name.
std::vector<QueueOverview> queue_overview(pqxx::transaction_base& tx);

// No replica claims from `name` from its next claim on; claimed jobs finish.
QueueControls pause_queue(pqxx::transaction_base& tx, const std::string& name);
// Claimed again; idle workers are woken at commit.
QueueControls resume_queue(pqxx::transaction_base& tx, const std::string& name);
// At most `max_running` of its jobs running at once across all replicas (none: no limit; >= 1).
QueueControls set_queue_limit(pqxx::transaction_base& tx, const std::string& name,
                              std::optional<int> max_running);

}  // namespace daap::queue
