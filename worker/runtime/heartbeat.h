// Keeps this process's leases and its daap.workers row alive, and holds jobs to their time limits.
// Every third of the lease it extends the lease of every job the registry holds and learns which
// were lost (rescued, cancelled or finished elsewhere: forgotten, interrupted, reported lost) and
// which have a cancellation request (interrupted); between beats it interrupts running jobs past
// their deadline.
#pragma once

#include <chrono>
#include <stop_token>
#include <thread>

#include "queue/workers.h"
#include "worker/metrics.h"
#include "worker/pool.h"
#include "worker/runtime/in_flight.h"

namespace daap::worker::runtime {

struct HeartbeatConfig {
  queue::WorkerInfo worker;
  std::chrono::milliseconds lease{30000};
  std::chrono::milliseconds deadline_check{250};  // how often time limits are looked at
};

class Heartbeat {
 public:
  Heartbeat(HeartbeatConfig config, ConnectionPool& pool, InFlightRegistry& registry,
            Metrics& metrics);
  void start();
  void stop();

  // One renewal of every held lease and of the worker row (upserted when `reregister`, e.g.
  // after an outage in which it may have been pruned as stale). Throws the database's errors.
  void beat(bool reregister);
  // Interrupts running jobs past their deadline; returns how many.
  int enforce_deadlines(SteadyClock::time_point now);

 private:
  void run(std::stop_token stop);

  HeartbeatConfig config_;
  ConnectionPool& pool_;
  InFlightRegistry& registry_;
  Metrics& metrics_;
  std::jthread thread_;
};

}  // namespace daap::worker::runtime
