#include "worker/backoff.h"

#include <algorithm>
#include <random>

namespace daap::worker {

std::chrono::milliseconds Backoff::next() {
  thread_local std::mt19937 rng{std::random_device{}()};
  const int shift = std::min(failures_++, 16);
  const auto full = std::min(cap_, std::chrono::milliseconds(first_.count() << shift));
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(full.count() * jitter(rng)));
}

}  // namespace daap::worker
