// The README's claims about daapctl's configuration, through the real binary: every command
// reads DATABASE_URL or --database-url (the flag wins), exits 2 naming the setting without
// either, never prints a password, and neither reads nor offers the DB_* pool settings (it
// opens one connection).
#include <cstdlib>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/cli/daapctl_fixture.h"

namespace daap::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A server nobody listens on, with a password that must never be printed.
const std::string kNowhere = "postgresql://daap:s3cr3t-pw@127.0.0.1:1/daap?connect_timeout=2";

// Read-only commands, one per command family.
const std::vector<std::vector<std::string>> kCommands = {{"stats"},
                                                         {"workers"},
                                                         {"jobs", "list"},
                                                         {"queues", "list"},
                                                         {"periodic", "list"},
                                                         {"databases", "list"},
                                                         {"migrate", "version"}};

// Sets an environment variable for the children this test starts; unsets it after.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
    ::setenv(name_.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_.c_str()); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
};

class ConfigCommandTest : public DaapctlTest {
 protected:
  ProgramResult daapctl_with_url(const std::string& url, std::vector<std::string> args) {
    return run_program(built_binary("worker/daapctl/daapctl"), args, url);
  }
};

TEST_F(ConfigCommandTest, EveryCommandReadsDatabaseUrl) {
  for (const auto& args : kCommands) {
    const auto r = daapctl(args);
    EXPECT_EQ(r.status, 0) << args[0] << ": " << r.err;
  }
}

TEST_F(ConfigCommandTest, TheDatabaseUrlFlagBeatsTheEnvironmentInEveryCommand) {
  for (auto args : kCommands) {
    args.insert(args.end(), {"--database-url", database_url()});
    const auto r = daapctl_with_url(kNowhere, args);
    EXPECT_EQ(r.status, 0) << args[0] << ": " << r.err;
  }
  // And the other way round: the flag is what is used.
  const auto r = daapctl({"stats", "--database-url", kNowhere});
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_THAT(r.err, HasSubstr("cannot connect"));
  EXPECT_THAT(r.err, HasSubstr("port 1"));
}

TEST_F(ConfigCommandTest, WithoutADatabaseUrlEveryCommandExitsTwoNamingTheSetting) {
  for (const auto& args : kCommands) {
    const auto r = daapctl_with_url("", args);
    EXPECT_EQ(r.status, 2) << args[0] << ": " << r.out;
    EXPECT_THAT(r.err, HasSubstr("--database-url / DATABASE_URL")) << args[0];
  }
}

TEST_F(ConfigCommandTest, APasswordInTheUrlIsNeverPrinted) {
  for (const auto& url : {kNowhere, std::string("postgresql://daap:s3cr3t-pw@/daap?bogus=1"),
                          std::string("host=127.0.0.1 port=1 password=s3cr3t-pw nonsense")}) {
    const auto r = daapctl_with_url(url, {"stats"});
    EXPECT_NE(r.status, 0) << url;
    EXPECT_THAT(r.err + r.out, Not(HasSubstr("s3cr3t-pw"))) << r.err;
  }
}

// The worker's pool settings are often set in the same environment (one Secret for both):
// daapctl ignores them, however wrong, and has no flags for them.
TEST_F(ConfigCommandTest, ThePoolSettingsAreNeitherReadNorOffered) {
  const ScopedEnv max("DB_MAX_CONNS", "abc");
  const ScopedEnv min("DB_MIN_CONNS", "99");
  const ScopedEnv lifetime("DB_MAX_CONN_LIFETIME", "forever");
  const ScopedEnv idle("DB_MAX_CONN_IDLE_TIME", "-1");
  for (const auto& args : kCommands) {
    const auto r = daapctl(args);
    EXPECT_EQ(r.status, 0) << args[0] << ": " << r.err;
  }
  for (const char* flag :
       {"--db-max-conns", "--db-min-conns", "--db-max-conn-lifetime", "--db-max-conn-idle-time"}) {
    const auto r = daapctl({"stats", flag, "3"});
    EXPECT_EQ(r.status, 2) << flag;
    EXPECT_THAT(r.err, HasSubstr("unrecognised option")) << flag << ": " << r.err;
  }
}

}  // namespace
}  // namespace daap::test
