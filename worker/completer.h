// Grouped completion: jobs whose handlers wrote nothing are marked succeeded many per
// statement and commit (queue::complete_many). A flush takes everything queued (up to
// max_batch); what arrives during a flush waits for the next one.
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
    std::size_t max_batch = 500;
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
