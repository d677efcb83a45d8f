// daapctl enqueue against a real PostgreSQL.
#include <gmock/gmock.h>
#include <nlohmann/json.hpp>

#include "tests/cli/daapctl_fixture.h"

namespace daap::test {
namespace {

using ::testing::HasSubstr;
using EnqueueCommandTest = DaapctlTest;

std::int64_t printed_id(const ProgramResult& r) {
  EXPECT_EQ(r.status, 0) << r.err;
  return std::stoll(r.out);
}

TEST_F(EnqueueCommandTest, PrintsTheIdOfANewAvailableJob) {
  const auto r = daapctl({"enqueue", "database.create", R"({"name":"orders"})"});
  const auto id = printed_id(r);
  EXPECT_EQ(r.out, std::to_string(id) + "\n");
  pqxx::work tx(conn());
  const auto row = tx.exec(
                         "SELECT kind, queue, payload->>'name', state, priority, max_attempts, "
                         "  run_at <= now(), unique_key IS NULL FROM daap.jobs WHERE id = $1",
                         pqxx::params{id})
                       .one_row();
  EXPECT_EQ(row[0].as<std::string>(), "database.create");
  EXPECT_EQ(row[1].as<std::string>(), "default");
  EXPECT_EQ(row[2].as<std::string>(), "orders");
  EXPECT_EQ(row[3].as<std::string>(), "available");
  EXPECT_EQ(row[4].as<int>(), 0);
  EXPECT_EQ(row[5].as<int>(), 25);
  EXPECT_TRUE(row[6].as<bool>());
  EXPECT_TRUE(row[7].as<bool>());
}

TEST_F(EnqueueCommandTest, StoresTheGivenOptions) {
  const auto id = printed_id(
      daapctl({"enqueue", "noop", "{}", "--queue", "slow", "--priority", "5", "--max-attempts", "3",
               "--unique-key", "k1", "--run-at", "2030-01-02T03:04:05Z"}));
  pqxx::work tx(conn());
  const auto row =
      tx.exec(
            "SELECT queue, priority, max_attempts, unique_key, "
            "  run_at = '2030-01-02T03:04:05Z'::timestamptz FROM daap.jobs WHERE id = $1",
            pqxx::params{id})
          .one_row();
  EXPECT_EQ(row[0].as<std::string>(), "slow");
  EXPECT_EQ(row[1].as<int>(), 5);
  EXPECT_EQ(row[2].as<int>(), 3);
  EXPECT_EQ(row[3].as<std::string>(), "k1");
  EXPECT_TRUE(row[4].as<bool>());
}

TEST_F(EnqueueCommandTest, RunAtWithAnOffsetIsConvertedToUtc) {
  const auto id =
      printed_id(daapctl({"enqueue", "noop", "{}", "--run-at", "2030-01-02T05:04:05.250+02:00"}));
  EXPECT_TRUE(
      value<bool>("SELECT run_at = '2030-01-02T03:04:05.25Z'::timestamptz "
                  "FROM daap.jobs WHERE id = $1",
                  pqxx::params{id}));
}

TEST_F(EnqueueCommandTest, RunAtPlusDurationIsThatFarInTheFuture) {
  const auto id = printed_id(daapctl({"enqueue", "noop", "{}", "--run-at", "+1h"}));
  EXPECT_TRUE(
      value<bool>("SELECT run_at BETWEEN now() + interval '59 minutes' "
                  "  AND now() + interval '61 minutes' FROM daap.jobs WHERE id = $1",
                  pqxx::params{id}));
}

TEST_F(EnqueueCommandTest, ATakenUniqueKeyPrintsTheUnfinishedJobHoldingIt) {
  const auto first = printed_id(daapctl({"enqueue", "noop", "{}", "--unique-key", "same"}));
  const auto second = printed_id(daapctl({"enqueue", "noop", "{}", "--unique-key", "same"}));
  EXPECT_EQ(first, second);
  EXPECT_EQ(value<int>("SELECT count(*) FROM daap.jobs"), 1);
}

TEST_F(EnqueueCommandTest, JsonOutputSaysTheIdStateAndWhetherAUniqueKeyDeduplicated) {
  const auto first = daapctl({"enqueue", "noop", "{}", "--unique-key", "k", "--output", "json"});
  ASSERT_EQ(first.status, 0) << first.err;
  const auto a = nlohmann::json::parse(first.out);
  EXPECT_EQ(a["state"], "available");
  EXPECT_EQ(a["deduplicated"], false);
  const auto second = daapctl({"enqueue", "noop", "{}", "--unique-key", "k", "--output", "json"});
  ASSERT_EQ(second.status, 0) << second.err;
  const auto b = nlohmann::json::parse(second.out);
  EXPECT_EQ(b["id"], a["id"]);
  EXPECT_EQ(b["deduplicated"], true);
  EXPECT_EQ(value<int>("SELECT count(*) FROM daap.jobs WHERE id = $1",
                       pqxx::params{a["id"].get<std::int64_t>()}),
            1);
}

TEST_F(EnqueueCommandTest, InvalidJsonExitsTwoNamingThePayload) {
  const auto r = daapctl({"enqueue", "noop", "{name: orders"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("JSON payload"));
  EXPECT_THAT(r.err, HasSubstr("{name: orders"));
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(value<int>("SELECT count(*) FROM daap.jobs"), 0);
}

TEST_F(EnqueueCommandTest, JsonThatIsNotAnObjectExitsTwo) {
  const auto r = daapctl({"enqueue", "noop", "[1, 2]"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("JSON payload must be a JSON object"));
  EXPECT_EQ(value<int>("SELECT count(*) FROM daap.jobs"), 0);
}

TEST_F(EnqueueCommandTest, AnUnreadableRunAtExitsTwoNamingTheFlag) {
  const auto r = daapctl({"enqueue", "noop", "{}", "--run-at", "tomorrow"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--run-at"));
  EXPECT_THAT(r.err, HasSubstr("tomorrow"));
}

TEST_F(EnqueueCommandTest, MissingPayloadExitsTwo) {
  const auto r = daapctl({"enqueue", "noop"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("missing JSON payload"));
}

TEST_F(EnqueueCommandTest, TimeoutSetsTheJobsOwnTimeLimitAndIsCheckedFirst) {
  const auto r = daapctl({"enqueue", "noop", "{}", "--timeout", "90s"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(value<std::string>("SELECT timeout::text FROM daap.jobs"), "00:01:30");
  const auto bad = daapctl({"enqueue", "noop", "{}", "--timeout", "10ms"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_THAT(bad.err, HasSubstr("timeout must be between 1 second and 30 days"));
  const auto unreadable = daapctl({"enqueue", "noop", "{}", "--timeout", "soon"});
  EXPECT_EQ(unreadable.status, 2);
  EXPECT_THAT(unreadable.err, HasSubstr("--timeout"));
  EXPECT_EQ(value<std::int64_t>("SELECT count(*) FROM daap.jobs"), 1);
}

}  // namespace
}  // namespace daap::test
