// The overview's counts (daap.queue_overview, sql/finished_counts, sql/throughput). With
// 1,000,000 jobs they take longer than a page may, so pages show the last ones read (with
// their as-of time) and a request that finds them older than the maximum age has them read
// again in the background. They are first read in the background at start (a request that
// comes before that read ends waits for it); when the maximum age is 0 every request reads them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "queue/queues.h"
#include "worker/console/throughput_chart.h"
#include "worker/pool.h"

namespace daap::worker::console {

// Jobs of one queue that succeeded and failed in the last hour and 24 hours.
struct FinishedCounts {
  std::int64_t succeeded_1h = 0, failed_1h = 0, succeeded_24h = 0, failed_24h = 0;
};

// The overview's counts as read at `as_of` (the database's now(), RFC 3339).
struct OverviewCounts {
  std::string as_of;
  std::map<std::string, queue::QueueOverview> queues;  // by name
  std::map<std::string, FinishedCounts> finished;      // by queue
  std::vector<MinuteCounts> minutes;                   // the last 60, oldest first
};

// Reads them now, in one read transaction limited by kStatementTimeout.
OverviewCounts read_overview_counts(pqxx::connection& conn);

class OverviewCache {
 public:
  OverviewCache(ConnectionPool& pool, std::chrono::milliseconds max_age);
  ~OverviewCache();
  OverviewCache(const OverviewCache&) = delete;
  OverviewCache& operator=(const OverviewCache&) = delete;

  // The counts: read now when there are none yet or the maximum age is 0 (errors propagate);
  // otherwise the last ones, and once they are older than the maximum age a background read
  // is started (a failed one keeps the last counts).
  std::shared_ptr<const OverviewCounts> get();

 private:
  void refresh_loop();

  ConnectionPool& pool_;
  std::chrono::milliseconds max_age_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<const OverviewCounts> counts_;
  std::chrono::steady_clock::time_point read_at_;
  bool refresh_wanted_ = false;
  bool stopping_ = false;
  std::mutex read_mutex_;  // one read at a time
  std::thread refresher_;
};

}  // namespace daap::worker::console
