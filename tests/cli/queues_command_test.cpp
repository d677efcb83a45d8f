// daapctl queues list|pause|resume|limit and daapctl databases retry's queue, against a real
// PostgreSQL.
#include <gmock/gmock.h>
#include <nlohmann/json.hpp>

#include "tests/cli/daapctl_fixture.h"

namespace daap::test {
namespace {

using ::testing::HasSubstr;
using QueuesCommandTest = DaapctlTest;

TEST_F(QueuesCommandTest, ListShowsEachQueuesCountsAndControls) {
  insert_job({.queue = "mail"});
  insert_job({.state = "running", .queue = "mail"});
  insert_job({.state = "failed", .queue = "mail"});
  insert_job({.queue = "provisioning"});
  exec("UPDATE daap.jobs SET run_at = now() + interval '1 hour' WHERE queue = 'provisioning'");
  ASSERT_EQ(daapctl({"queues", "pause", "mail"}).status, 0);
  ASSERT_EQ(daapctl({"queues", "limit", "provisioning", "4"}).status, 0);
  const auto r = daapctl({"queues", "list", "--output", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto items = nlohmann::json::parse(r.out).at("items");
  ASSERT_EQ(items.size(), 2U);
  EXPECT_EQ(items[0].at("name"), "mail");
  EXPECT_EQ(items[0].at("due"), 1);
  EXPECT_EQ(items[0].at("running"), 1);
  EXPECT_EQ(items[0].at("failed_24h"), 1);
  EXPECT_EQ(items[0].at("paused"), true);
  EXPECT_TRUE(items[0].at("max_running").is_null());
  EXPECT_EQ(items[1].at("scheduled"), 1);
  EXPECT_EQ(items[1].at("due"), 0);
  EXPECT_EQ(items[1].at("max_running"), 4);
  const auto table = daapctl({"queues", "list"});
  EXPECT_THAT(table.out, HasSubstr("QUEUE"));
  EXPECT_THAT(table.out, HasSubstr("paused since"));
}

TEST_F(QueuesCommandTest, ResumeAndLimitNoneUndoPauseAndLimit) {
  ASSERT_EQ(daapctl({"queues", "pause", "q"}).status, 0);
  ASSERT_EQ(daapctl({"queues", "limit", "q", "2"}).status, 0);
  EXPECT_EQ(daapctl({"queues", "resume", "q"}).status, 0);
  const auto r = daapctl({"queues", "limit", "q", "none", "--output", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc.at("paused"), false);
  EXPECT_TRUE(doc.at("max_running").is_null());
  EXPECT_EQ(value<long>("SELECT count(*) FROM daap.queues WHERE name = 'q' AND paused_at IS NULL "
                        "AND max_running IS NULL"),
            1);
}

TEST_F(QueuesCommandTest, ALimitThatIsNotAPositiveNumberIsAUsageError) {
  const auto r = daapctl({"queues", "limit", "q", "0"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("N must be a positive whole number"));
  EXPECT_EQ(value<long>("SELECT count(*) FROM daap.queues"), 0);
}

TEST_F(QueuesCommandTest, StatsSplitDueFromScheduledJobs) {
  insert_job({});
  insert_job({});
  exec(
      "UPDATE daap.jobs SET run_at = now() + interval '1 hour' "
      "WHERE id = (SELECT max(id) FROM daap.jobs)");
  const auto r = daapctl({"stats", "--output", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto row = nlohmann::json::parse(r.out).at("items").at(0);
  EXPECT_EQ(row.at("count"), 2);
  EXPECT_EQ(row.at("due"), 1);
  EXPECT_EQ(row.at("scheduled"), 1);
}

TEST_F(QueuesCommandTest, DatabasesRetryEnqueuesOnTheOriginalQueueWithItsAttemptBudget) {
  const auto record = value<std::string>(
      "INSERT INTO daap.databases (name, owner_team, status, error_message) VALUES "
      "('orders', 'payments', 'error', 'boom') RETURNING id");
  const auto original =
      insert_job({.kind = "database.provision", .state = "failed", .queue = "provisioning"});
  exec("UPDATE daap.jobs SET database_id = $1::uuid, max_attempts = 3, attempt = 3 WHERE id = $2",
       pqxx::params{record, original});
  const auto r = daapctl({"databases", "retry", "orders"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("on queue provisioning with 3 attempts"));
  pqxx::work tx(conn());
  const auto job = tx.exec(
                         "SELECT queue, max_attempts FROM daap.jobs WHERE state = 'available' "
                         "AND kind = 'database.provision'")
                       .one_row();
  EXPECT_EQ(job[0].as<std::string>(), "provisioning");
  EXPECT_EQ(job[1].as<int>(), 3);
}

}  // namespace
}  // namespace daap::test
