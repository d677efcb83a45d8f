// Prometheus metrics of this process (prometheus-cpp registry and text serializer): job
// outcomes and durations, claims, the pool, maintenance, and the database counts of a scrape.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "queue/job_counts.h"
#include "worker/pool.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace daap::worker {

// What /metrics reads from the database (cached between scrapes, see HttpServer). Only the
// maintenance leader counts; the other replicas read the server's version alone.
struct DatabaseSnapshot {
  bool counted = false;  // the counts were asked for (this replica led when it was read)
  bool ok = false;       // false when the count queries failed: the counts below are empty
  queue::JobCounts jobs;
  std::vector<std::pair<std::string, std::int64_t>> databases;  // status, records
  std::string server_version;  // "15.4"; "unreachable" when no connection could be had
};

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One finished execution: its kind, outcome ("succeeded", "retried", ...) and duration.
  void job_finished(const std::string& kind, const std::string& outcome,
                    std::chrono::duration<double> duration);
  // One non-empty claim of `size` jobs.
  void claimed(int size);
  // One ConnectionPool::acquire(): how long it waited and whether it got a connection.
  void pool_acquired(std::chrono::duration<double> waited, bool acquired);
  // Whether this process holds the maintenance lease now.
  void set_maintenance_leader(bool leading);
  bool maintenance_leader() const { return leading_.load(); }
  // Jobs one committed maintenance pass rescued (by where they went) and pruned.
  void maintained(std::int64_t made_available, std::int64_t failed, std::int64_t cancelled,
                  std::int64_t pruned_jobs, std::int64_t pruned_workers);
  // Jobs executing in this process now, and how many it may run at once (CONCURRENCY).
  std::atomic<int> running{0};
  void set_concurrency(int slots);

  // The text exposition of everything above plus the database snapshot (its counts only when
  // `database.counted`) and the pool now.
  std::string render(const DatabaseSnapshot& database, const PoolStats& pool) const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& jobs_total_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Histogram& claim_sizes_;
  prometheus::Histogram& acquire_wait_;
  prometheus::Counter& acquire_timeouts_;
  prometheus::Gauge& running_gauge_;
  prometheus::Gauge& concurrency_;
  prometheus::Gauge& leader_;
  std::atomic<bool> leading_{false};
  prometheus::Family<prometheus::Counter>& rescued_;
  prometheus::Counter& pruned_jobs_;
  prometheus::Counter& pruned_workers_;
};

}  // namespace daap::worker
