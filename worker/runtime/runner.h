// The worker runtime: wires the services together and orders start-up and shutdown. It owns no
// job state itself: the in-flight registry does.
//
//   Listener ──wake──▶ Producer ──claims──▶ InFlightRegistry ◀──take── Executor ×N ──▶ Completer
//   (LISTEN)  ──cancel─────────────────────────▲        ▲
//                                 Heartbeat ───┘        │ (leases, time limits, lost, cancel)
//   Maintainer: rescue, prune, stale workers; while it holds the maintenance lease
//
// Shutdown (request_stop): the producer and listener stop; buffered jobs go back at once (attempt
// not spent); running jobs get until the shutdown timeout; what is still running then is released
// and interrupted; the completer flushes; the heartbeat stops; the maintainer gives its lease up;
// the worker row is removed.
#pragma once

#include <atomic>
#include <memory>
#include <stop_token>

#include <string>
#include <vector>

#include "worker/handler.h"
#include "worker/metrics.h"
#include "worker/runtime/in_flight.h"
#include "worker/pool.h"
#include "worker/worker_config.h"

namespace daap::worker::runtime {

class Runner {
 public:
  Runner(WorkerConfig config, const HandlerRegistry& handlers, ConnectionPool& pool,
         Metrics& metrics);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Runs until request_stop() and the drain that follows; returns the exit status (0).
  int run();
  // Thread-safe; called from the signal-handling thread.
  void request_stop();
  bool stopping() const { return stopping_.load(); }
  // After run(): some handler threads never returned (their jobs were released). The process
  // must then exit without destroying the runner.
  bool abandoned_threads() const { return abandoned_threads_; }
  // Whether this process holds the maintenance lease now.
  bool maintenance_leader() const;

 private:
  struct Services;
  // Hands jobs back (available now, attempt not spent) and reports them released.
  void release(const std::vector<JobPtr>& jobs, const std::string& why);
  void deregister();

  WorkerConfig config_;
  const HandlerRegistry& handlers_;
  ConnectionPool& pool_;
  Metrics& metrics_;
  std::unique_ptr<Services> services_;
  std::stop_source stop_;
  std::atomic<bool> stopping_{false};
  bool abandoned_threads_ = false;
};

}  // namespace daap::worker::runtime
