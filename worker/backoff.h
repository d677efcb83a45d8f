// Exponential backoff with jitter for reconnect loops: 100ms doubling up to a 5s cap.
#pragma once

#include <chrono>

namespace daap::worker {

class Backoff {
 public:
  explicit Backoff(std::chrono::milliseconds first = std::chrono::milliseconds(100),
                   std::chrono::milliseconds cap = std::chrono::seconds(5))
      : first_(first), cap_(cap) {}
  // The next delay: first * 2^failures, capped, scaled by a random factor in [0.5, 1].
  std::chrono::milliseconds next();
  void reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  std::chrono::milliseconds first_, cap_;
  int failures_ = 0;
};

}  // namespace daap::worker
