// How one execution of a job ended, as this process saw it (metrics, logs).
#pragma once

#include <string_view>

#include <spdlog/common.h>

namespace daap::worker::runtime {

enum class Outcome {
  succeeded,  // completed, its writes committed
  retried,    // failed; available again after a backoff
  failed,     // failed for good (permanent error or attempts exhausted)
  snoozed,    // not finished yet; available again later, attempt not spent
  cancelled,  // ended on a cancellation request
  released,   // handed back at shutdown, attempt not spent
  lost,       // the lease was gone (rescued, cancelled or finished elsewhere): nothing recorded
  abandoned,  // the outcome could not be recorded; the lease expires and the job is rescued
};

// The label used in metrics and logs ("succeeded", ...).
std::string_view to_string(Outcome outcome);

// The level of a job's outcome line; succeeded jobs of instant kinds log at debug, so that a busy
// replica does not write a line per no-op.
spdlog::level::level_enum log_level(Outcome outcome, bool instant_kind);

}  // namespace daap::worker::runtime
