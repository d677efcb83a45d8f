// Job handlers registered by kind, and what a handler receives for one execution.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "queue/job.h"
#include "worker/interrupt.h"

namespace daap::worker {

// Thrown by a handler that stopped because its job's time limit passed or the worker stopped
// waiting for it; the runtime decides what happens to the job from the interrupt's reason.
class JobInterrupted : public std::runtime_error {
 public:
  explicit JobInterrupted(InterruptReason reason)
      : std::runtime_error("interrupted (" + std::string(to_string(reason)) + ")") {}
};

// One execution of a claimed job, as its handler sees it.
class JobContext {
 public:
  JobContext(const queue::Job& job, pqxx::transaction_base* tx, Interrupt& interrupt,
             nlohmann::json outside_result = nullptr)
      : job_(job), tx_(tx), interrupt_(interrupt), outside_result_(std::move(outside_result)) {}
  const queue::Job& job() const { return job_; }
  // What the registration's `outside` step returned (null when it has none).
  const nlohmann::json& outside_result() const { return outside_result_; }
  // The job's transaction: writes here commit together with the job's completion and are
  // rolled back if the handler throws. Throws std::logic_error for handlers registered with
  // needs_transaction = false.
  pqxx::transaction_base& transaction() const;
  // Someone asked to cancel this job (daapctl jobs cancel); long handlers should check.
  bool cancel_requested() const { return interrupt_.reason() == InterruptReason::cancel; }
  // Throws queue::JobCancelled if cancellation was requested, JobInterrupted if the job was
  // interrupted for another reason (its time limit, the end of the shutdown grace period).
  void throw_if_interrupted() const;
  // Fired on a cancellation request, at the job's time limit and at the end of the shutdown
  // grace period: a step that blocks registers an action here that unblocks it.
  Interrupt& interrupt() const { return interrupt_; }

 private:
  const queue::Job& job_;
  pqxx::transaction_base* tx_;
  Interrupt& interrupt_;
  nlohmann::json outside_result_;
};

// Returns the job's result. Throws queue::PermanentError (fail now), queue::Snooze
// (reschedule, attempt not spent), queue::JobCancelled, or anything else (transient: retry
// with backoff).
using Handler = std::function<nlohmann::json(const JobContext&)>;

// Work with external side effects (provisioning) that must not run inside the job's
// transaction. It gets the job's connection with no transaction open (for short reads of its
// own) and throws like a Handler; its result reaches the handler as outside_result().
using OutsideStep = std::function<nlohmann::json(const JobContext&, pqxx::connection&)>;

// Runs in the transaction that records a job's final failure (attempts exhausted or permanent
// error), so a record can say why its job failed; error is the job's last_error.
using OnFailed =
    std::function<void(pqxx::transaction_base&, const queue::Job&, const std::string& error)>;

// How long an attempt may run before it is interrupted and retried, unless the job names its
// own limit (daap.jobs.timeout).
inline constexpr std::chrono::milliseconds kDefaultJobTimeout = std::chrono::minutes(5);

struct Registration {
  Handler handler;
  // False for handlers that write nothing to the database: they run without a connection and
  // their completions are committed in groups (many jobs, one statement).
  bool needs_transaction = true;
  // needs_transaction handlers that only write to the platform database and return within
  // milliseconds: several of their jobs share one transaction and one commit, each job's
  // writes and completion still all-or-nothing (the group falls back to one job per
  // transaction on any error).
  bool group = false;
  // Optional, needs_transaction only: runs before the job's transaction opens.
  OutsideStep outside{};
  // Optional: see OnFailed.
  OnFailed on_failed{};
  // The attempt's time limit when the job does not set one.
  std::chrono::milliseconds timeout = kDefaultJobTimeout;
};

// Kind -> handler. Filled at start-up, read-only afterwards (so safe to share).
class HandlerRegistry {
 public:
  // Throws std::invalid_argument if `kind` is already registered.
  void add(const std::string& kind, Handler handler, bool needs_transaction = true);
  // As add(), with every field of the registration.
  void add(const std::string& kind, Registration registration);
  // nullptr for an unknown kind.
  const Registration* find(std::string_view kind) const;
  std::vector<std::string> kinds() const;

 private:
  std::map<std::string, Registration, std::less<>> handlers_;
};

}  // namespace daap::worker
