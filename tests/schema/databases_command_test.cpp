// `daapctl databases list|show` as a subprocess against committed rows in a database of its own.

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "tests/support/run_program.h"
#include "tests/support/test_database.h"

namespace daap::schema {
namespace {

using daap::test::ProgramResult;

class DatabasesCommandTest : public ::testing::Test {
 protected:
  // One database and one set of committed rows for the suite: the CLI only reads.
  static void SetUpTestSuite() {
    db_ = std::make_unique<daap::test::FreshDatabase>();
    pqxx::connection conn(db_->url());
    pqxx::work tx(conn);
    const auto insert = [&](const std::string& name, const std::string& team,
                            const std::string& status, const std::string& created_at) {
      return tx.query_value<std::string>(
          "INSERT INTO daap.databases (name, owner_team, status, created_at, deleted_at, host, "
          "port, secret_name) VALUES ($1::text, $2, $3, $4::timestamptz, "
          "CASE WHEN $3 = 'deleted' THEN now() END, "
          "CASE WHEN $3 = 'ready' THEN 'h.example' END, CASE WHEN $3 = 'ready' THEN 5432 END, "
          "CASE WHEN $3 = 'ready' THEN $1::text || '-app' END) RETURNING id",
          pqxx::params{name, team, status, created_at});
    };
    orders_id_ = insert("orders", "payments", "ready", "2024-01-01T00:00:00.000001Z");
    insert("carts", "shop", "provisioning", "2024-01-02T00:00:00Z");
    insert("refunds", "payments", "error", "2024-01-03T00:00:00Z");
    insert("orders", "payments", "deleted", "2023-01-01T00:00:00Z");
    // Two jobs of "orders" (one failed with an error) and one of another record.
    tx.exec(
        "INSERT INTO daap.jobs (kind, payload, database_id, state, attempt, finished_at, "
        "last_error) VALUES "
        "('database.create', '{}', $1, 'succeeded', 1, now(), NULL), "
        "('database.update', '{}', $1, 'failed', 1, now(), 'owner_team is blank'), "
        "('database.create', '{}', (SELECT id FROM daap.databases WHERE name = 'carts'), "
        " 'available', 0, NULL, NULL)",
        pqxx::params{orders_id_});
    tx.commit();
  }
  static void TearDownTestSuite() { db_.reset(); }

  static ProgramResult daapctl(const std::vector<std::string>& args) {
    return daap::test::run_program(daap::test::built_binary("worker/daapctl/daapctl"), args,
                                   db_->url());
  }

  static nlohmann::json json_of(const ProgramResult& r) {
    EXPECT_EQ(r.status, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }

  static std::unique_ptr<daap::test::FreshDatabase> db_;
  static std::string orders_id_;
};

std::unique_ptr<daap::test::FreshDatabase> DatabasesCommandTest::db_;
std::string DatabasesCommandTest::orders_id_;

TEST_F(DatabasesCommandTest, ListJsonHoldsItemsAndNullNextCursor) {
  const auto j = json_of(daapctl({"databases", "list", "--output", "json"}));
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.size(), 2U);
  EXPECT_TRUE(j["next_cursor"].is_null());
  ASSERT_EQ(j["items"].size(), 3U);  // the deleted namesake is left out
  const auto& first = j["items"][0];
  EXPECT_EQ(first["id"], orders_id_);
  EXPECT_EQ(first["name"], "orders");
  EXPECT_EQ(first["owner_team"], "payments");
  EXPECT_EQ(first["status"], "ready");
  EXPECT_EQ(first["namespace"], "default");
  EXPECT_EQ(first["cluster_name"], "orders");
  EXPECT_EQ(first["pooler_name"], "orders-pooler");
  EXPECT_EQ(first["host"], "h.example");
  EXPECT_EQ(first["port"], 5432);
  EXPECT_EQ(first["secret_name"], "orders-app");
  EXPECT_EQ(first["created_at"], "2024-01-01T00:00:00.000001Z");
  EXPECT_TRUE(first["deleted_at"].is_null());
  EXPECT_TRUE(first["error_message"].is_null());
  EXPECT_EQ(j["items"][1]["name"], "carts");
  EXPECT_EQ(j["items"][2]["name"], "refunds");
}

TEST_F(DatabasesCommandTest, ListJsonPagesThroughNextCursor) {
  std::vector<std::string> seen;
  std::vector<std::string> args = {"databases", "list", "--output",         "json", "--limit", "1",
                                   "--sort",    "name", "--include-deleted"};
  for (int page = 0; page < 10; ++page) {
    const auto j = json_of(daapctl(args));
    for (const auto& item : j["items"]) seen.push_back(item["name"].get<std::string>());
    if (j["next_cursor"].is_null()) break;
    args.resize(9);
    args.insert(args.end(), {"--cursor", j["next_cursor"].get<std::string>()});
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"carts", "orders", "orders", "refunds"}));
}

