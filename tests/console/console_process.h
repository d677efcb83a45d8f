// Runs the real `daapctl console` as a child process and waits for it to listen.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace daap::test {

// `daapctl console ARGS` with `env` added to this process's environment; stdout and stderr go
// to files. SIGKILLed and reaped when destroyed if still running.
class ConsoleProcess {
 public:
  ConsoleProcess(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env);
  ~ConsoleProcess();
  ConsoleProcess(const ConsoleProcess&) = delete;
  ConsoleProcess& operator=(const ConsoleProcess&) = delete;

  // Waits for the "console listening on http://HOST:PORT/" line; returns PORT, or nullopt if
  // the process ended or `timeout` passed first.
  std::optional<int> wait_listening(std::chrono::milliseconds timeout);
  void signal(int sig);
  // The exit status (128 + signal when killed by one), or nullopt if still running.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  std::string out() const;
  std::string err() const;

 private:
  pid_t pid_ = -1;
  std::string out_path_, err_path_;
  std::optional<int> status_;
};

}  // namespace daap::test
