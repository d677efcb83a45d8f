// Maintenance on one replica at a time: the holder of the maintenance lease (queue/leadership.h)
// rescues jobs whose lease expired, prunes finished jobs past their retention, and removes stale
// daap.workers rows. Each pass runs in one transaction that ends by renewing the lease: a leader
// whose lease lapsed (it was paused, partitioned) rolls its pass back and steps down, so a
// returning old leader does nothing. Replicas that do not lead try to take the lease every pass.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "worker/metrics.h"
#include "worker/pool.h"

namespace daap::worker::runtime {

struct MaintainerConfig {
  std::string worker_id;
  // How long a lease lasts without renewal; passes (and takeover attempts) every third of it.
  std::chrono::milliseconds leadership_lease{30000};
  std::chrono::milliseconds succeeded_retention{};
  std::chrono::milliseconds failed_retention{};
  std::chrono::milliseconds stale_worker_after{};
};

class Maintainer {
 public:
  // `metrics`, when given, gets the leadership and what each committed pass rescued and pruned.
  Maintainer(MaintainerConfig config, ConnectionPool& pool, Metrics* metrics = nullptr);
  void start();
  // Stops passing and gives the lease up, so another replica can take it at once.
  void stop();

  // One pass: take the lease if it is free or lapsed, then, while leading, one bounded round of
  // rescue and pruning. Returns whether this process leads after it. Throws database errors.
  bool pass();
  bool leader() const { return leading_.load(); }

 private:
  void run(std::stop_token stop);
  void resign();
  void set_leading(bool leading);

  MaintainerConfig config_;
  ConnectionPool& pool_;
  Metrics* metrics_;
  std::optional<std::int64_t> term_;  // only the maintainer's thread (or a test) touches it
  std::atomic<bool> leading_{false};
  std::jthread thread_;
};

}  // namespace daap::worker::runtime
