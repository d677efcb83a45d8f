// The worker runtime: registers in daap.workers, claims jobs into execution slots, runs their
// handlers, heartbeats leases, runs maintenance while leader, and drains on stop.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "queue/job.h"
#include "worker/completer.h"
#include "worker/handler.h"
#include "worker/metrics.h"
#include "worker/pool.h"
#include "worker/worker_config.h"

namespace daap::worker {

class Runner {
 public:
  Runner(WorkerConfig config, const HandlerRegistry& handlers, ConnectionPool& pool,
         Metrics& metrics);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Runs until request_stop() and the drain that follows; returns the exit status (0).
  int run();
  // Stop claiming, let running jobs finish within the shutdown timeout, release the rest.
  // Thread-safe; called from the signal-handling thread.
  void request_stop();
  bool stopping() const { return stop_claiming_.load(); }
  // After run(): some handler threads never returned (their jobs were released). The process
  // must then exit without destroying the runner.
  bool abandoned_threads() const { return abandoned_threads_; }

 private:
  struct InFlight;
  using InFlightPtr = std::shared_ptr<InFlight>;
  struct Failure;

  void register_worker();
  void produce();
  void dispatch(std::vector<queue::Job> jobs);
  void execute_loop();
  void execute(const InFlightPtr& job);
  void run_in_transaction(const InFlightPtr& job, const Registration& registration);
  void record_failure(const InFlightPtr& job, const Failure& failure);
  void finish(const InFlightPtr& job, const std::string& outcome, const std::string& error = "");
  void heartbeat_loop();
  void maintenance_loop();
  void maintenance_loop_per_transaction(std::chrono::milliseconds interval);
  void maintain_once(pqxx::connection& conn);
  void maintain_in(pqxx::transaction_base& tx);
  // Releases the leases (attempt not spent); how many were still held, nullopt if the
  // database could not be reached before `until`.
  std::optional<int> release(const std::vector<InFlightPtr>& jobs,
                             std::chrono::steady_clock::time_point until);
  void deregister();
  // Sleeps up to `d`; returns early (true) once `flag` is set.
  bool wait_or(const std::atomic<bool>& flag, std::chrono::milliseconds d);

  WorkerConfig config_;
  const HandlerRegistry& handlers_;
  ConnectionPool& pool_;
  Metrics& metrics_;
  BatchCompleter completer_;

  std::mutex mutex_;
  std::condition_variable cv_;       // slots, drain and stop flags: producer, run(), sleepers
  std::condition_variable work_cv_;  // ready_ and executors_exit_: executors
  std::deque<InFlightPtr> ready_;    // claimed, waiting for an executor
  std::map<queue::JobId, InFlightPtr> held_;  // claimed, not finished, lease not lost
  int in_flight_ = 0;                         // claimed and not finished
  // Of those, done and waiting in the completer: their execution slot is free again, so
  // instant handlers do not wait for a commit before the next claim.
  int awaiting_completion_ = 0;
  int executors_alive_ = 0;
  std::atomic<bool> stop_claiming_{false};
  std::atomic<bool> executors_exit_{false};
  std::atomic<bool> stop_background_{false};
  std::atomic<bool> abandon_{false};  // past the shutdown timeout: stop retrying outcomes
  bool abandoned_threads_ = false;

  std::thread producer_, heartbeat_, maintenance_;
  std::vector<std::thread> executors_;
};

}  // namespace daap::worker
