// daapctl migrate, as an operator runs it: the binary as a child process, with the URLs,
// exit statuses and lock that golang-migrate's `migrate` CLI (v4) has for the same database.
#include <algorithm>
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "migrate/migrator.h"
#include "tests/migrate/lock_waiters.h"
#include "tests/support/eventually.h"
#include "tests/support/run_program.h"
#include "tests/support/test_database.h"

namespace daap::migrate {
namespace {

using namespace std::chrono_literals;
using test::eventually;
using test::FreshDatabase;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// `url` with `param` (key=value) added to its query.
std::string with_param(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

// `url` naming its database by a dbname= parameter instead of its path: with no path at all,
// or with the bare path "/" when `slash`.
std::string with_dbname_param(const std::string& url, const std::string& dbname, bool slash) {
  const auto query = url.find('?');
  const auto path = url.find('/', url.find("://") + 3);
  const std::string base = url.substr(0, std::min(path, query)) + (slash ? "/" : "");
  const std::string params = query == std::string::npos ? "" : url.substr(query + 1) + "&";
  return base + "?" + params + "dbname=" + dbname;
}

class MigrateCommand : public ::testing::Test {
 protected:
  FreshDatabase db{FreshDatabase::Contents::empty};

  // daapctl migrate ARGS with DATABASE_URL set to `url` (the test database's by default).
  test::ProgramResult daapctl(std::vector<std::string> args, const std::string& url = "") {
    args.insert(args.begin(), "migrate");
    return test::run_program(test::built_binary("worker/daapctl/daapctl"), args,
                             url.empty() ? db.url() : url);
  }

  pqxx::connection& conn() {
    if (!conn_) conn_ = std::make_unique<pqxx::connection>(db.url());
    return *conn_;
  }
  Migrator migrator() {
    return Migrator(conn(), load_migrations(DAAP_MIGRATIONS_DIR), "/" + db.name());
  }
  VersionState version() { return migrator().version(); }
  std::int64_t latest() { return migrator().latest_version(); }
  // The version the n-th migration (from 1) records.
  std::int64_t nth_version(std::size_t n) {
    return load_migrations(DAAP_MIGRATIONS_DIR).at(n - 1).version;
  }
  bool schema_exists() {
    return pqxx::nontransaction(conn()).query_value<bool>(
        "SELECT count(*) > 0 FROM pg_namespace WHERE nspname = 'daap'");
  }

  // `daapctl migrate up` with `url` while another session holds advisory lock `id`: daapctl
  // must wait for exactly that lock (golang-migrate's for this URL), then migrate.
  void expect_up_waits_for_lock(const std::string& url, std::int64_t id) {
    pqxx::connection holder(db.url()), observer(db.url());
    pqxx::nontransaction(holder).exec("SELECT pg_advisory_lock($1)", pqxx::params{id});
    std::atomic<bool> finished{false};
    test::ProgramResult result;
    std::thread runner([&] {
      result = daapctl({"up"}, url);
      finished = true;
    });
    const bool waited =
        eventually([&] { return finished || test::lock_waiters(observer, id) == 1; }, 60s) &&
        !finished;
    const bool untouched = !schema_exists();
    pqxx::nontransaction(holder).exec("SELECT pg_advisory_unlock($1)", pqxx::params{id});
    runner.join();
    EXPECT_TRUE(waited) << "daapctl migrate up did not wait for lock " << id
                        << ", which golang-migrate takes for ..." << url.substr(url.find('@'))
                        << ":\n"
                        << result.out << result.err;
    EXPECT_TRUE(untouched) << "it migrated while another session held the lock";
    EXPECT_EQ(result.status, 0) << result.err;
    EXPECT_EQ(version().version, latest());
  }

 private:
  std::unique_ptr<pqxx::connection> conn_;
};

TEST_F(MigrateCommand, UpThenVersionReportsTheLatest) {
  auto r = daapctl({"up"});
  EXPECT_EQ(r.status, 0) << r.err;
  r = daapctl({"version"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, std::to_string(latest()) + "\n");
  r = daapctl({"down", "--all"});
  EXPECT_EQ(r.status, 0) << r.err;
  r = daapctl({"version"});
  EXPECT_EQ(r.out, "no migration applied\n");
}

TEST_F(MigrateCommand, DirtyDatabaseIsRefusedWithRecoveryAdvice) {
  migrator().up(1);
  pqxx::nontransaction(conn()).exec("UPDATE public.schema_migrations SET dirty = true");
  auto r = daapctl({"up"});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, "dirty at version 1")) << r.err;
  EXPECT_TRUE(contains(r.err, "daapctl migrate force")) << r.err;
  r = daapctl({"force", "1"});
  EXPECT_EQ(r.status, 0) << r.err;
  r = daapctl({"up"});
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST_F(MigrateCommand, BadArgumentsExitTwoNamingTheProblem) {
  auto r = daapctl({"down"});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(contains(r.err, "down needs N or --all")) << r.err;
  r = daapctl({"up", "abc"});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(contains(r.err, "'abc'")) << r.err;
}

TEST_F(MigrateCommand, UnreachableDatabaseDoesNotPrintThePassword) {
  auto r = daapctl({"version"}, "postgresql://daap:s3cretpw@127.0.0.1:1/daap");
  EXPECT_EQ(r.status, 1);
  EXPECT_FALSE(contains(r.out + r.err, "s3cretpw")) << r.out << r.err;
}

// The lock: golang-migrate names the database by the URL's path, slash included, or asks
// current_database() when the URL has none.

TEST_F(MigrateCommand, UrlWithADatabasePathTakesTheLockOfThatSlashedPath) {
  expect_up_waits_for_lock(db.url(), advisory_lock_id("/" + db.name(), "public"));
}

TEST_F(MigrateCommand, UrlWithoutAPathTakesTheLockOfTheCurrentDatabase) {
  expect_up_waits_for_lock(with_dbname_param(db.url(), db.name(), false),
                           advisory_lock_id(db.name(), "public"));
}

TEST_F(MigrateCommand, UrlWithABarePathTakesTheLockOfTheSlashAlone) {
  expect_up_waits_for_lock(with_dbname_param(db.url(), db.name(), true),
                           advisory_lock_id("/", "public"));
}

TEST_F(MigrateCommand, GolangMigratesSearchPathUrlIsAcceptedWithTheSameLock) {
  // The README's URL for golang-migrate, and its own parameters: one URL for both tools.
  const auto url = with_param(db.url(), "search_path=public&x-multi-statement=true");
  expect_up_waits_for_lock(url, advisory_lock_id("/" + db.name(), "public"));
  const auto r = daapctl({"version"}, url);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, std::to_string(latest()) + "\n");
}

TEST_F(MigrateCommand, AnotherHistoryTableInTheUrlIsRefusedBeforeConnecting) {
  const auto r = daapctl({"up"}, with_param(db.url(), "x-migrations-table=my_history"));
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "x-migrations-table=my_history")) << r.err;
  EXPECT_TRUE(contains(r.err, "public.schema_migrations")) << r.err;
  EXPECT_FALSE(pqxx::nontransaction(conn()).query_value<bool>(
      "SELECT to_regclass('public.schema_migrations') IS NOT NULL"));
}

