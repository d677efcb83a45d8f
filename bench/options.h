// daap-bench's settings, from its command line (parsed in daap_bench.cpp).
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace daap::bench {

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
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  std::string worker_bin;
  std::vector<std::string> worker_args;
  bool force = false;
};

}  // namespace daap::bench