TEST_F(DatabasesCommandTest, ListAppliesFilterFlags) {
  const auto j = json_of(daapctl({"databases", "list", "-o", "json", "--owner-team", "payments",
                                  "--status", "error", "--name-contains", "FUND"}));
  ASSERT_EQ(j["items"].size(), 1U);
  EXPECT_EQ(j["items"][0]["name"], "refunds");
  EXPECT_EQ(
      json_of(daapctl({"databases", "list", "-o", "json", "--name-contains", "%"}))["items"].size(),
      0U);
}

TEST_F(DatabasesCommandTest, ListTableAlignsColumnsAndPrintsNextCursor) {
  const auto r = daapctl({"databases", "list", "--limit", "2"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4U) << r.out;
  EXPECT_EQ(lines[0].rfind("ID", 0), 0U);
  const auto status_col = lines[0].find("STATUS");
  ASSERT_NE(status_col, std::string::npos);
  EXPECT_EQ(lines[1].substr(status_col, 5), "ready");
  EXPECT_EQ(lines[2].substr(status_col, 12), "provisioning");
  EXPECT_NE(lines[1].find(orders_id_), std::string::npos);
  EXPECT_EQ(lines[3].rfind("next cursor: ", 0), 0U) << lines[3];

  const auto cursor = lines[3].substr(std::string("next cursor: ").size());
  const auto next = json_of(daapctl({"databases", "list", "-o", "json", "--cursor", cursor}));
  ASSERT_EQ(next["items"].size(), 1U);
  EXPECT_EQ(next["items"][0]["name"], "refunds");
}

TEST_F(DatabasesCommandTest, ListInvalidFlagValuesExitTwoNamingTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--status", "running"}, "--status"}, {{"--limit", "0"}, "--limit"},
      {{"--limit", "1001"}, "--limit"},      {{"--limit", "many"}, "--limit"},
      {{"--sort", "size"}, "--sort"},        {{"--cursor", "garbage!"}, "--cursor"},
      {{"--output", "yaml"}, "--output"},
  };
  for (const auto& [flags, named] : cases) {
    std::vector<std::string> args = {"databases", "list"};
    args.insert(args.end(), flags.begin(), flags.end());
    const auto r = daapctl(args);
    EXPECT_EQ(r.status, 2) << flags[0] << " " << flags[1] << ": " << r.err;
    EXPECT_NE(r.err.find(named), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST_F(DatabasesCommandTest, ShowFindsRecordByIdOrActiveName) {
  const auto by_id = json_of(daapctl({"databases", "show", orders_id_, "--output", "json"}));
  EXPECT_EQ(by_id["id"], orders_id_);
  EXPECT_EQ(by_id["status"], "ready");
  const auto by_name = json_of(daapctl({"databases", "show", "orders", "--output", "json"}));
  EXPECT_EQ(by_name, by_id);  // the active "orders", not its deleted namesake

  const auto table = daapctl({"databases", "show", "orders"});
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_NE(table.out.find("pooler_name:"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("orders-pooler"), std::string::npos) << table.out;
  // UTC with Z to the second, as every daapctl table prints times, and its age.
  EXPECT_NE(table.out.find("2024-01-01T00:00:00Z ("), std::string::npos) << table.out;
}

TEST_F(DatabasesCommandTest, ShowListsTheRecordsJobsNewestFirst) {
  const auto shown = json_of(daapctl({"databases", "show", "orders", "--output", "json"}));
  ASSERT_EQ(shown["jobs"].size(), 2U) << shown.dump();
  EXPECT_EQ(shown["jobs"][0]["kind"], "database.update");
  EXPECT_EQ(shown["jobs"][0]["last_error"], "owner_team is blank");
  EXPECT_EQ(shown["jobs"][1]["kind"], "database.create");
  for (const auto& job : shown["jobs"]) EXPECT_EQ(job["database_id"], orders_id_);

  const auto table = daapctl({"databases", "show", "orders"});
  ASSERT_EQ(table.status, 0) << table.err;
  const auto update = table.out.find("database.update");
  const auto create = table.out.find("database.create");
  ASSERT_NE(update, std::string::npos) << table.out;
  ASSERT_NE(create, std::string::npos) << table.out;
  EXPECT_LT(update, create) << "newest first:\n" << table.out;
  EXPECT_NE(table.out.find("owner_team is blank"), std::string::npos) << table.out;
}

TEST_F(DatabasesCommandTest, ShowUnknownIdOrNameExitsOneNamingIt) {
  const auto by_name = daapctl({"databases", "show", "nosuchdb"});
  EXPECT_EQ(by_name.status, 1);
  EXPECT_NE(by_name.err.find("nosuchdb"), std::string::npos) << by_name.err;
  const std::string id = "123e4567-e89b-12d3-a456-426614174000";
  const auto by_id = daapctl({"databases", "show", id});
  EXPECT_EQ(by_id.status, 1);
  EXPECT_NE(by_id.err.find(id), std::string::npos) << by_id.err;
  EXPECT_EQ(daapctl({"databases", "show"}).status, 2);
}

}  // namespace
}  // namespace daap::schema
