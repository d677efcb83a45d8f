// The postgres provisioner in this process against the test server: what it names, creates,
// refuses and removes there, checked in the server's catalogs and by logging in.
#include "worker/provisioners/postgres_provisioner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "migrate/migrator.h"
#include "schema/errors.h"
#include "tests/lifecycle/hung_server.h"
#include "tests/support/test_database.h"

namespace daap::worker::provisioners {
namespace {

namespace fs = std::filesystem;
using test::server_url;

std::string random_uuid() {
  std::random_device rd;
  char out[37];
  std::snprintf(out, sizeof out, "%08x-%04x-4%03x-a%03x-%04x%08x", rd(), rd() & 0xffffU,
                rd() & 0xfffU, rd() & 0xfffU, rd() & 0xffffU, rd());
  return out;
}

schema::DatabaseRecord record_named(const std::string& name) {
  schema::DatabaseRecord r;
  r.id = random_uuid();
  r.name = name;
  r.namespace_name = "default";
  return r;
}

std::int64_t count(const std::string& sql, const std::string& param) {
  pqxx::connection conn(server_url());
  pqxx::nontransaction tx(conn);
  return tx.query_value<std::int64_t>(sql, pqxx::params{param});
}

class PostgresProvisionerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = (fs::temp_directory_path() / "daap-secrets-XXXXXX").string();
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    secrets_dir_ = dir;
  }
  void TearDown() override {
    pqxx::connection conn(server_url());
    pqxx::nontransaction tx(conn);
    for (const auto& name : cleanup_) {
      tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name) + " WITH (FORCE)");
      tx.exec("DROP ROLE IF EXISTS " + tx.quote_name(name));
    }
    fs::remove_all(secrets_dir_);
  }

  // A record whose role and database are dropped after the test.
  schema::DatabaseRecord record(const std::string& name) {
    auto r = record_named(name);
    cleanup_.push_back(role_name_for(r));
    return r;
  }
  PostgresProvisionerConfig config() const {
    PostgresProvisionerConfig c;
    c.target_url = server_url();
    c.secrets_dir = secrets_dir_.string();
    return c;
  }
  fs::path secret_file(const schema::DatabaseRecord& r) const {
    return secrets_dir_ / (secret_name_for(r) + ".json");
  }
  nlohmann::json secret(const schema::DatabaseRecord& r) const {
    std::ifstream in(secret_file(r));
    return nlohmann::json::parse(in);
  }
  static std::string conninfo(const nlohmann::json& s, const std::string& dbname) {
    return "host=" + s["host"].get<std::string>() +
           " port=" + std::to_string(s["port"].get<int>()) + " dbname=" + dbname +
           " user=" + s["user"].get<std::string>() +
           " password=" + s["password"].get<std::string>();
  }
  // Logs in with the record's secret to its own database and runs `sql`; returns the first
  // field of its first row ("" if none).
  std::string as_tenant(const schema::DatabaseRecord& r, const std::string& sql) {
    const auto s = secret(r);
    pqxx::connection conn(conninfo(s, s["dbname"].get<std::string>()));
    pqxx::work tx(conn);
    const auto rows = tx.exec(sql);
    tx.commit();
    return rows.empty() || rows.columns() == 0 ? "" : rows[0][0].as<std::string>();
  }
  std::int64_t roles(const std::string& name) {
    return count("SELECT count(*) FROM pg_roles WHERE rolname = $1", name);
  }
  std::int64_t databases(const std::string& name) {
    return count("SELECT count(*) FROM pg_database WHERE datname = $1", name);
  }

  fs::path secrets_dir_;
  std::vector<std::string> cleanup_;
  Interrupt interrupt_;
};

// The mapping used before role names came from the record id: a 32-bit hash of the name
// after its first 49 characters, so names sharing those collided after seconds of search.
std::string old_role_name(const std::string& record_name) {
  std::string name = "daap_" + record_name;
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  if (name.size() <= 63) return name;
  std::uint32_t h = 2166136261U;
  for (const char c : record_name) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619U;
  }
  char suffix[10];
  std::snprintf(suffix, sizeof suffix, "_%08x", h);
  return name.substr(0, 54) + suffix;
}

const std::string kCollidingA = "orders-archive-x0000000000000000000000000000000000000n2e8iyxpfu";
const std::string kCollidingB = "orders-archive-x0000000000000000000000000000000000000tsx2133o0y";

