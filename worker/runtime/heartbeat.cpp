#include "worker/runtime/heartbeat.h"

#include <algorithm>

#include "queue/executor_sql.h"
#include "queue/transaction_settings.h"
#include "worker/backoff.h"
#include "worker/config.h"
#include "worker/logging.h"
#include "worker/runtime/report.h"
#include "worker/runtime/retry.h"

namespace daap::worker::runtime {

using std::chrono::milliseconds;

Heartbeat::Heartbeat(HeartbeatConfig config, ConnectionPool& pool, InFlightRegistry& registry,
                     Metrics& metrics)
    : config_(std::move(config)), pool_(pool), registry_(registry), metrics_(metrics) {}

void Heartbeat::start() {
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void Heartbeat::stop() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void Heartbeat::beat(bool reregister) {
  const auto leases = registry_.leases();
  queue::HeartbeatResult result;
  {
    auto conn = pool_.acquire();
    pqxx::work tx(*conn, "heartbeat");
    queue::limit_idle_time(tx, config_.lease);
    if (!leases.empty()) result = queue::heartbeat(tx, leases, config_.lease);
    if (reregister) {
      queue::register_worker(tx, config_.worker);
    } else {
      queue::touch_worker(tx, config_.worker.id);
    }
    tx.commit();
  }
  for (const auto& job : registry_.lose(result.lost)) {
    report_outcome(metrics_, *job, Outcome::lost,
                   "lease lost (rescued, cancelled or finished elsewhere); its work is dropped",
                   spdlog::level::warn);
  }
  for (const auto id : result.cancel_requested) {
    if (registry_.request_cancel(id)) {
      log(spdlog::level::info, "cancellation requested; interrupted the job", {{"job_id", id}});
    }
  }
}

int Heartbeat::enforce_deadlines(SteadyClock::time_point now) {
  const auto overdue = registry_.overdue(now);
  for (const auto& job : overdue) {
    if (job->interrupt.fire(InterruptReason::timeout)) {
      log(spdlog::level::warn, "job past its time limit; interrupted",
          {{"job_id", job->job.id},
           {"kind", job->job.kind},
           {"time_limit",
            format_duration(std::chrono::duration_cast<milliseconds>(job->deadline -
                                                                     job->started_at))}});
    }
  }
  return static_cast<int>(overdue.size());
}

void Heartbeat::run(std::stop_token stop) {
  const auto interval = std::max(milliseconds(1), config_.lease / 3);
  const auto tick = std::min(config_.deadline_check, interval);
  Backoff backoff;
  bool reregister = false;
  auto next_beat = SteadyClock::now() + interval;
  while (sleep_for(stop, tick)) {
    const auto now = SteadyClock::now();
    enforce_deadlines(now);
    if (now < next_beat) continue;
    try {
      beat(reregister);
      if (reregister) log(spdlog::level::info, "heartbeats resumed");
      reregister = false;
      backoff.reset();
      next_beat = now + interval;
    } catch (const std::exception& e) {
      reregister = true;
      const auto delay = std::min(backoff.next(), interval);
      next_beat = now + delay;
      log_retry("heartbeat", e, delay);
    }
    try {
      pool_.maintain();
    } catch (const std::exception& e) {
      log(spdlog::level::debug, "pool top-up failed", {{"error", error_text(e)}});
    }
  }
}

}  // namespace daap::worker::runtime
