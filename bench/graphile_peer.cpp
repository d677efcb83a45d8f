#include "bench/graphile_peer.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "bench/child_environment.h"
#include "worker/config.h"

namespace daap::bench {
namespace {

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// Runs argv[0] in `dir` with `env`; returns what it printed on stdout (stderr passes through).
std::string run_capturing_stdout(std::vector<std::string> args, std::vector<std::string> env,
                                 const std::string& dir) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  Fd read_end(fds[0]), write_end(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, read_end.get());
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  auto argv = c_strings(args);
  auto envp = c_strings(env);
  pid_t pid = 0;
  const int rc =
      posix_spawn(&pid, args.front().c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw std::runtime_error("cannot start " + args.front() + ": " + std::strerror(rc) +
                             " (run scripts/install-graphile, or give --node)");
  }
  write_end.reset();
  std::string out;
  char buffer[4096];
  for (;;) {
    const auto n = read(read_end.get(), buffer, sizeof buffer);
    if (n > 0) {
      out.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("Graphile's drain (" + args[1] + ") failed with " +
                             (WIFEXITED(status)
                                  ? "exit status " + std::to_string(WEXITSTATUS(status))
                                  : "signal " + std::to_string(WTERMSIG(status))) +
                             ": its messages above say why");
  }
  return out;
}

}  // namespace

void check_graphile_peer(const Options& options) {
  const auto missing = [](const std::string& path) {
    std::error_code ec;
    return path.empty() || !std::filesystem::exists(path, ec);
  };
  const std::string how = " (scripts/bench --compare graphile installs both and passes them)";
  if (missing(options.node_bin)) {
    throw worker::ConfigError("--node", "Node >= 22.18 is needed for --compare graphile, got '" +
                                            options.node_bin + "'" + how);
  }
  if (missing(options.graphile_dir + "/node_modules/graphile-worker/package.json")) {
    throw worker::ConfigError("--graphile-dir", "no node_modules/graphile-worker in '" +
                                                    options.graphile_dir + "'" + how);
  }
  if (missing(options.graphile_script)) {
    throw worker::ConfigError("--graphile-script",
                              "no such file '" + options.graphile_script + "'");
  }
}

GraphileDrain run_graphile_drain(const Options& options, const ScratchDatabase& scratch, int jobs,
                                 bool checkpoint) {
  std::vector<std::string> args = {options.node_bin,
                                   options.graphile_script,
                                   "--modules=" + options.graphile_dir,
                                   "--jobs=" + std::to_string(jobs),
                                   "--concurrency=" + std::to_string(kSideBySideConcurrency),
                                   "--timeout-ms=" + std::to_string(options.timeout.count())};
  if (checkpoint) args.emplace_back("--checkpoint");
  // In its own folder: Graphile looks for configuration files from the working directory up.
  const auto out =
      run_capturing_stdout(args, child_environment(scratch.pg_environment()), options.graphile_dir);
  try {
    // The report is the one line the script prints on stdout.
    const auto report = nlohmann::json::parse(out);
    GraphileDrain drain;
    drain.seconds = report.at("drain_ms").get<double>() / 1000;
    drain.version = report.at("graphile_worker").get<std::string>();
    drain.node = report.at("node").get<std::string>();
    if (report.at("jobs").get<int>() != jobs || drain.seconds <= 0) {
      throw std::runtime_error("it does not report " + std::to_string(jobs) + " jobs");
    }
    return drain;
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot read Graphile's drain report '" + out + "': " + e.what());
  }
}

}  // namespace daap::bench
