#include "tests/support/run_program.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <utility>

extern char** environ;

namespace daap::test {
namespace {

// A temporary file that is removed when this object goes away.
class TempFile {
 public:
  TempFile() {
    std::string pattern = "/tmp/daap-cli-test.XXXXXX";
    const int fd = mkstemp(pattern.data());
    if (fd < 0) throw std::runtime_error("mkstemp: " + std::string(std::strerror(errno)));
    close(fd);
    path_ = pattern;
  }
  ~TempFile() { unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }
  std::string contents() const {
    std::ifstream in(path_, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }

 private:
  std::string path_;
};

// Runs argv_storage[0] with `env` and waits for it to end.
ProgramResult spawn_and_wait(std::vector<std::string> argv_storage, std::vector<std::string> env);

}  // namespace

ProgramResult run_program(const std::string& program, const std::vector<std::string>& args,
                          const std::string& database_url) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "DATABASE_URL=", 13) != 0) env.emplace_back(*e);
  }
  if (!database_url.empty()) env.push_back("DATABASE_URL=" + database_url);
  std::vector<std::string> argv_storage = {program};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  return spawn_and_wait(std::move(argv_storage), std::move(env));
}

ProgramResult run_shell(const std::string& command) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  return spawn_and_wait({"/bin/sh", "-c", command}, std::move(env));
}

namespace {

ProgramResult spawn_and_wait(std::vector<std::string> argv_storage, std::vector<std::string> env) {
  const std::string program = argv_storage.front();
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  TempFile out, err;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.path().c_str(), O_WRONLY | O_TRUNC,
                                   0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.path().c_str(), O_WRONLY | O_TRUNC,
                                   0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot run " + program + ": " + std::strerror(rc));

  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid: " + std::string(std::strerror(errno)));
  }
  ProgramResult result;
  result.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  result.out = out.contents();
  result.err = err.contents();
  return result;
}

}  // namespace

std::string built_binary(const std::string& relative_path) {
  const char* root = std::getenv("DAAP_BUILD_ROOT");
  if (root == nullptr || *root == '\0') {
    throw std::runtime_error("DAAP_BUILD_ROOT is not set: run the tests with meson test");
  }
  return std::string(root) + "/" + relative_path;
}

}  // namespace daap::test