TEST(PostgresNames, AreReadableFitAnIdentifierAndComeFromTheId) {
  schema::DatabaseRecord r;
  r.id = "3F1C7C2E-8D6B-4B55-9D3C-2C4A3E1B9F00";
  r.name = "orders";
  EXPECT_EQ(role_name_for(r), "daap_orders_3f1c7c2e8d6b4b559d3c2c4a3e1b9f00");
  EXPECT_EQ(secret_name_for(r), "daap-orders-3f1c7c2e8d6b4b559d3c2c4a3e1b9f00");
  r.name = kCollidingA;
  EXPECT_EQ(role_name_for(r), "daap_orders_archive_x000000000_3f1c7c2e8d6b4b559d3c2c4a3e1b9f00");
  EXPECT_EQ(role_name_for(r).size(), 63U);
  r.name = "orders-archive-x-2024-may";  // 25 characters: all kept
  EXPECT_EQ(role_name_for(r), "daap_orders_archive_x_2024_may_3f1c7c2e8d6b4b559d3c2c4a3e1b9f00");
  r.name = "abcdefghij-klmnopqrstuvw-xyz";  // the 25-character cut ends in '-': trimmed
  EXPECT_EQ(secret_name_for(r), "daap-abcdefghij-klmnopqrstuvw-3f1c7c2e8d6b4b559d3c2c4a3e1b9f00");
}

TEST(PostgresNames, RejectABadNameOrIdBeforeAnySql) {
  auto r = record_named("orders");
  r.name = "x\"; DROP ROLE daap; --";
  EXPECT_THROW(role_name_for(r), schema::InvalidInput);
  r = record_named("orders");
  r.id = "not-a-uuid";
  EXPECT_THROW(role_name_for(r), schema::InvalidInput);
  EXPECT_THROW(secret_name_for(r), schema::InvalidInput);
}

TEST(PostgresNames, DifferForNamesTheOldMappingMadeCollide) {
  ASSERT_EQ(old_role_name(kCollidingA), old_role_name(kCollidingB));
  EXPECT_NE(role_name_for(record_named(kCollidingA)), role_name_for(record_named(kCollidingB)));
  // Same name, two records (a name reused after deletion): two names too.
  EXPECT_NE(role_name_for(record_named("orders")), role_name_for(record_named("orders")));
}

TEST_F(PostgresProvisionerTest, RecordsWhoseNamesOnceCollidedGetTheirOwnDatabases) {
  const auto first = record(kCollidingA);
  const auto second = record(kCollidingB);
  PostgresProvisioner provisioner(config());
  ASSERT_TRUE(provisioner.provision(first, interrupt_).has_value());
  as_tenant(first, "CREATE TABLE orders (id int)");
  ASSERT_TRUE(provisioner.provision(second, interrupt_).has_value());
  EXPECT_NE(secret(first)["dbname"], secret(second)["dbname"]);
  EXPECT_EQ(as_tenant(second, "SELECT current_database()"), role_name_for(second));

  provisioner.deprovision(second, interrupt_);
  EXPECT_EQ(roles(role_name_for(second)), 0);
  EXPECT_EQ(databases(role_name_for(second)), 0);
  // The first tenant's database, role, password and data are untouched.
  EXPECT_EQ(as_tenant(first, "SELECT count(*)::text FROM orders"), "0");
}

// As a superuser of the target: sets up what "someone else" made there.
void as_admin(const std::string& sql) {
  pqxx::connection conn(server_url());
  pqxx::nontransaction(conn).exec(sql);
}

std::string admin_value(const std::string& sql, const std::string& param) {
  pqxx::connection conn(server_url());
  pqxx::nontransaction tx(conn);
  const auto rows = tx.exec(sql, pqxx::params{param});
  return rows.empty() || rows[0][0].is_null() ? "" : rows[0][0].as<std::string>();
}

std::string password_hash(const std::string& role) {
  return admin_value("SELECT rolpassword FROM pg_authid WHERE rolname = $1", role);
}

std::string owner_of(const std::string& db) {
  return admin_value("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", db);
}

std::string comment_of(const std::string& db) {
  return admin_value(
      "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", db);
}

// Runs `f`, expecting an OwnershipConflict; returns its message.
template <typename F>
std::string conflict(F&& f) {
  try {
    f();
  } catch (const OwnershipConflict& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not an OwnershipConflict: ") + e.what();
  }
  return "no error";
}

