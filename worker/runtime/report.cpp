#include "worker/runtime/report.h"

#include <cmath>

#include "worker/logging.h"

namespace daap::worker::runtime {

void report_outcome(Metrics& metrics, const InFlightJob& job, Outcome outcome,
                    const std::string& error, spdlog::level::level_enum level) {
  const auto started =
      job.started_at == SteadyClock::time_point{} ? job.claimed_at : job.started_at;
  const std::chrono::duration<double> duration = SteadyClock::now() - started;
  metrics.job_finished(job.job.kind, std::string(to_string(outcome)), duration);
  if (!spdlog::should_log(level)) return;
  nlohmann::json fields = {{"job_id", job.job.id},
                           {"kind", job.job.kind},
                           {"queue", job.job.queue},
                           {"attempt", job.job.attempt},
                           {"worker_id", job.job.worker_id},
                           {"duration_ms", std::round(duration.count() * 100000) / 100},
                           {"outcome", to_string(outcome)}};
  if (!error.empty()) fields["error"] = error;
  log(level, "job " + std::string(to_string(outcome)), fields);
}

}  // namespace daap::worker::runtime
