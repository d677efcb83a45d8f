// The postgres provisioner in this process against the test server: what it names, creates,
// refuses and removes there, checked in the server's catalogs and by logging in.
#include "worker/provisioners/postgres_provisioner.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "schema/errors.h"
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

}  // namespace
}  // namespace daap::worker::provisioners
