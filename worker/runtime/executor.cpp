#include "worker/runtime/executor.h"

#include <sys/socket.h>

#include <optional>
#include <unordered_set>

#include "queue/errors.h"
#include "queue/executor_sql.h"
#include "queue/transaction_settings.h"
#include "schema/errors.h"
#include "worker/config.h"
#include "worker/logging.h"
#include "worker/runtime/report.h"
#include "worker/runtime/retry.h"

namespace daap::worker::runtime {
namespace {

using std::chrono::milliseconds;

// A job's transaction may sit idle while its handler works, up to the job's time limit: a paused
// process's transaction (and the record locks it holds) ends on the server at that point.
std::chrono::milliseconds time_left(const InFlightJob& job) {
  return std::max(std::chrono::milliseconds(1000),
                  std::chrono::ceil<std::chrono::milliseconds>(job.deadline - SteadyClock::now()));
}

// While a job's platform connection is in use, an interrupt other than a cancellation request (a
// time limit, a lost lease, the end of the shutdown grace period) shuts its socket down: a
// statement blocked on a lock or a silent server returns at once. The hook is destroyed before
// the connection, so the descriptor cannot have been reused.
Interrupt::Hook unblock_on_interrupt(Interrupt& interrupt, PooledConnection& conn) {
  const int fd = conn->sock();
  return interrupt.on_interrupt([&interrupt, fd] {
    if (interrupt.reason() != InterruptReason::cancel) ::shutdown(fd, SHUT_RDWR);
  });
}

}  // namespace

// What happens to a job whose handler did not succeed.
struct Executor::Failure {
  enum class Type { transient, permanent, snooze, cancelled };
  Type type = Type::transient;
  std::string error;
  milliseconds delay{0};  // snooze only

  static Failure timed_out(const InFlightJob& job) {
    return {Type::transient,
            "timed out after " +
                format_duration(std::chrono::duration_cast<milliseconds>(job.deadline -
                                                                         job.started_at)) +
                " (the attempt's time limit)",
            {}};
  }

