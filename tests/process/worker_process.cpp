#include "tests/process/worker_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace daap::test {

std::string worker_binary() {
  const char* root = std::getenv("DAAP_BUILD_ROOT");
  if (root == nullptr)
    throw std::runtime_error("DAAP_BUILD_ROOT is not set (run through meson test)");
  return std::string(root) + "/worker/daap_worker/daap-worker";
}

WorkerProcess::WorkerProcess(const std::vector<std::string>& args,
                             const std::map<std::string, std::string>& env) {
  char path[] = "/tmp/daap-worker-test-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  log_path_ = path;

  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) merged[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  merged["DAAP_TEST_HANDLERS"] = "1";
  for (const auto& [k, v] : env) merged[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : merged) env_strings.push_back(k + "=" + v);
  std::vector<std::string> argv_strings = {worker_binary()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv, envp;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close(fd);
    ::execve(argv[0], argv.data(), envp.data());
    const char msg[] = "execve of daap-worker failed\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(fd);
}

WorkerProcess::~WorkerProcess() {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
  if (!log_path_.empty()) ::unlink(log_path_.c_str());
}

void WorkerProcess::signal(int sig) {
  if (!status_) ::kill(pid_, sig);
}

std::optional<int> WorkerProcess::wait_exit(std::chrono::milliseconds timeout) {
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

bool WorkerProcess::running() { return !wait_exit(std::chrono::milliseconds(0)).has_value(); }

std::string WorkerProcess::output() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::map<std::string, std::string> worker_env(const std::string& url) {
  return {{"DATABASE_URL", url},
          {"HTTP_ADDR", "off"},
          {"POLL_INTERVAL", "200ms"},
          {"LOG_LEVEL", "info"}};
}

std::int64_t query_int(const std::string& url, const std::string& sql) {
  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  return tx.query_value<std::int64_t>(sql);
}

void exec_sql(const std::string& url, const std::string& sql) {
  pqxx::connection conn(url);
  pqxx::work tx(conn);
  tx.exec(sql);
  tx.commit();
}

void create_effects_table(const std::string& url) {
  exec_sql(url, "CREATE TABLE test_effects (job_id bigint NOT NULL, attempt int NOT NULL)");
}

void insert_jobs(const std::string& url, const std::string& kind, int count,
                 const std::string& payload) {
  pqxx::connection conn(url);
  pqxx::work tx(conn);
  tx.exec("INSERT INTO daap.jobs (kind, payload) SELECT $1, $2::jsonb FROM generate_series(1, $3)",
          pqxx::params{kind, payload, count});
  tx.commit();
}

int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(s);
    throw std::runtime_error("cannot bind a free port");
  }
  socklen_t len = sizeof addr;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(s);
  return ntohs(addr.sin_port);
}

}  // namespace daap::test
