#include "bench/worker_processes.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "bench/child_environment.h"
#include "worker/config.h"

namespace daap::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr auto kPollInterval = std::chrono::milliseconds(20);
constexpr auto kWorkerStopTimeout = std::chrono::seconds(30);

std::string describe(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

struct JobCounts {
  std::int64_t succeeded = 0, failed = 0, cancelled = 0;
};

JobCounts count_jobs(pqxx::connection& conn) {
  constexpr const char* kQuery =
      "SELECT count(*) FILTER (WHERE state = 'succeeded'), "
      "  count(*) FILTER (WHERE state = 'failed'), "
      "  count(*) FILTER (WHERE state = 'cancelled') FROM daap.jobs";
  const auto row = pqxx::nontransaction(conn).exec(kQuery).one_row();
  return {row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), row[2].as<std::int64_t>()};
}

}  // namespace

WorkerProcesses::WorkerProcesses(const Options& options, int count, std::optional<int> concurrency,
                                 const std::string& database_url)
    : bin_(options.worker_bin) {
  std::vector<std::string> args = {bin_, "--http-addr", "off", "--log-level", "warn"};
  if (concurrency) args.insert(args.end(), {"--concurrency", std::to_string(*concurrency)});
  args.insert(args.end(), options.worker_args.begin(), options.worker_args.end());
  auto argv = c_strings(args);
  // The URL goes through the environment, where `ps` does not show its password.
  auto env = child_environment({{"DATABASE_URL", database_url}});
  auto envp = c_strings(env);
  for (int i = 0; i < count; ++i) {
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, bin_.c_str(), nullptr, nullptr, argv.data(), envp.data());
    if (rc != 0) {
      stop();  // the ones already started: no destructor runs for a throwing constructor
      throw std::runtime_error("cannot start " + bin_ + ": " + std::strerror(rc) +
                               " (build it, or give --worker-bin)");
    }
    pids_.push_back(pid);
  }
}

WorkerProcesses::~WorkerProcesses() { stop(); }

void WorkerProcesses::check_alive() {
  for (auto& pid : pids_) {
    int status = 0;
    if (pid > 0 && waitpid(pid, &status, WNOHANG) == pid) {
      const auto dead = pid;
      pid = 0;
      throw std::runtime_error("daap-worker " + std::to_string(dead) + " exited early (" +
                               describe(status) + "): its log above says why");
    }
  }
}

void WorkerProcesses::stop() {
  for (const auto pid : pids_) {
    if (pid > 0) kill(pid, SIGTERM);
  }
  const auto deadline = SteadyClock::now() + kWorkerStopTimeout;
  for (auto& pid : pids_) {
    while (pid > 0) {
      int status = 0;
      const auto r = waitpid(pid, &status, WNOHANG);
      if (r == pid || (r < 0 && errno != EINTR)) {
        pid = 0;
      } else if (SteadyClock::now() > deadline) {
        std::cerr << "daap-bench: daap-worker " << pid << " ignored SIGTERM; killing it\n";
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        pid = 0;
      } else {
        std::this_thread::sleep_for(kPollInterval);
      }
    }
  }
}

// The 20 ms poll only probes the partial indexes of available and running jobs: counting every
// row that often would load the server it measures.
void wait_for_succeeded(pqxx::connection& conn, std::int64_t n, WorkerProcesses& workers,
                        std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (pqxx::nontransaction(conn).query_value<bool>(
      "SELECT EXISTS (SELECT 1 FROM daap.jobs WHERE state = 'available') "
      "    OR EXISTS (SELECT 1 FROM daap.jobs WHERE state = 'running')")) {
    workers.check_alive();
    if (SteadyClock::now() > deadline) {
      throw std::runtime_error("timed out after " + worker::format_duration(timeout) + " with " +
                               std::to_string(count_jobs(conn).succeeded) + " of " +
                               std::to_string(n) + " jobs succeeded (raise --timeout?)");
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  const auto counts = count_jobs(conn);
  if (counts.succeeded != n) {
    const auto error = pqxx::nontransaction(conn).query01<std::string>(
        "SELECT coalesce(last_error, '') FROM daap.jobs WHERE state <> 'succeeded' LIMIT 1");
    throw std::runtime_error(std::to_string(counts.succeeded) + " of " + std::to_string(n) +
                             " jobs succeeded, " + std::to_string(counts.failed) + " failed and " +
                             std::to_string(counts.cancelled) + " were cancelled; one error: '" +
                             (error ? std::get<0>(*error) : "") + "'");
  }
}

}  // namespace daap::bench
