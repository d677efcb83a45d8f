// The migrator against a real PostgreSQL: golang-migrate's table, dirtiness and lock.
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "migrate/migrator.h"
#include "tests/migrate/lock_waiters.h"
#include "tests/support/eventually.h"
#include "tests/support/run_program.h"
#include "tests/support/test_database.h"

namespace daap::migrate {
namespace {

using daap::test::FreshDatabase;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string schema_dump(const std::string& url) {
  // pg_dump of everything but the tracking table, whose contents are the point of change.
  auto r = daap::test::run_shell("pg_dump --schema-only --no-owner --exclude-table=public.schema_migrations '" +
               url + "'");
  EXPECT_EQ(r.status, 0) << r.err;
  // pg_dump >= 15.14 brackets the dump with \restrict/\unrestrict lines holding a random key.
  std::string kept;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("\\restrict ", 0) == 0 || line.rfind("\\unrestrict ", 0) == 0) continue;
    kept += line + "\n";
  }
  return kept;
}

// What `diff -u` says between two schema dumps: empty when they are the same.
std::string schema_diff(const std::string& expected, const std::string& actual) {
  if (expected == actual) return "";
  const auto dir = fs::temp_directory_path();
  const auto a = dir / ("daap-schema-expected-" + std::to_string(getpid()));
  const auto b = dir / ("daap-schema-actual-" + std::to_string(getpid()));
  std::ofstream(a) << expected;
  std::ofstream(b) << actual;
  const auto r = daap::test::run_shell("diff -u '" + a.string() + "' '" + b.string() + "'");
  fs::remove(a);
  fs::remove(b);
  return r.out.empty() ? "(the dumps differ, but diff found no difference: " + r.err + ")" : r.out;
}

std::vector<Migration> real_migrations() { return load_migrations(DAAP_MIGRATIONS_DIR); }

// A temporary copy of the real migrations with extra files added.
class MigrationDir {
 public:
  MigrationDir() : path_(fs::temp_directory_path() / ("daap-mig-" + std::to_string(getpid()) +
                                                       "-" + std::to_string(counter_++))) {
    fs::create_directories(path_);
    for (const auto& entry : fs::directory_iterator(DAAP_MIGRATIONS_DIR)) {
      fs::copy_file(entry.path(), path_ / entry.path().filename());
    }
  }
  ~MigrationDir() { fs::remove_all(path_); }
  void write(const std::string& name, const std::string& body) {
    std::ofstream(path_ / name) << body;
  }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

TEST(AdvisoryLockId, MatchesGolangMigrateForTheDefaultSchemaAndTable) {
  // Cross-checked with Python: zlib.crc32(b"public\0schema_migrations\0/daap") * 1486364155
  // % 2**32.
  EXPECT_EQ(advisory_lock_id("/daap", "public"), 2355729393);
  EXPECT_EQ(crc32_ieee("123456789"), 0xCBF43926U);  // the CRC-32 check value
}

TEST(LoadMigrations, RefusesAnUpWithoutItsDown) {
  MigrationDir dir;
  dir.write("009_half.up.sql", "SELECT 1;");
  EXPECT_THROW(load_migrations(dir.path()), MigrationFilesError);
}

TEST(LoadMigrations, SortsByVersionAndPairsFiles) {
  const auto migrations = real_migrations();
  ASSERT_GE(migrations.size(), 2U);
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    EXPECT_LT(migrations[i - 1].version, migrations[i].version);
  }
  EXPECT_EQ(migrations.front().description, "create_databases_table");
}

TEST(Migrator, UpAppliesEverythingAndRecordsOneCleanRow) {
  FreshDatabase db(FreshDatabase::Contents::empty);
  pqxx::connection conn(db.url());
  Migrator migrator(conn, real_migrations(), "/" + db.name());
  const int ran = migrator.up();
  EXPECT_EQ(ran, static_cast<int>(real_migrations().size()));
  {
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec("SELECT version, dirty FROM public.schema_migrations");
    ASSERT_EQ(rows.size(), 1U);
    EXPECT_EQ(rows[0][0].as<std::int64_t>(), migrator.latest_version());
    EXPECT_FALSE(rows[0][1].as<bool>());
  }
  EXPECT_EQ(migrator.up(), 0) << "a second up has nothing to do";
}

