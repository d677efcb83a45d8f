// Real PostgreSQL for tests: a migrated template, fresh clones, and rolled-back transactions.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

namespace daap::test {

// DATABASE_URL of the server under test. Database tests never skip: without it they fail.
std::string server_url();

// `url` with its database name replaced by `dbname`.
std::string with_database(const std::string& url, const std::string& dbname);

// Name of a database migrated to the latest version, created once per migration set and server.
std::string migrated_template();

// A new database cloned from the migrated template, dropped when this object goes away.
// For tests that need several connections or processes (workers, rescue, shutdown).
class FreshDatabase {
 public:
  enum class Contents { migrated, empty };
  explicit FreshDatabase(Contents contents = Contents::migrated);
  ~FreshDatabase();
  FreshDatabase(const FreshDatabase&) = delete;
  FreshDatabase& operator=(const FreshDatabase&) = delete;
  const std::string& name() const { return name_; }
  const std::string& url() const { return url_; }

 private:
  std::string name_;
  std::string url_;
};

// One migrated database per test process, shared by the rolled-back tests.
const std::string& shared_database_url();

// Each test runs inside a transaction that is rolled back afterwards: it leaves nothing behind.
class RollbackTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  pqxx::connection& conn() { return *conn_; }
  pqxx::work& tx() { return *tx_; }

 private:
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<pqxx::work> tx_;
};

}  // namespace daap::test
