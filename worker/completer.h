// Grouped completion: jobs whose handlers wrote nothing are marked succeeded many per
// statement and commit (queue::complete_many), flushed when a batch is full or after a few ms.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "queue/job.h"
#include "worker/pool.h"

namespace daap::worker {

class BatchCompleter {
 public:
  // Called once per submitted job from the completer's thread: whether its fence held.
  using Done = std::function<void(bool fence_held)>;
  struct Options {
    std::size_t max_batch = 200;
    std::chrono::milliseconds max_delay = std::chrono::milliseconds(2);
  };

  BatchCompleter(ConnectionPool& pool, Options options);
  ~BatchCompleter();  // stop(false)
  void start();
  void submit(queue::JobLease lease, nlohmann::json result, Done done);
  // Flushes what is queued and joins; with `abandon`, gives up on a batch the database does
  // not take (their leases were released or will expire) instead of retrying it.
  void stop(bool abandon);

 private:
  struct Item {
    queue::JobLease lease;
    nlohmann::json result;
    Done done;
  };
  void run();
  void flush(std::vector<Item>& batch);

  ConnectionPool& pool_;
  Options options_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Item> pending_;
  bool stopping_ = false;
  bool abandon_ = false;
  std::thread thread_;
};

}  // namespace daap::worker
