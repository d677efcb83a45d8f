#include "worker/metrics.h"

#include <algorithm>
#include <cstdio>

namespace daap::worker {
namespace {

const std::vector<double> kDurationBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                             1,     2.5,  5,     10,   30,  60,   300};
const std::vector<double> kClaimBounds = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

std::string escape_label(const std::string& value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size(), 0) {}

void Histogram::observe(double value) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  if (it != bounds_.end()) ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
  sum_ += value;
  ++count_;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  const std::string sep = labels.empty() ? "" : ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += name + "_bucket{" + labels + sep + "le=\"" + number(bounds_[i]) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  out += name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + std::to_string(count_) + "\n";
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + number(sum_) + "\n";
  out += name + "_count" + braces + " " + std::to_string(count_) + "\n";
}

Metrics::Metrics() : claim_sizes_(kClaimBounds) {}

void Metrics::job_finished(const std::string& kind, const std::string& outcome,
                           std::chrono::duration<double> duration) {
  std::lock_guard lock(mutex_);
  ++jobs_total_[{kind, outcome}];
  durations_.try_emplace(kind, kDurationBounds).first->second.observe(duration.count());
}

void Metrics::claimed(int size) {
  std::lock_guard lock(mutex_);
  claim_sizes_.observe(size);
}

std::string Metrics::render(const std::vector<StateCount>& states, bool states_ok) const {
  std::string out;
  std::lock_guard lock(mutex_);
  out += "# HELP daap_jobs_total Jobs this process finished executing, by kind and outcome.\n";
  out += "# TYPE daap_jobs_total counter\n";
  for (const auto& [key, count] : jobs_total_) {
    out += "daap_jobs_total{kind=\"" + escape_label(key.first) + "\",outcome=\"" +
           escape_label(key.second) + "\"} " + std::to_string(count) + "\n";
  }
  out +=
      "# HELP daap_job_duration_seconds Time from the start of a job's execution to its "
      "recorded outcome.\n";
  out += "# TYPE daap_job_duration_seconds histogram\n";
  for (const auto& [kind, histogram] : durations_) {
    histogram.render(out, "daap_job_duration_seconds", "kind=\"" + escape_label(kind) + "\"");
  }
  out += "# HELP daap_claim_batch_size Jobs taken by one non-empty claim.\n";
  out += "# TYPE daap_claim_batch_size histogram\n";
  claim_sizes_.render(out, "daap_claim_batch_size", "");
  out += "# HELP daap_jobs_running Jobs executing in this process.\n";
  out += "# TYPE daap_jobs_running gauge\n";
  out += "daap_jobs_running " + std::to_string(running.load()) + "\n";
  out += "# HELP daap_jobs Jobs in daap.jobs by queue and state (counted on scrape).\n";
  out += "# TYPE daap_jobs gauge\n";
  for (const auto& s : states) {
    out += "daap_jobs{queue=\"" + escape_label(s.queue) + "\",state=\"" + escape_label(s.state) +
           "\"} " + std::to_string(s.count) + "\n";
  }
  out += "# HELP daap_jobs_count_up Whether the jobs-per-state count query succeeded.\n";
  out += "# TYPE daap_jobs_count_up gauge\n";
  out += std::string("daap_jobs_count_up ") + (states_ok ? "1" : "0") + "\n";
  return out;
}

}  // namespace daap::worker