  // The handler's exception, read in the light of why the job was interrupted, if it was.
  static Failure from(std::exception_ptr error, const InFlightJob& job) {
    const auto reason = job.interrupt.reason();
    if (reason == InterruptReason::timeout) return timed_out(job);
    std::string text;
    try {
      std::rethrow_exception(std::move(error));
    } catch (const queue::Snooze& e) {
      if (reason != InterruptReason::cancel) {
        return {Type::snooze, "snoozed for " + format_duration(e.delay), e.delay};
      }
    } catch (const queue::JobCancelled& e) {
      return {Type::cancelled, e.what(), {}};
    } catch (const queue::PermanentError& e) {
      if (reason != InterruptReason::cancel) return {Type::permanent, error_text(e), {}};
      text = error_text(e);
    } catch (const schema::Error& e) {
      if (reason != InterruptReason::cancel) {
        return {e.permanent() ? Type::permanent : Type::transient, error_text(e), {}};
      }
      text = error_text(e);
    } catch (const pqxx::broken_connection& e) {
      text = "database connection lost: " + error_text(e);
    } catch (const std::exception& e) {
      text = error_text(e);
    } catch (...) {
      text = "handler threw a non-standard exception";
    }
    if (reason == InterruptReason::cancel) {
      return {Type::cancelled, "cancelled on request" + (text.empty() ? "" : ": " + text), {}};
    }
    return {Type::transient, text, {}};
  }
};

Executor::Executor(ExecutorConfig config, const HandlerRegistry& handlers, ConnectionPool& pool,
                   InFlightRegistry& registry, Completer& completer, Metrics& metrics)
    : config_(config),
      handlers_(handlers),
      pool_(pool),
      registry_(registry),
      completer_(completer),
      metrics_(metrics) {}

Executor::~Executor() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

std::chrono::milliseconds time_limit_of(const HandlerRegistry& handlers, const queue::Job& job) {
  if (job.timeout) return *job.timeout;
  const auto* registration = handlers.find(job.kind);
  return registration != nullptr ? registration->timeout : kDefaultJobTimeout;
}

InFlightRegistry::BatchWith Executor::batch_with() const {
  return [this](const queue::Job& first, const queue::Job& next) {
    const auto mode = mode_of(first);
    return mode != Mode::single && mode_of(next) == mode;
  };
}

Executor::Mode Executor::mode_of(const queue::Job& job) const {
  if (job.unreadable) return Mode::single;
  const auto* registration = handlers_.find(job.kind);
  if (registration == nullptr) return Mode::single;
  if (!registration->needs_transaction) return Mode::instant;
  return registration->group ? Mode::grouped : Mode::single;
}

void Executor::start() {
  {
    std::lock_guard lock(mutex_);
    alive_ = config_.concurrency;
  }
  const auto with = batch_with();
  for (int i = 0; i < config_.concurrency; ++i) {
    threads_.emplace_back([this, with] {
      for (;;) {
        const auto batch = registry_.take(config_.max_batch, with);
        if (batch.empty()) break;
        run_batch(batch);
      }
      {
        std::lock_guard lock(mutex_);
        --alive_;
      }
      exited_.notify_all();
    });
  }
}

void Executor::abandon() { abandon_.request_stop(); }

bool Executor::join(SteadyClock::time_point deadline) {
  bool all = false;
  {
    std::unique_lock lock(mutex_);
    all = exited_.wait_until(lock, deadline, [this] { return alive_ == 0; });
  }
  for (auto& t : threads_) {
    if (!t.joinable()) continue;
    if (all) {
      t.join();
    } else {
      t.detach();  // stuck in a handler; the process exits right after
    }
  }
  return all;
}

void Executor::run_batch(const std::vector<JobPtr>& batch) {
  if (batch.empty()) return;
  const int size = static_cast<int>(batch.size());
  metrics_.running += size;
  struct Done {
    std::atomic<int>& running;
    int size;
    ~Done() { running -= size; }
  } done{metrics_.running, size};

  switch (mode_of(batch.front()->job)) {
    case Mode::instant:
      run_instant(batch);
      break;
    case Mode::grouped:
      run_group(batch);
      break;
    case Mode::single:
      for (const auto& job : batch) run_single(job);
      break;
  }
}

bool Executor::refuse_if_needed(const JobPtr& job, const Registration* registration) {
  if (job->job.unreadable) {
    record_failure(job, {Failure::Type::permanent, *job->job.unreadable, {}});
    return true;
  }
  switch (job->interrupt.reason()) {
    case InterruptReason::none:
      break;
    case InterruptReason::cancel:
      record_failure(job, {Failure::Type::cancelled, "cancelled on request before it ran", {}});
      return true;
    case InterruptReason::timeout:
      record_failure(job, Failure::timed_out(*job));
      return true;
    case InterruptReason::lease_lost:
    case InterruptReason::shutdown:
      return true;  // gone from the registry already: nothing to record
  }
  if (registration == nullptr) {
    record_failure(job,
                   {Failure::Type::permanent, "unknown job kind '" + job->job.kind + "'", {}});
    return true;
  }
  return false;
}

void Executor::run_instant(const std::vector<JobPtr>& batch) {
  std::vector<Completer::Item> done;
  done.reserve(batch.size());
  for (const auto& job : batch) {
    const auto* registration = handlers_.find(job->job.kind);
    if (refuse_if_needed(job, registration)) continue;
    nlohmann::json result;
    try {
      result = registration->handler(JobContext(job->job, nullptr, job->interrupt));
    } catch (...) {
      record_failure(job, Failure::from(std::current_exception(), *job));
      continue;
    }
    registry_.recording(job);
    done.push_back({job->job.lease(), std::move(result), [this, job](Outcome outcome) {
                      switch (outcome) {
                        case Outcome::lost:
                          report(job, outcome,
                                 "lease lost before completion (rescued or cancelled elsewhere)");
                          break;
                        case Outcome::abandoned:
                          report(job, outcome,
                                 "completion not recorded; the lease expires and the job is "
                                 "rescued");
                          break;
                        case Outcome::failed:
                          report(job, outcome, "the server refused its result");
                          break;
                        default:
                          report(job, outcome);
                      }
                    }});
  }
  completer_.submit(std::move(done));
}

void Executor::run_single(const JobPtr& job) {
  const Registration* registration = handlers_.find(job->job.kind);
  if (refuse_if_needed(job, registration)) return;
  if (!registration->needs_transaction) {
    run_instant({job});
    return;
  }
  std::optional<Failure> failure;
  try {
    auto conn = pool_.acquire();
    const auto hook = unblock_on_interrupt(job->interrupt, conn);
    nlohmann::json outside;
    if (registration->outside) {
      try {
        outside = registration->outside(JobContext(job->job, nullptr, job->interrupt), *conn);
      } catch (...) {
        failure = Failure::from(std::current_exception(), *job);
      }
    }
    if (!failure) {
      pqxx::work tx(*conn, "job");
      queue::limit_idle_time(tx, time_left(*job));
      nlohmann::json result;
      try {
        result = registration->handler(
            JobContext(job->job, &tx, job->interrupt, std::move(outside)));
      } catch (...) {
        failure = Failure::from(std::current_exception(), *job);
      }
      if (!failure) {
        registry_.recording(job);
        queue::complete(tx, job->job.lease(), result);
        tx.commit();
        report(job, Outcome::succeeded);
        return;
      }
      // Leaving the scope rolls back the handler's writes; the failure is recorded apart.
    }
    if (job->interrupt.requested()) conn.discard();
  } catch (const queue::FenceLost& e) {
    report(job, Outcome::lost, std::string("rolled back: ") + e.what());
    return;
  } catch (...) {
    failure = Failure::from(std::current_exception(), *job);
  }
  record_failure(job, *failure);
}

void Executor::run_group(const std::vector<JobPtr>& batch) {
  std::vector<JobPtr> group;
  for (const auto& job : batch) {
    if (!refuse_if_needed(job, handlers_.find(job->job.kind))) group.push_back(job);
  }
  if (group.size() <= 1) {
    for (const auto& job : group) run_single(job);
    return;
  }
  std::unordered_set<queue::JobId> lost;
  try {
    auto conn = pool_.acquire();
    std::vector<Interrupt::Hook> hooks;
    for (const auto& job : group) hooks.push_back(unblock_on_interrupt(job->interrupt, conn));
    pqxx::work tx(*conn, "job group");
    auto limit = time_left(*group.front());
    for (const auto& job : group) limit = std::min(limit, time_left(*job));
    queue::limit_idle_time(tx, limit);
    std::vector<queue::JobLease> leases;
    std::vector<nlohmann::json> results;
    for (const auto& job : group) {
      const auto* registration = handlers_.find(job->job.kind);
      results.push_back(registration->handler(JobContext(job->job, &tx, job->interrupt)));
      leases.push_back(job->job.lease());
    }
    const auto held = queue::complete_many(tx, leases, results);
    if (held.size() == group.size()) {
      for (const auto& job : group) registry_.recording(job);
      tx.commit();
      for (const auto& job : group) report(job, Outcome::succeeded);
      return;
    }
    // Some leases are gone: their writes must not commit. Roll everything back; the others
    // run again alone.
    const std::unordered_set<queue::JobId> ok(held.begin(), held.end());
    for (const auto& job : group) {
      if (!ok.contains(job->job.id)) lost.insert(job->job.id);
    }
  } catch (...) {
    // Any error: the group's transaction is rolled back and each job runs again alone, where
    // its own error (if it has one) is recorded for it alone.
  }
  for (const auto& job : group) {
    if (lost.contains(job->job.id)) {
      report(job, Outcome::lost, "lease lost before completion (rescued or cancelled elsewhere)");
    } else {
      run_single(job);
    }
  }
}

void Executor::record_failure(const JobPtr& job, const Failure& failure) {
  const auto reason = job->interrupt.reason();
  if (reason == InterruptReason::lease_lost || reason == InterruptReason::shutdown) return;
  registry_.recording(job);
  const auto lease = job->job.lease();
  const auto outcome = retry(
      "recording the outcome of job " + std::to_string(lease.id), abandon_.get_token(), {},
      [&] {
        auto conn = pool_.acquire();
        pqxx::work tx(*conn, "record outcome");
        queue::limit_idle_time(tx, config_.idle_limit);
        Outcome result = Outcome::lost;
        switch (failure.type) {
          case Failure::Type::snooze:
            if (queue::snooze(tx, lease, failure.delay)) result = Outcome::snoozed;
            break;
          case Failure::Type::cancelled:
            if (queue::cancel_running(tx, lease, failure.error)) result = Outcome::cancelled;
            break;
          case Failure::Type::transient:
          case Failure::Type::permanent:
            switch (queue::fail(tx, lease, failure.error,
                                failure.type == Failure::Type::permanent,
                                queue::retry_delay(lease.attempt))) {
              case queue::FailOutcome::retried:
                result = Outcome::retried;
                break;
              case queue::FailOutcome::failed:
                result = Outcome::failed;
                if (const auto* r = handlers_.find(job->job.kind); r != nullptr && r->on_failed) {
                  r->on_failed(tx, job->job, failure.error);
                }
                break;
              case queue::FailOutcome::cancelled:
                result = Outcome::cancelled;
                break;
              case queue::FailOutcome::fence_lost:
                break;
            }
            break;
        }
        tx.commit();
        return result;
      });
  if (!outcome) {
    report(job, Outcome::abandoned,
           "could not record '" + failure.error +
               "'; the lease will expire and the job be rescued");
    return;
  }
  report(job, *outcome, failure.error);
}

void Executor::report(const JobPtr& job, Outcome outcome, const std::string& error) {
  if (!registry_.finish(job)) return;
  report_outcome(metrics_, *job, outcome, error,
                 log_level(outcome, mode_of(job->job) == Mode::instant));
}

}  // namespace daap::worker::runtime
