// Prometheus metrics of this process: job outcomes and durations, claim sizes, running jobs.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace daap::worker {

// A Prometheus histogram with fixed upper bounds (the +Inf bucket is implicit).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  // Appends the _bucket/_sum/_count lines; `labels` is "" or `k="v",...`.
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // cumulative on render, per bucket here
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

// Jobs per (queue, state) as counted on scrape.
struct StateCount {
  std::string queue, state;
  std::int64_t count = 0;
};

class Metrics {
 public:
  Metrics();
  // One finished execution: its kind, outcome ("succeeded", "retried", ...) and duration.
  void job_finished(const std::string& kind, const std::string& outcome,
                    std::chrono::duration<double> duration);
  // One non-empty claim of `size` jobs.
  void claimed(int size);
  // Jobs executing in this process now.
  std::atomic<int> running{0};

  // The text exposition; `states` is empty when the count query failed.
  std::string render(const std::vector<StateCount>& states, bool states_ok) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> jobs_total_;
  std::map<std::string, Histogram> durations_;
  Histogram claim_sizes_;
};

// `value` escaped for a Prometheus label.
std::string escape_label(const std::string& value);

}  // namespace daap::worker
