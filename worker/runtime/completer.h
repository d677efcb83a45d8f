// Grouped completion for jobs whose handlers wrote nothing (noop): many jobs marked succeeded in
// one statement and one commit (queue::complete_many), off the executors' threads. A flush takes
// everything queued (up to max_batch) without waiting for more: what arrives while one commits
// goes into the next, so batches grow with the load and an idle worker waits for nothing.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "queue/job.h"
#include "worker/pool.h"
#include "worker/runtime/outcome.h"

namespace daap::worker::runtime {

class Completer {
 public:
  // Called once per submitted job, on the completer's thread: succeeded, lost (the fence no
  // longer held), failed (the server refused its result) or abandoned (not recorded: its
  // lease expires and it is rescued).
  using Done = std::function<void(Outcome)>;
  struct Options {
    std::size_t max_batch = 1000;
    // A completion transaction the completer goes quiet in (a paused process) ends after this.
    std::chrono::milliseconds idle_limit{30000};
  };

  Completer(ConnectionPool& pool, Options options);
  ~Completer();  // stop(true)
  Completer(const Completer&) = delete;
  Completer& operator=(const Completer&) = delete;

  // What submit() takes: one job's lease, its handler's result, and what to call once recorded.
  struct Item {
    queue::JobLease lease;
    nlohmann::json result;
    Done done;
  };

  void start();
  void submit(queue::JobLease lease, nlohmann::json result, Done done);
  // Several at once (one lock and one wake-up for the batch).
  void submit(std::vector<Item> items);
  // Flushes what is queued and joins. With `abandon`, a flush the database does not take is
  // given up (those jobs' leases were released or will expire) instead of retried.
  void stop(bool abandon);

 private:
  void run();
  void flush(std::vector<Item>& batch);
  // A batch the server refused for a reason other than the connection: each job alone, so that
  // one bad row cannot hold back the others.
  void flush_one_by_one(std::vector<Item>& batch);

  ConnectionPool& pool_;
  Options options_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Item> pending_;
  bool stopping_ = false;
  std::stop_source abandon_;
  std::thread thread_;
};

}  // namespace daap::worker::runtime
