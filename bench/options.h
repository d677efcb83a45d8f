// daap-bench's settings, from its command line (parsed in daap_bench.cpp).
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace daap::bench {

// Jobs each side runs at once in the measures beside Graphile (both sides: one process each).
constexpr int kSideBySideConcurrency = 8;

struct Options {
  std::string database_url;
  int jobs = 20000;
  std::vector<int> concurrency = {10};
  std::vector<int> processes = {1};
  int repeat = 3;
  std::vector<std::string> kinds = {"noop", "database.update"};
  std::set<std::string> only = {"drain", "enqueue", "latency"};
  int latency_jobs = 200;
  std::chrono::milliseconds latency_gap{20};
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};
  std::string worker_bin;
  std::vector<std::string> worker_args;
  bool force = false;
  // The measures on fresh tables in a scratch database (fresh, update, claim, snapshot).
  std::vector<int> sizes = {20000, 200000};
  int claim_table = 1000000;
  int claim_size = 100;
  int claim_samples = 200;
  // --compare graphile: Graphile Worker's noop drains beside ours (Node 24 and its modules).
  bool compare_graphile = false;
  std::string node_bin, graphile_dir, graphile_script;
};

}  // namespace daap::bench
