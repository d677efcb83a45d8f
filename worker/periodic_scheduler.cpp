#include "worker/periodic_scheduler.h"

#include "queue/cron_schedule.h"
#include "worker/logging.h"

namespace daap::worker {

using spdlog::level::level_enum;

queue::PeriodicPass schedule_periodic_jobs(pqxx::dbtransaction& tx) {
  return queue::enqueue_due_runs(tx);
}

void log_periodic_pass(const queue::PeriodicPass& pass) {
  for (const auto& run : pass.enqueued) {
    nlohmann::json fields = {{"periodic_job", run.name},
                             {"scheduled_at", queue::format_utc(run.scheduled_at)},
                             {"job_id", run.job_id}};
    // Runs missed while nobody led: this one stands for all of them.
    if (run.due_since != run.scheduled_at) {
      fields["due_since"] = queue::format_utc(run.due_since);
    }
    log(level_enum::info, "enqueued periodic job", fields);
  }
  for (const auto& change : pass.changed) {
    if (change.error) {
      log(level_enum::warn,
          "periodic job cannot be scheduled; fix it with daapctl periodic add --replace",
          {{"periodic_job", change.name}, {"error", *change.error}});
    } else {
      log(level_enum::info, "periodic job can be scheduled again", {{"periodic_job", change.name}});
    }
  }
}

}  // namespace daap::worker