TEST(Migrator, TrackingTableHasGolangMigratesShape) {
  FreshDatabase db(FreshDatabase::Contents::empty);
  pqxx::connection conn(db.url());
  Migrator(conn, real_migrations(), "/" + db.name()).up(1);
  pqxx::nontransaction tx(conn);
  auto cols = tx.exec(
      "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
      "WHERE table_schema = 'public' AND table_name = 'schema_migrations' ORDER BY ordinal_position");
  ASSERT_EQ(cols.size(), 2U);
  EXPECT_EQ(cols[0][0].as<std::string>(), "version");
  EXPECT_EQ(cols[0][1].as<std::string>(), "bigint");
  EXPECT_EQ(cols[0][2].as<std::string>(), "NO");
  EXPECT_EQ(cols[1][0].as<std::string>(), "dirty");
  EXPECT_EQ(cols[1][1].as<std::string>(), "boolean");
  EXPECT_EQ(tx.query_value<std::string>(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'public.schema_migrations'::regclass "
                "AND i.indisprimary"),
            "version");
}

TEST(Migrator, EveryDownFullyReversesItsUp) {
  FreshDatabase db(FreshDatabase::Contents::empty);
  pqxx::connection conn(db.url());
  Migrator migrator(conn, real_migrations(), "/" + db.name());
  const std::string empty = schema_dump(db.url());
  std::vector<std::string> dumps{empty};
  for (std::size_t i = 0; i < real_migrations().size(); ++i) {
    ASSERT_EQ(migrator.up(1), 1);
    dumps.push_back(schema_dump(db.url()));
  }
  for (std::size_t i = real_migrations().size(); i > 0; --i) {
    ASSERT_EQ(migrator.down(1), 1);
    const auto diff = schema_diff(dumps[i - 1], schema_dump(db.url()));
    EXPECT_TRUE(diff.empty()) << "the schema after reverting "
                              << real_migrations()[i - 1].description
                              << " differs from the one before it ran:\n"
                              << diff;
  }
  EXPECT_FALSE(migrator.version().version.has_value());
  pqxx::nontransaction tx(conn);
  EXPECT_EQ(tx.query_value<int>("SELECT count(*) FROM public.schema_migrations"), 0);
  EXPECT_EQ(tx.query_value<int>("SELECT count(*) FROM pg_namespace WHERE nspname = 'daap'"), 0);
}

TEST(Migrator, UpDownUpGivesAnIdenticalSchema) {
  FreshDatabase db(FreshDatabase::Contents::empty);
  pqxx::connection conn(db.url());
  Migrator migrator(conn, real_migrations(), "/" + db.name());
  migrator.up();
  const std::string first = schema_dump(db.url());
  migrator.down();
  migrator.up();
  const auto diff = schema_diff(first, schema_dump(db.url()));
  EXPECT_TRUE(diff.empty()) << "the schema differs after up, down --all, up:\n" << diff;
}

TEST(Migrator, ThePlatformDatabaseIsClosedToPublicAndReopenedByDown) {
  // Database ACLs are not copied into clones: migrate from empty.
  FreshDatabase db(FreshDatabase::Contents::empty);
  pqxx::connection conn(db.url());
  const auto migrations = real_migrations();
  const auto it = std::find_if(migrations.begin(), migrations.end(), [](const Migration& m) {
    return m.description == "revoke_platform_database_connect_from_public";
  });
  ASSERT_NE(it, migrations.end());
  const auto before = it == migrations.begin() ? 0 : std::prev(it)->version;
  Migrator migrator(conn, migrations, "/" + db.name());
  const auto may_connect = [&](const std::string& role) {
    return pqxx::nontransaction(conn).query_value<bool>(
        "SELECT has_database_privilege(" + conn.quote(role) + ", current_database(), 'CONNECT')");
  };
  const auto me = pqxx::nontransaction(conn).query_value<std::string>("SELECT current_user");
  migrator.go_to(before);
  EXPECT_TRUE(may_connect("public"));
  migrator.go_to(it->version);
  EXPECT_FALSE(may_connect("public"));
  EXPECT_TRUE(may_connect(me));
  migrator.go_to(before);
  EXPECT_TRUE(may_connect("public"));
}

