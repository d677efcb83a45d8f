// Runs the real daap-worker binary as child processes, and waits on database conditions.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "tests/support/eventually.h"  // eventually(), for the conditions below

namespace daap::test {

// $DAAP_BUILD_ROOT/worker/daap_worker/daap-worker.
std::string worker_binary();

// A daap-worker child with DAAP_TEST_HANDLERS=1; its stdout and stderr go to a file.
// SIGKILLed and reaped when destroyed if still running.
class WorkerProcess {
 public:
  // `env` is added to (and overrides) this process's environment.
  WorkerProcess(const std::vector<std::string>& args,
                const std::map<std::string, std::string>& env);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);
  // The exit status (128 + signal when killed by one), or nullopt if still running after
  // `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  bool running();
  // Everything it printed so far.
  std::string output() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  std::optional<int> status_;
};

// The usual worker environment for `url`: DATABASE_URL, no HTTP, quick polling.
std::map<std::string, std::string> worker_env(const std::string& url);

// One value from a short-lived connection (survives server restarts between calls).
std::int64_t query_int(const std::string& url, const std::string& sql);
// Runs statements in their own transaction.
void exec_sql(const std::string& url, const std::string& sql);

// Creates test_effects(job_id bigint, attempt int), which test.record writes.
void create_effects_table(const std::string& url);
// Inserts `count` jobs of `kind` with `payload` (JSON text) in one statement.
void insert_jobs(const std::string& url, const std::string& kind, int count,
                 const std::string& payload = "{}");

// A loopback TCP port that was free a moment ago.
int free_port();

}  // namespace daap::test
