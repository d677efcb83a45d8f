// Errors that say what happens to the job next.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>

namespace daap::queue {

// The job cannot succeed by retrying (bad payload, validation, unknown kind): fail it now.
class PermanentError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Anything else a handler throws is transient: retried with backoff until max_attempts.

// Thrown by a handler to reschedule its job without spending an attempt (a step not
// finished yet, e.g. a cluster still starting).
class Snooze : public std::exception {
 public:
  explicit Snooze(std::chrono::milliseconds delay) : delay(delay) {}
  const char* what() const noexcept override { return "job snoozed"; }
  std::chrono::milliseconds delay;
};

// Thrown by a handler that noticed its job's cancellation request: the job ends cancelled.
class JobCancelled : public std::runtime_error {
 public:
  JobCancelled() : std::runtime_error("job cancelled on request") {}
};

// The fence found the job no longer running under this lease (rescued, cancelled or
// completed elsewhere): the caller must roll back the whole transaction.
class FenceLost : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace daap::queue