TEST_F(PostgresProvisionerTest, MarksWhatItCreatesWithTheRecordId) {
  const auto r = record("marked");
  PostgresProvisioner provisioner(config());
  ASSERT_TRUE(provisioner.provision(r, interrupt_).has_value());
  const auto name = role_name_for(r);
  EXPECT_EQ(ownership_mark(r), "daap:database-id=" + r.id);
  EXPECT_EQ(admin_value("SELECT shobj_description(oid, 'pg_authid') FROM pg_roles "
                        "WHERE rolname = $1",
                        name),
            ownership_mark(r));
  EXPECT_EQ(comment_of(name), ownership_mark(r));
  EXPECT_EQ(owner_of(name), name);
}

TEST_F(PostgresProvisionerTest, AForeignRoleOfTheSameNameIsNeitherAdoptedNorDropped) {
  const auto r = record("foreign-role");
  const auto name = role_name_for(r);
  as_admin("CREATE ROLE " + name + " LOGIN PASSWORD 'theirs'");
  const auto before = password_hash(name);
  PostgresProvisioner provisioner(config());

  const auto error = conflict([&] { provisioner.provision(r, interrupt_); });
  EXPECT_NE(error.find("role " + name + " exists on the provisioning target with no comment"),
            std::string::npos)
      << error;
  EXPECT_EQ(password_hash(name), before);
  EXPECT_EQ(databases(name), 0);
  EXPECT_FALSE(fs::exists(secret_file(r))) << "no secret for a role that is not ours";

  EXPECT_NE(conflict([&] { provisioner.deprovision(r, interrupt_); }), "no error");
  EXPECT_EQ(roles(name), 1);
  EXPECT_EQ(password_hash(name), before);

  // Marked for another record: not ours either, and the message names that mark.
  const auto other = record_named("other");
  as_admin("COMMENT ON ROLE " + name + " IS '" + ownership_mark(other) + "'");
  EXPECT_NE(conflict([&] {
              provisioner.provision(r, interrupt_);
            }).find("comment '" + ownership_mark(other) + "'"),
            std::string::npos);
  EXPECT_EQ(password_hash(name), before);
}

TEST_F(PostgresProvisionerTest, AForeignDatabaseOfTheSameNameIsNeitherAdoptedNorDropped) {
  const auto r = record("foreign-db");
  const auto name = role_name_for(r);
  const auto stranger = "daap_test_stranger_" + r.id.substr(0, 8);
  cleanup_.push_back(stranger);
  as_admin("CREATE ROLE " + stranger);
  as_admin("CREATE DATABASE " + name + " OWNER " + stranger);
  PostgresProvisioner provisioner(config());

  const auto error = conflict([&] { provisioner.provision(r, interrupt_); });
  EXPECT_NE(
      error.find("database " + name + " exists on the provisioning target owned by " + stranger),
      std::string::npos)
      << error;
  EXPECT_EQ(roles(name), 0) << "nothing created before the conflict was found";
  EXPECT_EQ(owner_of(name), stranger);
  EXPECT_FALSE(fs::exists(secret_file(r)));

  EXPECT_NE(conflict([&] { provisioner.deprovision(r, interrupt_); }), "no error");
  EXPECT_EQ(databases(name), 1);
  EXPECT_EQ(owner_of(name), stranger);
}

TEST_F(PostgresProvisionerTest, ATenantsCommentOnItsDatabaseBlocksDeletionOnlyIfItNamesAnother) {
  const auto r = record("commented");
  const auto name = role_name_for(r);
  PostgresProvisioner provisioner(config());
  ASSERT_TRUE(provisioner.provision(r, interrupt_).has_value());

  // The owner may comment on its database: any text is fine, and a retry marks it again.
  as_tenant(r, "COMMENT ON DATABASE " + name + " IS 'orders of the shop'");
  ASSERT_TRUE(provisioner.provision(r, interrupt_).has_value());
  EXPECT_EQ(comment_of(name), ownership_mark(r));

  // Another record's mark: not dropped.
  const auto other = record_named("other");
  as_tenant(r, "COMMENT ON DATABASE " + name + " IS '" + ownership_mark(other) + "'");
  EXPECT_NE(conflict([&] { provisioner.deprovision(r, interrupt_); }).find("another record's"),
            std::string::npos);
  EXPECT_EQ(databases(name), 1);
  EXPECT_EQ(roles(name), 1);

  as_tenant(r, "COMMENT ON DATABASE " + name + " IS 'orders of the shop'");
  provisioner.deprovision(r, interrupt_);
  EXPECT_EQ(databases(name), 0);
  EXPECT_EQ(roles(name), 0);
  EXPECT_FALSE(fs::exists(secret_file(r)));
}

