// One way to retry work against the database: jittered exponential backoff between tries
// (worker/backoff.h: 100 ms doubling to 5 s), for as long as the caller allows.
#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>

#include "worker/backoff.h"

namespace daap::worker::runtime {

using SteadyClock = std::chrono::steady_clock;

// When to stop retrying besides a stop request. Lost connections (the server restarting, a
// failover) are retried as long as allowed; other errors (a statement the server refuses) only
// `max_other_errors` times, since trying the same again rarely helps.
struct RetryLimits {
  int max_other_errors = 5;
  std::optional<SteadyClock::time_point> until;
  static RetryLimits forever() { return {1 << 30, std::nullopt}; }
};

// Sleeps for `d` unless `stop` is requested first; false when stopped.
bool sleep_for(std::stop_token stop, std::chrono::milliseconds d);

// Whether `e` means the database could not be reached, the outcome is unknown, or the server
// rolled the transaction back for a reason of the moment (a lost connection, a commit in doubt,
// a pool timeout, a deadlock or serialization failure): trying again later may work.
bool is_connection_error(const std::exception& e);

// The exception's message on one line, any URL password redacted, as valid UTF-8 (it is stored
// in jobs.last_error, which must not fail because of a stray byte).
std::string error_text(const std::exception& e);

// Logs one failed try at warn ("<what> failed; retrying", the error, the delay).
void log_retry(std::string_view what, const std::exception& e, std::chrono::milliseconds delay);
// Logs that retrying ended without success at error level.
void log_gave_up(std::string_view what, const std::exception& e);

// Calls `attempt()` until it returns and returns its value; nullopt when `stop`, the deadline or
// too many non-connection errors end the retries first. `attempt` must return a value.
template <typename F>
auto retry(std::string_view what, std::stop_token stop, RetryLimits limits, F&& attempt)
    -> std::optional<std::invoke_result_t<F&>> {
  Backoff backoff;
  int other_errors = 0;
  for (;;) {
    try {
      return attempt();
    } catch (const std::exception& e) {
      const auto delay = backoff.next();
      const bool connection = is_connection_error(e);
      if ((!connection && ++other_errors >= limits.max_other_errors) ||
          (limits.until && SteadyClock::now() + delay > *limits.until)) {
        log_gave_up(what, e);
        return std::nullopt;
      }
      log_retry(what, e, delay);
      if (!sleep_for(stop, delay)) return std::nullopt;
    }
  }
}

}  // namespace daap::worker::runtime
