#include "tests/console/console_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "tests/support/eventually.h"
#include "tests/support/run_program.h"

extern char** environ;

namespace daap::test {
namespace {

std::string temp_file(const char* pattern, int& fd) {
  std::string path = pattern;
  fd = ::mkstemp(path.data());
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

ConsoleProcess::ConsoleProcess(const std::vector<std::string>& args,
                               const std::map<std::string, std::string>& env) {
  int out_fd = -1;
  int err_fd = -1;
  out_path_ = temp_file("/tmp/daap-console-out-XXXXXX", out_fd);
  err_path_ = temp_file("/tmp/daap-console-err-XXXXXX", err_fd);
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) merged[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  merged.erase("CONSOLE_TOKEN");
  for (const auto& [k, v] : env) merged[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : merged) env_strings.push_back(k + "=" + v);
  std::vector<std::string> argv_strings = {built_binary("worker/daapctl/daapctl"), "console"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv, envp;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out_fd);
  ::close(err_fd);
}

ConsoleProcess::~ConsoleProcess() {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
  ::unlink(out_path_.c_str());
  ::unlink(err_path_.c_str());
}

std::optional<int> ConsoleProcess::wait_listening(std::chrono::milliseconds timeout) {
  static const std::regex line(R"(console listening on http://[^:/]+:(\d+)/\n)");
  std::optional<int> port;
  eventually(
      [&] {
        std::smatch m;
        const auto text = out();
        if (std::regex_search(text, m, line)) port = std::stoi(m[1].str());
        return port.has_value() || wait_exit(std::chrono::milliseconds(0)).has_value();
      },
      timeout);
  return port;
}

void ConsoleProcess::signal(int sig) {
  if (!status_) ::kill(pid_, sig);
}

std::optional<int> ConsoleProcess::wait_exit(std::chrono::milliseconds timeout) {
  eventually(
      [this] {
        int st = 0;
        if (!status_ && ::waitpid(pid_, &st, WNOHANG) == pid_) {
          status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        return status_.has_value();
      },
      timeout);
  return status_;
}

std::string ConsoleProcess::out() const { return read_file(out_path_); }
std::string ConsoleProcess::err() const { return read_file(err_path_); }

}  // namespace daap::test