TEST_F(PostgresProvisionerTest, AHalfMadeRoleOfTheRecordIsTakenUpAndFinished) {
  // A crash cannot leave our role unmarked: CREATE and COMMENT commit together. A half-made
  // role (created, marked, no database yet) is taken up again and finished.
  const auto r = record("half-made");
  const auto name = role_name_for(r);
  as_admin("BEGIN; CREATE ROLE " + name + " LOGIN; COMMENT ON ROLE " + name + " IS '" +
           ownership_mark(r) + "'; COMMIT");
  PostgresProvisioner provisioner(config());
  ASSERT_TRUE(provisioner.provision(r, interrupt_).has_value());
  EXPECT_EQ(as_tenant(r, "SELECT current_user"), name);
  EXPECT_EQ(owner_of(name), name);
}

// `server_url()` for another user and database.
std::string url_as(const std::string& user, const std::string& password,
                   const std::string& dbname) {
  const auto url = server_url();
  return test::with_database("postgresql://" + user + ":" + password + url.substr(url.find('@')),
                             dbname);
}

// Why logging in as the record's tenant to `dbname` fails ("" if it does not).
std::string refusal(const nlohmann::json& secret, const std::string& dbname) {
  try {
    pqxx::connection conn("host=" + secret["host"].get<std::string>() +
                          " port=" + std::to_string(secret["port"].get<int>()) +
                          " dbname=" + dbname + " user=" + secret["user"].get<std::string>() +
                          " password=" + secret["password"].get<std::string>());
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST_F(PostgresProvisionerTest, ATenantConnectsToItsOwnDatabaseAndNowhereElse) {
  // Database ACLs are not copied into clones of the migrated template: migrate from empty.
  test::FreshDatabase platform(test::FreshDatabase::Contents::empty);
  {
    pqxx::connection conn(platform.url());
    migrate::Migrator(conn, migrate::load_migrations(DAAP_MIGRATIONS_DIR), "/" + platform.name())
        .up();
  }
  const auto a = record("tenant-a");
  const auto b = record("tenant-b");
  PostgresProvisioner provisioner(config());
  ASSERT_TRUE(provisioner.provision(a, interrupt_).has_value());
  ASSERT_TRUE(provisioner.provision(b, interrupt_).has_value());

  EXPECT_EQ(as_tenant(a, "SELECT current_database()"), role_name_for(a));
  for (const auto& elsewhere :
       {platform.name(), role_name_for(b), std::string("postgres"), std::string("template1")}) {
    const auto why = refusal(secret(a), elsewhere);
    EXPECT_NE(why.find("permission denied for database"), std::string::npos)
        << elsewhere << ": " << (why.empty() ? "connected" : why);
  }
}

TEST_F(PostgresProvisionerTest, ReplicasProvisioningAtOnceCloseTheServerDatabasesWithoutClashing) {
  // Replicas find postgres and template1 open at the same moment; changing one database's ACL
  // from two sessions at once fails ("tuple concurrently updated") unless serialised.
  PostgresProvisioner provisioner(config());
  for (int round = 0; round < 5; ++round) {
    as_admin("GRANT CONNECT ON DATABASE postgres, template1 TO PUBLIC");
    std::vector<schema::DatabaseRecord> records;
    for (int i = 0; i < 4; ++i) records.push_back(record("at-once"));
    std::vector<std::future<std::string>> results;
    for (const auto& r : records) {
      results.push_back(std::async(std::launch::async, [&provisioner, r] {
        Interrupt interrupt;
        try {
          provisioner.provision(r, interrupt);
        } catch (const std::exception& e) {
          return std::string(e.what());
        }
        return std::string();
      }));
    }
    for (auto& result : results) EXPECT_EQ(result.get(), "") << "round " << round;
    EXPECT_EQ(
        admin_value("SELECT has_database_privilege('public', $1, 'CONNECT')::text", "postgres"),
        "false");
  }
}

// A provisioning role with CREATEROLE and CREATEDB, not a superuser.
class NonSuperuserProvisionerTest : public PostgresProvisionerTest {
 protected:
  void SetUp() override {
    PostgresProvisionerTest::SetUp();
    as_admin("CREATE ROLE " + role_ + " LOGIN CREATEROLE CREATEDB PASSWORD 'prov-pw'");
    // What an operator does once when the provisioner cannot (it does not own them).
    as_admin(
        "REVOKE CONNECT ON DATABASE postgres, template1 FROM PUBLIC;"
        "GRANT CONNECT ON DATABASE postgres, template1 TO " +
        role_);
  }
  void TearDown() override {
    PostgresProvisionerTest::TearDown();
    as_admin("DROP OWNED BY " + role_ + "; DROP ROLE " + role_);
  }
  PostgresProvisionerConfig config_as_role() const {
    auto c = config();
    c.target_url = url_as(role_, "prov-pw", "postgres");
    return c;
  }
  const std::string role_ = "daap_test_provisioner_" + random_uuid().substr(0, 8);
};

TEST_F(NonSuperuserProvisionerTest, ProvisionsAndRemovesADatabase) {
  const auto r = record("by-non-superuser");
  PostgresProvisioner provisioner(config_as_role());
  ASSERT_TRUE(provisioner.provision(r, interrupt_).has_value());
  EXPECT_EQ(as_tenant(r, "SELECT current_user"), role_name_for(r));
  EXPECT_EQ(owner_of(role_name_for(r)), role_name_for(r));
  EXPECT_NE(refusal(secret(r), "postgres"), "");
  provisioner.deprovision(r, interrupt_);
  EXPECT_EQ(databases(role_name_for(r)), 0);
  EXPECT_EQ(roles(role_name_for(r)), 0);
}

TEST_F(NonSuperuserProvisionerTest, RefusesToProvisionWhilePublicMayConnectToPostgres) {
  as_admin("GRANT CONNECT ON DATABASE postgres TO PUBLIC");
  const auto r = record("too-open");
  PostgresProvisioner provisioner(config_as_role());
  try {
    provisioner.provision(r, interrupt_);
    ADD_FAILURE() << "expected a ProvisionError";
  } catch (const ProvisionError& e) {
    EXPECT_NE(std::string(e.what()).find("PUBLIC may connect to database postgres"),
              std::string::npos)
        << e.what();
  }
  as_admin("REVOKE CONNECT ON DATABASE postgres FROM PUBLIC");
  EXPECT_EQ(roles(role_name_for(r)), 0) << "nothing made while the server is open";
}

TEST_F(PostgresProvisionerTest, CreatesTheSecretsDirectoryForItsUserAlone) {
  const mode_t old_umask = ::umask(022);  // the usual one, under which it came out 0755
  auto c = config();
  c.secrets_dir = (secrets_dir_ / "nested" / "secrets").string();
  PostgresProvisioner provisioner(c);  // at start-up
  struct stat st {};
  ASSERT_EQ(::stat(c.secrets_dir.c_str(), &st), 0) << "not created at start-up";
  EXPECT_EQ(st.st_mode & 07777, 0700U);

  // Removed while the worker runs: made again, the same way, with the first secret.
  fs::remove_all(c.secrets_dir);
  const auto r = record("secret-dir");
  ASSERT_TRUE(provisioner.provision(r, interrupt_).has_value());
  ::umask(old_umask);
  ASSERT_EQ(::stat(c.secrets_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700U);
  const auto file = fs::path(c.secrets_dir) / (secret_name_for(r) + ".json");
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600U);
}

TEST_F(PostgresProvisionerTest, AHungTargetIsLeftWhenTheInterruptFires) {
  std::future<ProvisionResult> result;  // waited for after the server below is closed
  test::HungServer server;
  auto c = config();
  c.target_url = server.url();
  c.connect_timeout = std::chrono::minutes(10);
  PostgresProvisioner provisioner(c);
  const auto r = record("hung");
  result = std::async(std::launch::async, [&] { return provisioner.provision(r, interrupt_); });
  ASSERT_TRUE(server.accept_one(std::chrono::seconds(30)));  // connected, waiting for an answer
  interrupt_.fire(InterruptReason::cancel);
  ASSERT_EQ(result.wait_for(std::chrono::seconds(30)), std::future_status::ready)
      << "still connecting after the interrupt";
  try {
    result.get();
    FAIL() << "expected a ProvisionError";
  } catch (const ProvisionError& e) {
    EXPECT_NE(std::string(e.what()).find("interrupted (cancel)"), std::string::npos) << e.what();
  }
}

TEST_F(PostgresProvisionerTest, AHungTargetIsLeftAtTheConnectTimeout) {
  std::future<ProvisionResult> result;
  test::HungServer server;
  auto c = config();
  c.target_url = server.url();
  c.connect_timeout = std::chrono::seconds(1);
  PostgresProvisioner provisioner(c);
  const auto r = record("hung");
  result = std::async(std::launch::async, [&] { return provisioner.provision(r, interrupt_); });
  ASSERT_TRUE(server.accept_one(std::chrono::seconds(30)));
  ASSERT_EQ(result.wait_for(std::chrono::seconds(30)), std::future_status::ready)
      << "still connecting long after the connect timeout";
  try {
    result.get();
    FAIL() << "expected a ProvisionError";
  } catch (const ProvisionError& e) {
    EXPECT_NE(std::string(e.what()).find("no answer within 1s (PROVISION_CONNECT_TIMEOUT)"),
              std::string::npos)
        << e.what();
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
  }
}

// Another session creates the record's role and keeps its transaction open: the provisioner's
// own CREATE ROLE waits on that lock until the blocker ends.
class BlockedStatementTest : public PostgresProvisionerTest {
 protected:
  void SetUp() override {
    PostgresProvisionerTest::SetUp();
    record_ = record("blocked");
    blocker_tx_.emplace(blocker_);
    blocker_tx_->exec("CREATE ROLE " + blocker_tx_->quote_name(role_name_for(record_)));
  }
  void TearDown() override {
    blocker_tx_.reset();  // rolled back: a statement still waiting goes on
    if (result_.valid()) result_.wait();
    PostgresProvisionerTest::TearDown();
  }
  void start(const PostgresProvisionerConfig& c) {
    provisioner_.emplace(c);
    result_ = std::async(std::launch::async,
                         [this] { return provisioner_->provision(record_, interrupt_); });
  }
  // Whether the provisioning ends within `timeout`.
  bool ends_within(std::chrono::seconds timeout) {
    return result_.wait_for(timeout) == std::future_status::ready;
  }
  // The provisioning's error.
  std::string error() {
    try {
      result_.get();
    } catch (const ProvisionError& e) {
      return e.what();
    }
    return "no error";
  }
  // Statements running on the target that name the record's role (the blocker is idle).
  std::int64_t statements_running() {
    return count(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
        "AND pid <> pg_backend_pid() AND query LIKE '%' || $1 || '%'",
        role_name_for(record_));
  }
  static bool eventually(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return condition();
  }

  schema::DatabaseRecord record_;
  pqxx::connection blocker_{server_url()};
  std::optional<pqxx::work> blocker_tx_;
  std::optional<PostgresProvisioner> provisioner_;
  std::future<ProvisionResult> result_;
};

TEST_F(BlockedStatementTest, IsLeftWhenTheInterruptFiresAndTheServerAbandonsIt) {
  auto c = config();
  c.statement_timeout = std::chrono::minutes(10);
  start(c);
  ASSERT_TRUE(eventually([&] { return statements_running() == 1; }));
  interrupt_.fire(InterruptReason::timeout);
  ASSERT_TRUE(ends_within(std::chrono::seconds(30))) << "still waiting after the interrupt";
  EXPECT_EQ(error(), "creating role " + role_name_for(record_) + ": interrupted (timeout)");
  // client_connection_check_interval: the server notices we are gone and ends the statement.
  EXPECT_TRUE(eventually([&] { return statements_running() == 0; }));
}

TEST_F(BlockedStatementTest, FailsAtTheStatementTimeoutWithItsSqlstate) {
  auto c = config();
  c.statement_timeout = std::chrono::seconds(1);
  start(c);
  ASSERT_TRUE(ends_within(std::chrono::seconds(60))) << "still waiting long after the timeout";
  EXPECT_EQ(error(), "creating role " + role_name_for(record_) +
                         " failed: cancelled (PROVISION_STATEMENT_TIMEOUT reached) "
                         "(SQLSTATE 57014)");
}

}  // namespace
}  // namespace daap::worker::provisioners