TEST(Migrator, FailingMigrationLeavesDirtyAndBlocksUntilForced) {
  FreshDatabase db(FreshDatabase::Contents::empty);
  MigrationDir dir;
  dir.write("900_broken.up.sql", "CREATE TABLE daap.ok_part (id int);\nSELECT no_such_function();");
  dir.write("900_broken.down.sql", "DROP TABLE IF EXISTS daap.ok_part;");
  pqxx::connection conn(db.url());
  Migrator migrator(conn, load_migrations(dir.path()), "/" + db.name());
  EXPECT_THROW(migrator.up(), MigrateError);
  auto state = migrator.version();
  ASSERT_TRUE(state.version.has_value());
  EXPECT_EQ(*state.version, 900);
  EXPECT_TRUE(state.dirty);

  try {
    migrator.up();
    FAIL() << "a dirty database must refuse to migrate";
  } catch (const DirtyError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("dirty at version 900"), std::string::npos) << message;
    EXPECT_NE(message.find("force"), std::string::npos) << message;
  }
  EXPECT_THROW(migrator.down(1), DirtyError);

  // Recover as an operator would: fix the file, force the version before it, migrate again.
  dir.write("900_broken.up.sql", "CREATE TABLE IF NOT EXISTS daap.ok_part (id int);");
  Migrator fixed(conn, load_migrations(dir.path()), "/" + db.name());
  fixed.force(real_migrations().back().version);
  EXPECT_EQ(fixed.up(), 1);
  state = fixed.version();
  EXPECT_EQ(state.version.value_or(0), 900);
  EXPECT_FALSE(state.dirty);
}

TEST(Migrator, GotoMovesUpAndDownToTheExactVersion) {
  FreshDatabase db(FreshDatabase::Contents::empty);
  pqxx::connection conn(db.url());
  Migrator migrator(conn, real_migrations(), "/" + db.name());
  const auto first = real_migrations().front().version;
  migrator.go_to(migrator.latest_version());
  EXPECT_EQ(migrator.version().version.value_or(0), migrator.latest_version());
  migrator.go_to(first);
  EXPECT_EQ(migrator.version().version.value_or(0), first);
}

TEST(Migrator, GotoAnUnknownVersionSaysNoMigrationHasItAndStaysPut) {
  FreshDatabase db(FreshDatabase::Contents::empty);
  pqxx::connection conn(db.url());
  Migrator migrator(conn, real_migrations(), "/" + db.name());
  migrator.up(1);
  const auto unknown = migrator.latest_version() + 91;
  try {
    migrator.go_to(unknown);
    FAIL() << "goto " << unknown << " went somewhere";
  } catch (const MigrateError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("there is no migration " + std::to_string(unknown)), std::string::npos)
        << message;
    EXPECT_EQ(message.find("database is at version"), std::string::npos) << message;
  }
  EXPECT_EQ(migrator.version().version.value_or(0), real_migrations().front().version);
}

// What golang-migrate leaves when run without search_path=public by a role named like schema
// daap: its own, empty history table in current_schema().
void create_stray_history(pqxx::connection& conn) {
  pqxx::nontransaction(conn).exec(
      "CREATE TABLE IF NOT EXISTS daap.schema_migrations (version bigint not null primary key, "
      "dirty boolean not null)");
}

