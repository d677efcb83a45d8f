// daapctl stats and daapctl workers against a real PostgreSQL.
#include <gmock/gmock.h>
#include <nlohmann/json.hpp>

#include "tests/cli/daapctl_fixture.h"

namespace daap::test {
namespace {

using ::testing::HasSubstr;
using StatsCommandTest = DaapctlTest;

// The count of one (queue, kind, state) row of a `stats --output json` document; 0 if absent.
std::int64_t count_of(const nlohmann::json& doc, const std::string& queue, const std::string& kind,
                      const std::string& state) {
  for (const auto& row : doc.at("items")) {
    if (row.at("queue") == queue && row.at("kind") == kind && row.at("state") == state) {
      return row.at("count").get<std::int64_t>();
    }
  }
  return 0;
}

TEST_F(StatsCommandTest, CountsJobsPerQueueKindAndState) {
  insert_job({.kind = "noop", .state = "available", .minutes_ago = 5});
  insert_job({.kind = "noop", .state = "available"});
  insert_job({.kind = "noop", .state = "succeeded"});
  insert_job({.kind = "database.create", .state = "failed", .queue = "slow"});
  const auto r = daapctl({"stats", "--output", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(count_of(doc, "default", "noop", "available"), 2);
  EXPECT_EQ(count_of(doc, "default", "noop", "succeeded"), 1);
  EXPECT_EQ(count_of(doc, "slow", "database.create", "failed"), 1);
  EXPECT_EQ(count_of(doc, "default", "noop", "running"), 0);
  for (const auto& row : doc["items"]) {
    if (row["state"] == "available") {
      EXPECT_GE(row.at("oldest_available_age_seconds").get<double>(), 240.0);
    }
  }
}

TEST_F(StatsCommandTest, TablePrintsOneRowPerGroup) {
  insert_job({.kind = "noop", .state = "available"});
  insert_job({.kind = "database.create", .state = "failed", .queue = "slow"});
  const auto r = daapctl({"stats"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("QUEUE"));
  EXPECT_THAT(r.out, HasSubstr("COUNT"));
  EXPECT_THAT(r.out, HasSubstr("database.create"));
  EXPECT_THAT(r.out, HasSubstr("slow"));
}

TEST_F(StatsCommandTest, WorkersListsARegisteredWorker) {
  exec(
      "INSERT INTO daap.workers (id, hostname, pid, version, queues, concurrency) "
      "VALUES ('host-a-42-x1', 'host-a', 42, '0.1.0', ARRAY['default', 'reports,hang'], 7)");
  const auto json = daapctl({"workers", "--output", "json"});
  ASSERT_EQ(json.status, 0) << json.err;
  const auto doc = nlohmann::json::parse(json.out);
  ASSERT_EQ(doc.at("items").size(), 1U);
  EXPECT_TRUE(doc.at("next_cursor").is_null()) << json.out;
  const auto& w = doc["items"][0];
  EXPECT_EQ(w.at("id"), "host-a-42-x1");
  EXPECT_EQ(w.at("hostname"), "host-a");
  EXPECT_EQ(w.at("pid"), 42);
  EXPECT_EQ(w.at("concurrency"), 7);
  // An array: a queue name may itself hold a comma.
  EXPECT_EQ(w.at("queues"), nlohmann::json::array({"default", "reports,hang"})) << json.out;

  const auto table = daapctl({"workers"});
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("HEARTBEAT_AT"));
  EXPECT_THAT(table.out, HasSubstr("host-a-42-x1"));
}

TEST_F(StatsCommandTest, AnUnknownOutputFormatExitsTwoNamingTheFlag) {
  const auto r = daapctl({"stats", "--output", "yaml"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--output"));
}

}  // namespace
}  // namespace daap::test
