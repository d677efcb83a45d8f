// Claims jobs into the registry ahead of the executors. Claims are sized to a local buffer, not to
// the free execution slots: one job per idle executor, or enough to cover the next `horizon` at
// the rate jobs are being started, up to `prefetch`, whichever is more (prefetch 0: claims sized
// to the idle executors only). Fast jobs are then claimed
// hundreds at a time, while slow ones (provisioning) are not hoarded by one replica while others
// idle. When a claim comes back short the queue is drained: the producer sleeps until a
// notification (wake()) or the poll interval.
//
// Held-horizon resilience: index entries of jobs claimed since a long transaction began cannot be
// removed, and every claim walked them again. Each queue's next claim starts where this worker's
// previous full claim there stopped. The position is forgotten when a claim comes back short, on
// every wake-up (new jobs may sort earlier), and at least every `position_ttl`, so a job that
// sorts earlier waits at most that long.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "queue/job.h"
#include "worker/metrics.h"
#include "worker/pool.h"
#include "worker/runtime/in_flight.h"

namespace daap::worker::runtime {

struct ProducerConfig {
  std::string worker_id;
  std::vector<std::string> queues;
  std::chrono::milliseconds lease{30000};
  std::chrono::milliseconds poll_interval{1000};
  int prefetch = 1000;  // at most this many claimed ahead of the idle executors
  std::chrono::milliseconds horizon{50};
  std::chrono::milliseconds position_ttl{1000};
};

class Producer {
 public:
  Producer(ProducerConfig config, ConnectionPool& pool, InFlightRegistry& registry,
           Metrics& metrics);
  void start();
  void stop();
  // New jobs may be due: claim now if sleeping.
  void wake();

  // One claim of up to `limit` jobs into the registry; returns how many. Throws database errors.
  int claim_once(int limit);
  // How many jobs the buffer should hold now (see the top of this file).
  int buffer_target();

 private:
  void run(std::stop_token stop);
  // Sleeps until wake() or `timeout`; true when woken.
  bool sleep_until_woken(std::stop_token stop, std::chrono::milliseconds timeout);
  void forget_positions();

  ProducerConfig config_;
  ConnectionPool& pool_;
  InFlightRegistry& registry_;
  Metrics& metrics_;

  std::mutex mutex_;
  std::condition_variable_any wake_cv_;
  bool woken_ = false;  // guarded by mutex_

  // The producer's thread only:
  std::size_t rotation_ = 0;
  std::vector<std::optional<queue::ClaimPosition>> positions_;  // per queue, config order
  SteadyClock::time_point positions_since_{};
  double rate_ = 0;  // jobs started per second, smoothed
  std::uint64_t rate_started_ = 0;
  SteadyClock::time_point rate_at_{};

  std::jthread thread_;
};

}  // namespace daap::worker::runtime