TEST(Migrator, AStrayGolangMigrateHistoryStopsUpDownAndGotoBeforeAnyStep) {
  FreshDatabase db(FreshDatabase::Contents::empty);
  pqxx::connection conn(db.url());
  Migrator migrator(conn, real_migrations(), "/" + db.name());
  migrator.up(2);
  create_stray_history(conn);
  EXPECT_THROW(migrator.down(), StrayHistoryError);
  EXPECT_THROW(migrator.up(), StrayHistoryError);
  EXPECT_THROW(migrator.go_to(real_migrations().front().version), StrayHistoryError);
  const auto state = migrator.version();
  EXPECT_EQ(state.version.value_or(0), real_migrations().at(1).version);
  EXPECT_FALSE(state.dirty);
  ASSERT_TRUE(migrator.stray_history().has_value());
  EXPECT_NE(migrator.stray_history()->find("DROP TABLE daap.schema_migrations"), std::string::npos);
}

TEST(Migrator, FirstDownRunByGolangMigrateNamesAStrayHistoryAndKeepsTheSchema) {
  FreshDatabase db(FreshDatabase::Contents::empty);
  pqxx::connection conn(db.url());
  Migrator(conn, real_migrations(), "/" + db.name()).up(1);
  create_stray_history(conn);
  // As golang-migrate runs a file: all of it in one Exec.
  std::ifstream file(real_migrations().front().down);
  const std::string body{std::istreambuf_iterator<char>(file), {}};
  try {
    pqxx::nontransaction(conn).exec(body);
    FAIL() << "001's down dropped schema daap with a history table in it";
  } catch (const pqxx::sql_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("daap.schema_migrations is in the way"), std::string::npos) << message;
    EXPECT_NE(message.find("DROP TABLE daap.schema_migrations"), std::string::npos) << message;
    EXPECT_NE(message.find("force 1"), std::string::npos) << message;
  }
  EXPECT_TRUE(pqxx::nontransaction(conn).query_value<bool>(
      "SELECT to_regclass('daap.databases') IS NOT NULL"));
}

TEST(Migrator, ConcurrentUpRunsDoNotCollide) {
  FreshDatabase db(FreshDatabase::Contents::empty);
  constexpr int kRunners = 4;
  std::array<int, kRunners> ran{};
  std::array<std::string, kRunners> errors{};
  std::vector<std::thread> threads;
  for (int i = 0; i < kRunners; ++i) {
    threads.emplace_back([&, i] {
      try {
        pqxx::connection conn(db.url());
        ran[i] = Migrator(conn, real_migrations(), "/" + db.name()).up();
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  int total = 0;
  for (int i = 0; i < kRunners; ++i) {
    EXPECT_EQ(errors[i], "") << "runner " << i;
    total += ran[i];
  }
  EXPECT_EQ(total, static_cast<int>(real_migrations().size())) << "each migration ran once";
}

TEST(Migrator, WaitsForGolangMigratesLockHeldByAnotherSession) {
  FreshDatabase db(FreshDatabase::Contents::empty);
  const auto lock_id = advisory_lock_id("/" + db.name(), "public");
  pqxx::connection holder(db.url());
  pqxx::nontransaction(holder).exec("SELECT pg_advisory_lock($1)", pqxx::params{lock_id});
  std::atomic<bool> done{false};
  std::thread runner([&] {
    pqxx::connection conn(db.url());
    Migrator(conn, real_migrations(), "/" + db.name()).up();
    done = true;
  });
  // The runner must be blocked on exactly that lock before we let go of it, or the wait under
  // test never happened.
  pqxx::connection observer(db.url());
  EXPECT_TRUE(daap::test::eventually(
      [&] { return done || daap::test::lock_waiters(observer, lock_id) == 1; }, 60s));
  EXPECT_FALSE(done.load()) << "the migrator ran while another session held the lock";
  pqxx::nontransaction(holder).exec("SELECT pg_advisory_unlock_all()");
  runner.join();
  EXPECT_TRUE(done.load());
}

}  // namespace
}  // namespace daap::migrate
