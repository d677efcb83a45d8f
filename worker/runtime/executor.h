// Runs the jobs the producer claimed: `concurrency` threads take batches from the registry and
// run them, and record each job's outcome fenced on its lease.
//
// A batch is one of three kinds, by the handler's registration:
// - instant (no transaction, e.g. noop): handlers run back to back; completions go to the
//   completer, which commits them in groups;
// - grouped (transactional, platform writes only, e.g. database.update): several jobs' writes and
//   their fenced completions share one transaction and one commit. On any error the group is
//   rolled back and each job runs again alone, so one bad job costs its neighbours one retry of
//   the group at most;
// - single (everything else, e.g. provisioning): the outside step, then one transaction.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "worker/handler.h"
#include "worker/metrics.h"
#include "worker/pool.h"
#include "worker/runtime/completer.h"
#include "worker/runtime/in_flight.h"

namespace daap::worker::runtime {

struct ExecutorConfig {
  int concurrency = 10;
  std::size_t max_batch = 50;  // jobs per grouped transaction or instant batch
  // How long a transaction that records an outcome may sit idle (a paused process) before the
  // server ends it: the lease.
  std::chrono::milliseconds idle_limit{30000};
};

// One attempt's time limit: the job's own, else its kind's (kDefaultJobTimeout for an unknown
// kind, which fails at once anyway).
std::chrono::milliseconds time_limit_of(const HandlerRegistry& handlers, const queue::Job& job);

class Executor {
 public:
  Executor(ExecutorConfig config, const HandlerRegistry& handlers, ConnectionPool& pool,
           InFlightRegistry& registry, Completer& completer, Metrics& metrics);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Which jobs share a batch (InFlightRegistry::take).
  InFlightRegistry::BatchWith batch_with() const;

  // Starts the threads; each exits once the registry is closed and empty.
  void start();
  // Stops retrying outcomes that cannot be recorded (past the shutdown grace period).
  void abandon();
  // Waits until every thread has exited, or the deadline; true when all exited (and joined).
  // Threads still inside a handler then are left running: the process must exit.
  bool join(SteadyClock::time_point deadline);

  // Runs one batch taken from the registry on the caller's thread.
  void run_batch(const std::vector<JobPtr>& batch);

 private:
  enum class Mode { instant, grouped, single };
  struct Failure;

  Mode mode_of(const queue::Job& job) const;
  // Runs the handlers of a batch of instant jobs; their completions go to the completer together.
  void run_instant(const std::vector<JobPtr>& batch);
  void run_group(const std::vector<JobPtr>& group);
  void run_single(const JobPtr& job);
  // A job that must not run (unreadable row, unknown kind, cancelled before it started): true
  // when its outcome was recorded instead.
  bool refuse_if_needed(const JobPtr& job, const Registration* registration);
  void record_failure(const JobPtr& job, const Failure& failure);
  void report(const JobPtr& job, Outcome outcome, const std::string& error = "");

  ExecutorConfig config_;
  const HandlerRegistry& handlers_;
  ConnectionPool& pool_;
  InFlightRegistry& registry_;
  Completer& completer_;
  Metrics& metrics_;
  std::stop_source abandon_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable exited_;
  int alive_ = 0;
};

}  // namespace daap::worker::runtime
