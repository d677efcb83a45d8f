// What the README promises about daapctl from the command line: --help on every command lists
// its flags, `migrate up N` and `goto V` move the schema, `jobs retry` is refused while another
// unfinished job holds the unique key.
#include <gmock/gmock.h>

#include "migrate/migrator.h"
#include "tests/cli/daapctl_fixture.h"

namespace daap::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

ProgramResult daapctl_without_database(const std::vector<std::string>& args) {
  return run_program(built_binary("worker/daapctl/daapctl"), args, "");
}

// Each command line of the README's CLI block, with the flags it names there.
TEST(DaapctlReadmeHelp, HelpOnEveryCommandExitsZeroListingItsFlags) {
  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> commands = {
      {{"migrate", "up"}, {}},
      {{"migrate", "down"}, {"--all"}},
      {{"migrate", "goto"}, {}},
      {{"migrate", "force"}, {}},
      {{"migrate", "version"}, {}},
      {{"enqueue"},
       {"--queue", "--priority", "--run-at", "--max-attempts", "--unique-key", "--timeout"}},
      {{"jobs", "list"}, {"--state", "--kind", "--queue", "--limit", "--output"}},
      {{"jobs", "show"}, {"--output"}},
      {{"jobs", "retry"}, {}},
      {{"jobs", "cancel"}, {}},
      {{"stats"}, {"--output"}},
      {{"workers"}, {"--output"}},
      {{"databases", "list"},
       {"--owner-team", "--status", "--namespace", "--name-contains", "--include-deleted", "--sort",
        "--limit", "--cursor", "--output"}},
      {{"databases", "show"}, {"--output"}},
      {{"databases", "retry"}, {}},
      {{"console"}, {"--addr", "--read-only", "--overview-max-age"}},
  };
  for (const auto& [words, flags] : commands) {
    auto args = words;
    args.push_back("--help");
    const auto r = daapctl_without_database(args);
    const std::string line = "daapctl " + ::testing::PrintToString(words);
    EXPECT_EQ(r.status, 0) << line << "\n" << r.out << r.err;
    EXPECT_THAT(r.out, StartsWith("usage: daapctl " + words[0])) << line;
    EXPECT_THAT(r.out, HasSubstr("--database-url")) << line;
    for (const auto& flag : flags) EXPECT_THAT(r.out, HasSubstr(flag)) << line;
  }
  const auto top = daapctl_without_database({"--help"});
  EXPECT_EQ(top.status, 0);
  for (const std::string command :
       {"migrate", "enqueue", "jobs", "stats", "workers", "databases", "console"}) {
    EXPECT_THAT(top.out, HasSubstr(command));
  }
}

class MigrateReadmeCommand : public ::testing::Test {
 protected:
  FreshDatabase db{FreshDatabase::Contents::empty};
  ProgramResult migrate(const std::vector<std::string>& words) {
    auto args = words;
    args.insert(args.begin(), "migrate");
    return run_program(built_binary("worker/daapctl/daapctl"), args, db.url());
  }
  std::optional<std::int64_t> version() {
    pqxx::connection conn(db.url());
    return migrate::Migrator(conn, migrate::load_migrations(DAAP_MIGRATIONS_DIR), "/" + db.name())
        .version()
        .version;
  }
  std::int64_t nth(std::size_t n) {
    return migrate::load_migrations(DAAP_MIGRATIONS_DIR).at(n - 1).version;
  }
};

TEST_F(MigrateReadmeCommand, UpNAppliesNMigrationsAndGotoMovesBothWays) {
  auto r = migrate({"up", "2"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(version(), nth(2));
  r = migrate({"up", "1"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(version(), nth(3));
  r = migrate({"goto", std::to_string(nth(5))});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(version(), nth(5));
  r = migrate({"goto", std::to_string(nth(1))});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(version(), nth(1));
  r = migrate({"version"});
  EXPECT_EQ(r.out, std::to_string(nth(1)) + "\n");
}

using DaapctlReadmeRetry = DaapctlTest;

TEST_F(DaapctlReadmeRetry, RetryIsRefusedWhileAnotherUnfinishedJobHoldsTheUniqueKey) {
  const auto failed = insert_job({.state = "failed"});
  exec("UPDATE daap.jobs SET unique_key = 'update:billing' WHERE id = $1", pqxx::params{failed});
  const auto holder = value<std::int64_t>(
      "SELECT daap.enqueue('noop', '{}', unique_key => "
      "'update:billing')");
  auto r = daapctl({"jobs", "retry", std::to_string(failed)});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("job " + std::to_string(holder))) << r.err;
  EXPECT_THAT(r.err, HasSubstr("update:billing")) << r.err;
  EXPECT_EQ(state_of(failed), "failed");

  // Once the holder has finished, the key is free and the retry goes through.
  exec(
      "UPDATE daap.jobs SET state = 'succeeded', attempt = 1, started_at = now(), "
      "finished_at = now() WHERE id = $1",
      pqxx::params{holder});
  r = daapctl({"jobs", "retry", std::to_string(failed)});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(state_of(failed), "available");
}

}  // namespace
}  // namespace daap::test
