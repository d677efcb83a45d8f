// daapctl --help, COMMAND --help, COMMAND ACTION --help and --version: what a user types, no
// internal names.
#include <gmock/gmock.h>

#include "tests/cli/daapctl_fixture.h"

namespace daap::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class HelpCommandTest : public DaapctlTest {};

TEST_F(HelpCommandTest, TopLevelUsageListsEveryCommandAndAction) {
  const auto r = daapctl({"--help"});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const std::string command :
       {"migrate up", "databases list", "show ID|NAME", "retry ID|NAME", "enqueue KIND JSON",
        "reconcile [ID|NAME]", "jobs list", "jobs show ID", "jobs retry|cancel|run-now|delete ID",
        "queues list", "periodic list", "periodic add NAME", "stats", "workers",
        "console [--addr HOST:PORT]", "--version"}) {
    EXPECT_THAT(r.out, HasSubstr(command));
  }
}

TEST_F(HelpCommandTest, CommandHelpShowsNoPositionalNamesAndNoPoolFlags) {
  for (const std::string command : {"migrate", "databases", "enqueue", "jobs", "queues",
                                    "periodic", "stats", "workers", "console"}) {
    const auto r = daapctl({command, "--help"});
    ASSERT_EQ(r.status, 0) << command << ": " << r.err;
    EXPECT_THAT(r.out, HasSubstr("--database-url")) << command;
    for (const std::string internal : {"--action", "--argument", "--id ", "--json", "--db-max-conns",
                                       "--db-min-conns", "--db-max-conn-lifetime"}) {
      EXPECT_THAT(r.out, Not(HasSubstr(internal))) << command << " --help:\n" << r.out;
    }
  }
  EXPECT_THAT(daapctl({"enqueue", "--help"}).out, Not(HasSubstr("--kind")));
  EXPECT_THAT(daapctl({"jobs", "--help"}).out, HasSubstr("--kind"));  // list's filter
}

TEST_F(HelpCommandTest, JobsShowHelpIsThatActionsHelp) {
  const auto r = daapctl({"jobs", "show", "--help"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("usage: daapctl jobs show ID"));
  EXPECT_THAT(r.out, HasSubstr("--output"));
  EXPECT_THAT(r.out, Not(HasSubstr("--state")));
  EXPECT_THAT(r.out, Not(HasSubstr("jobs list")));
  const auto list = daapctl({"jobs", "list", "--help"});
  EXPECT_THAT(list.out, HasSubstr("--state"));
  EXPECT_THAT(list.out, Not(HasSubstr("jobs show")));
}

TEST_F(HelpCommandTest, VersionNamesThisBuildLibpqxxAndTheServer) {
  const auto r = daapctl({"--version"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto server = value<int>("SELECT current_setting('server_version_num')::int");
  EXPECT_THAT(r.out, HasSubstr("daapctl " DAAP_VERSION "\n"));
  EXPECT_THAT(r.out, HasSubstr("libpqxx " PQXX_VERSION "\n"));
  EXPECT_THAT(r.out, HasSubstr("PostgreSQL server " + std::to_string(server / 10000) + "." +
                               std::to_string(server % 10000) + "\n"));
}

TEST_F(HelpCommandTest, VersionSaysUnreachableWithoutAServer) {
  const auto r = run_program(built_binary("worker/daapctl/daapctl"), {"--version"},
                             "postgres://nobody@127.0.0.1:1/none?connect_timeout=2");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("libpqxx " PQXX_VERSION "\n"));
  EXPECT_THAT(r.out, HasSubstr("PostgreSQL server unreachable\n"));
}

}  // namespace
}  // namespace daap::test
