#include "worker/runtime/producer.h"

#include <algorithm>
#include <cmath>

#include "queue/executor_sql.h"
#include "worker/backoff.h"
#include "worker/logging.h"
#include "worker/runtime/retry.h"

namespace daap::worker::runtime {

using std::chrono::milliseconds;

Producer::Producer(ProducerConfig config, ConnectionPool& pool, InFlightRegistry& registry,
                   Metrics& metrics)
    : config_(std::move(config)),
      pool_(pool),
      registry_(registry),
      metrics_(metrics),
      positions_(config_.queues.size()) {}

void Producer::start() {
  rate_at_ = SteadyClock::now();
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void Producer::stop() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void Producer::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_cv_.notify_one();
}

bool Producer::sleep_until_woken(std::stop_token stop, milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const bool woken = wake_cv_.wait_for(lock, stop, timeout, [this] { return woken_; });
  woken_ = false;
  return woken;
}

void Producer::forget_positions() {
  std::fill(positions_.begin(), positions_.end(), std::nullopt);
  positions_since_ = SteadyClock::now();
}

int Producer::buffer_target() {
  const auto counts = registry_.counts();
  const auto now = SteadyClock::now();
  const std::chrono::duration<double> elapsed = now - rate_at_;
  if (elapsed.count() >= 0.01) {
    const double recent = static_cast<double>(counts.started - rate_started_) / elapsed.count();
    // Smoothed, but quick to follow a burst: the buffer grows within a few claims.
    rate_ = recent > rate_ ? recent : 0.7 * rate_ + 0.3 * recent;
    rate_started_ = counts.started;
    rate_at_ = now;
  }
  const double horizon = std::chrono::duration<double>(config_.horizon).count();
  const int ahead = static_cast<int>(std::ceil(rate_ * horizon));
  return std::max({1, counts.idle_takers, std::min(ahead, config_.prefetch)});
}

int Producer::claim_once(int limit) {
  if (limit <= 0 || config_.queues.empty()) return 0;
  if (SteadyClock::now() - positions_since_ > config_.position_ttl) forget_positions();
  // Rotate the queues so that each gets to go first in turn.
  const std::size_t n = config_.queues.size();
  const std::size_t first = rotation_++ % n;
  queue::ClaimRequest request{config_.worker_id, {}, limit, config_.lease, {}};
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (first + k) % n;
    request.queues.push_back(config_.queues[i]);
    request.after.push_back(positions_[i]);
  }
  std::vector<queue::Job> jobs;
  {
    auto conn = pool_.acquire();
    jobs = queue::claim(*conn, request);
  }
  const int claimed = static_cast<int>(jobs.size());
  if (claimed < limit) {
    forget_positions();  // some queue ran dry: next time look from the start
  } else {
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = (first + k) % n;
      for (auto it = jobs.rbegin(); it != jobs.rend(); ++it) {
        if (it->queue == config_.queues[i] && !it->unreadable) {
          positions_[i] = it->position();
          break;
        }
      }
    }
  }
  if (claimed > 0) {
    metrics_.claimed(claimed);
    registry_.add(std::move(jobs));
  }
  return claimed;
}

void Producer::run(std::stop_token stop) {
  Backoff backoff;
  while (!stop.stop_requested()) {
    const int target = buffer_target();
    const auto counts = registry_.counts();
    // Claim once the buffer is down to half its target, or an executor is idle with nothing
    // buffered; otherwise wait for room (re-evaluating the target now and then).
    if (counts.buffered > 0 && counts.buffered * 2 > target) {
      registry_.wait_for_room(std::max(1, (target + 1) / 2), milliseconds(20));
      continue;
    }
    const int want = std::max(1, target - counts.buffered);
    int claimed = 0;
    try {
      claimed = claim_once(want);
      backoff.reset();
    } catch (const std::exception& e) {
      const auto delay = backoff.next();
      log_retry("claim", e, delay);
      sleep_until_woken(stop, delay);
      continue;
    }
    if (claimed == want) continue;  // there may be more
    // Drained for now: sleep until a notification or the poll interval.
    if (sleep_until_woken(stop, config_.poll_interval)) forget_positions();
  }
}

}  // namespace daap::worker::runtime
