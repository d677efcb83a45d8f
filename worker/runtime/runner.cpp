#include "worker/runtime/runner.h"

#include <unistd.h>

#include <array>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "queue/executor_sql.h"
#include "queue/maintenance.h"
#include "queue/transaction_settings.h"
#include "queue/workers.h"
#include "worker/config.h"
#include "worker/logging.h"
#include "worker/runtime/completer.h"
#include "worker/runtime/executor.h"
#include "worker/runtime/heartbeat.h"
#include "worker/runtime/in_flight.h"
#include "worker/runtime/listener.h"
#include "worker/runtime/maintainer.h"
#include "worker/runtime/producer.h"
#include "worker/runtime/report.h"
#include "worker/runtime/retry.h"

namespace daap::worker::runtime {
namespace {

using spdlog::level::level_enum;
using std::chrono::milliseconds;

// Leases the shutdown could not release within this long are left to expire and be rescued.
constexpr milliseconds kReleaseGrace(5000);

std::string hostname() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) return "unknown";
  return host.data();
}

// Blocks until `stop` is requested.
void wait_for(std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any cv;
  std::unique_lock lock(mutex);
  cv.wait(lock, stop, [] { return false; });
}

}  // namespace

struct Runner::Services {
  Services(const WorkerConfig& config, const HandlerRegistry& handlers, ConnectionPool& pool,
           Metrics& metrics)
      : info{config.worker_id, hostname(),     ::getpid(),
             DAAP_VERSION,     config.queues, config.concurrency},
        completer(pool, Completer::Options{1000, config.lease_duration}),
        registry([&handlers](const queue::Job& job) { return time_limit_of(handlers, job); }),
        executor(ExecutorConfig{config.concurrency, 50, config.lease_duration}, handlers, pool,
                 registry, completer, metrics),
        producer(ProducerConfig{config.worker_id, config.queues, config.lease_duration,
                                config.poll_interval, config.prefetch},
                 pool, registry, metrics),
        heartbeat(HeartbeatConfig{info, config.lease_duration}, pool, registry, metrics),
        maintainer(MaintainerConfig{config.worker_id, config.lease_duration,
                                    config.succeeded_retention, config.failed_retention,
                                    queue::kStaleWorkerAfterDefault},
                   pool, &metrics) {
    if (!config.poll_only) {
      listener.emplace(
          config.database.url, [this] { producer.wake(); },
          [this](queue::JobId id) {
            if (registry.request_cancel(id)) {
              log(level_enum::info, "cancellation requested; interrupted the job",
                  {{"job_id", id}});
            }
          });
    }
  }

  queue::WorkerInfo info;
  Completer completer;
  InFlightRegistry registry;
  Executor executor;
  Producer producer;
  Heartbeat heartbeat;
  Maintainer maintainer;
  std::optional<Listener> listener;
};

Runner::Runner(WorkerConfig config, const HandlerRegistry& handlers, ConnectionPool& pool,
               Metrics& metrics)
    : config_(std::move(config)),
      handlers_(handlers),
      pool_(pool),
      metrics_(metrics),
      services_(std::make_unique<Services>(config_, handlers_, pool_, metrics_)) {}

Runner::~Runner() = default;

void Runner::request_stop() {
  stopping_ = true;
  stop_.request_stop();
}

bool Runner::maintenance_leader() const { return services_->maintainer.leader(); }

int Runner::run() {
  auto& s = *services_;
  const bool registered = retry("registering the worker", stop_.get_token(),
                                RetryLimits::forever(), [&] {
                                  auto conn = pool_.acquire();
                                  pqxx::work tx(*conn, "register");
                                  queue::register_worker(tx, s.info);
                                  tx.commit();
                                  return true;
                                })
                              .has_value();
  if (!registered) return 0;  // asked to stop before the database answered

  // The producer first: it takes the connection the registration just used, so the first claim
  // does not wait for a new one.
  s.completer.start();
  s.executor.start();
  s.producer.start();
  if (s.listener) s.listener->start();
  s.heartbeat.start();
  s.maintainer.start();
  log(level_enum::info, "worker started",
      {{"worker_id", config_.worker_id},
       {"concurrency", config_.concurrency},
       {"prefetch", config_.prefetch},
       {"queues", config_.queues},
       {"wakeups", config_.poll_only ? "poll only" : "LISTEN/NOTIFY + polling"}});

  wait_for(stop_.get_token());
  const auto deadline = SteadyClock::now() + config_.shutdown_timeout;
  s.producer.stop();
  if (s.listener) s.listener->stop();

  // Claimed jobs no executor started go back at once: another replica can run them now.
  const auto unstarted = s.registry.take_unstarted();
  s.registry.close();
  const auto counts = s.registry.counts();
  log(level_enum::info, "stopping: no more claims, waiting for running jobs",
      {{"running", counts.running},
       {"unstarted", unstarted.size()},
       {"shutdown_timeout", format_duration(config_.shutdown_timeout)}});
  release(unstarted, "shutdown before the job started");

  const bool drained = s.registry.wait_until_empty(deadline);
  if (!drained) {
    // Whatever an executor does with these later is not recorded: they are handed back now.
    s.executor.abandon();
    const auto leftover = s.registry.abandon_running();
    log(level_enum::warn, "shutdown timeout reached: releasing running jobs, attempt not spent",
        {{"jobs", leftover.size()}});
    release(leftover, "still running at the shutdown timeout");
    // Only now: a handler that honours the interrupt must not end its job before the release.
    for (const auto& job : leftover) job->interrupt.fire(InterruptReason::shutdown);
  }
  s.completer.stop(/*abandon=*/!drained);
  s.heartbeat.stop();
  s.maintainer.stop();
  deregister();
  abandoned_threads_ = !s.executor.join(SteadyClock::now() + milliseconds(200));
  log(level_enum::info, "worker stopped", {{"worker_id", config_.worker_id}});
  return 0;
}

void Runner::release(const std::vector<JobPtr>& jobs, const std::string& why) {
  if (jobs.empty()) return;
  std::vector<queue::JobLease> leases;
  for (const auto& job : jobs) leases.push_back(job->job.lease());
  const auto released = retry("releasing jobs", {}, {5, SteadyClock::now() + kReleaseGrace}, [&] {
    auto conn = pool_.acquire();
    pqxx::work tx(*conn, "release");
    queue::limit_idle_time(tx, config_.lease_duration);
    const int n = queue::release(tx, leases);
    tx.commit();
    return n;
  });
  for (const auto& job : jobs) {
    if (released) {
      report_outcome(metrics_, *job, Outcome::released, why, level_enum::info);
    } else {
      report_outcome(metrics_, *job, Outcome::abandoned,
                     "not released; its lease will expire and it will be rescued",
                     level_enum::warn);
    }
  }
}

void Runner::deregister() {
  retry("deregistering the worker", {}, {5, SteadyClock::now() + kReleaseGrace}, [&] {
    auto conn = pool_.acquire();
    pqxx::work tx(*conn, "deregister");
    queue::deregister_worker(tx, config_.worker_id);
    tx.commit();
    return true;
  });
}

}  // namespace daap::worker::runtime
