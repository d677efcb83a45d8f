// scripts/pg-embedded, the throwaway server of the README's commands and of several tests, run
// from a working directory that the `postgres` user may not enter (a clone under /root, a
// mktemp -d folder): its standard output is one URL that connects, and it warns of nothing.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tests/support/run_program.h"

namespace daap::test {
namespace {

namespace fs = std::filesystem;

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A directory of mode 0700 (owned by whoever runs the test: root in CI), removed at the end.
class PrivateDirectory {
 public:
  explicit PrivateDirectory(const std::string& prefix) {
    std::string pattern = (fs::temp_directory_path() / (prefix + "XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
    ::chmod(path_.c_str(), 0700);
  }
  ~PrivateDirectory() { fs::remove_all(path_); }
  PrivateDirectory(const PrivateDirectory&) = delete;
  PrivateDirectory& operator=(const PrivateDirectory&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string script() {
  const char* root = std::getenv("DAAP_SOURCE_ROOT");
  if (root == nullptr) throw std::runtime_error("DAAP_SOURCE_ROOT is not set: run with meson test");
  return std::string(root) + "/scripts/pg-embedded";
}

TEST(PgEmbedded, FromAPrivateWorkingDirectoryItPrintsOneUrlThatConnectsAndNoWarning) {
  const PrivateDirectory cwd("daap-private-cwd-");
  const PrivateDirectory cluster("daap-embedded-");
  const auto data = cluster.path() / "pg";
  const auto started =
      run_shell("cd " + quoted(cwd.path().string()) + " && " + quoted(script()) + " start " +
                quoted(data.string()));
  // Stopped whatever the assertions below find.
  struct Stop {
    std::string command;
    ~Stop() { run_shell(command); }
  } stop{"cd " + quoted(cwd.path().string()) + " && " + quoted(script()) + " stop " +
         quoted(data.string())};

  struct stat st {};
  ASSERT_EQ(::stat(cwd.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u) << "the working directory must stay private for the check";
  if (::geteuid() == 0) {
    EXPECT_EQ(st.st_uid, 0u);  // as root, the server's commands run as postgres: the real case
  }

  ASSERT_EQ(started.status, 0) << started.err;
  EXPECT_EQ(started.err.find("could not change directory"), std::string::npos) << started.err;
  ASSERT_FALSE(started.out.empty()) << started.err;
  ASSERT_EQ(started.out.find('\n'), started.out.size() - 1)
      << "standard output must be exactly one line, the URL: '" << started.out << "'";
  const auto url = started.out.substr(0, started.out.size() - 1);
  EXPECT_EQ(url.rfind("postgresql://daap:", 0), 0u) << url;

  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  EXPECT_EQ(tx.query_value<std::string>("SELECT current_database()"), "daap");

  const auto again = run_shell("cd " + quoted(cwd.path().string()) + " && " + quoted(script()) +
                               " url " + quoted(data.string()));
  EXPECT_EQ(again.out, started.out) << again.err;
  EXPECT_TRUE(again.err.empty()) << again.err;
}

}  // namespace
}  // namespace daap::test