// Exit statuses: golang-migrate fails `up N` and `down N` that cannot take N steps (after
// taking those it can), while `up`, `down --all` and `goto` with nothing to do succeed.

TEST_F(MigrateCommand, UpNAtTheLatestVersionFailsAndChangesNothing) {
  ASSERT_EQ(daapctl({"up"}).status, 0);
  const auto r = daapctl({"up", "20"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "up 20: no migration was left to apply")) << r.err;
  EXPECT_TRUE(contains(r.err, "the latest version, " + std::to_string(latest()))) << r.err;
  EXPECT_EQ(version().version, latest());
  EXPECT_FALSE(version().dirty);
}

TEST_F(MigrateCommand, UpNBeyondTheLatestAppliesWhatIsLeftThenFails) {
  ASSERT_EQ(daapctl({"up"}).status, 0);
  ASSERT_EQ(daapctl({"down", "2"}).status, 0);
  const auto r = daapctl({"up", "20"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "applied 2 migration(s)")) << r.out;
  EXPECT_TRUE(contains(r.err, "only 2 migration(s) were left to apply")) << r.err;
  EXPECT_EQ(version().version, latest());
}

TEST_F(MigrateCommand, DownNBeyondTheFirstRevertsEverythingThenFails) {
  ASSERT_EQ(daapctl({"up", "3"}).status, 0);
  const auto r = daapctl({"down", "20"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "reverted 3 migration(s)")) << r.out;
  EXPECT_TRUE(contains(r.err, "only 3 migration(s) were applied")) << r.err;
  EXPECT_EQ(version().version, std::nullopt);
  EXPECT_FALSE(schema_exists());
}

TEST_F(MigrateCommand, DownNWithNothingAppliedFails) {
  const auto r = daapctl({"down", "1"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "no migration is applied")) << r.err;
  EXPECT_EQ(version().version, std::nullopt);
}

TEST_F(MigrateCommand, NothingToDoWithoutACountSucceedsWithNoChange) {
  auto r = daapctl({"down", "--all"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "no change; version no migration applied\n");
  ASSERT_EQ(daapctl({"up"}).status, 0);
  r = daapctl({"up"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "no change; version " + std::to_string(latest()) + "\n");
  r = daapctl({"goto", std::to_string(latest())});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(version().version, latest());
}

TEST_F(MigrateCommand, GotoAnUnknownVersionNamesItAndLeavesTheDatabaseWhereItWas) {
  ASSERT_EQ(daapctl({"goto", std::to_string(nth_version(2))}).status, 0);
  const auto unknown = std::to_string(latest() + 91);
  const auto r = daapctl({"goto", unknown});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "there is no migration " + unknown)) << r.err;
  EXPECT_FALSE(contains(r.out + r.err, "at version " + unknown)) << r.out << r.err;
  EXPECT_EQ(version().version, nth_version(2));
}

// golang-migrate run without search_path=public (its table in current_schema(), "daap" for a
// role named daap once 001 has run) leaves a second, stray history behind.

TEST_F(MigrateCommand, AStrayGolangMigrateHistoryIsRefusedSayingHowToRemoveIt) {
  ASSERT_EQ(daapctl({"up"}).status, 0);
  pqxx::nontransaction(conn()).exec(
      "CREATE TABLE daap.schema_migrations (version bigint not null primary key, "
      "dirty boolean not null)");
  auto r = daapctl({"down", "--all"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "DROP TABLE daap.schema_migrations")) << r.err;
  EXPECT_TRUE(contains(r.err, "search_path=public")) << r.err;
  EXPECT_TRUE(contains(r.err, "nothing was changed")) << r.err;
  EXPECT_EQ(version().version, latest());
  EXPECT_FALSE(version().dirty) << "refused before any step, unlike a failing 001 down";

  r = daapctl({"version"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "warning: daap.schema_migrations exists")) << r.err;

  pqxx::nontransaction(conn()).exec("DROP TABLE daap.schema_migrations");
  r = daapctl({"down", "--all"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(version().version, std::nullopt);
  EXPECT_FALSE(schema_exists());
}

}  // namespace
}  // namespace daap::migrate
