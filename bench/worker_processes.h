// Real daap-worker processes for the bench, and waiting for them to finish a drain.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "bench/options.h"

namespace daap::bench {

// `count` daap-worker processes (options.worker_bin, with --http-addr off, --log-level warn,
// --concurrency when given, then options.worker_args) against `database_url`. Stopped with
// SIGTERM (then SIGKILL) when this object goes away.
class WorkerProcesses {
 public:
  WorkerProcesses(const Options& options, int count, std::optional<int> concurrency,
                  const std::string& database_url);
  ~WorkerProcesses();
  WorkerProcesses(const WorkerProcesses&) = delete;
  WorkerProcesses& operator=(const WorkerProcesses&) = delete;

  // Throws if a worker has already exited (it could not start, or crashed).
  void check_alive();
  // SIGTERM to all, waits for them to drain; SIGKILL after a timeout.
  void stop();

 private:
  std::string bin_;
  std::vector<pid_t> pids_;
};

// Waits until no job is left unfinished, then checks that `n` succeeded; throws when some ended
// otherwise, a worker dies, or on timeout.
void wait_for_succeeded(pqxx::connection& conn, std::int64_t n, WorkerProcesses& workers,
                        std::chrono::milliseconds timeout);

}  // namespace daap::bench
