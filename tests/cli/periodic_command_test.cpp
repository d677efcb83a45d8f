// daapctl periodic list/add/remove/enable/disable/run-now against a real PostgreSQL.
#include <gmock/gmock.h>
#include <nlohmann/json.hpp>

#include "tests/cli/daapctl_fixture.h"

namespace daap::test {
namespace {

using ::testing::HasSubstr;

class PeriodicCommandTest : public DaapctlTest {
 protected:
  // Without the built-in ones (migration 028): each test sees only its own.
  void SetUp() override { exec("DELETE FROM daap.periodic_jobs"); }
};

TEST_F(PeriodicCommandTest, AddThenListShowsTheNextRunAsOneJsonDocument) {
  const auto added =
      daapctl({"periodic", "add", "new-year", "--schedule", "0 0 1 1 *", "--kind", "noop",
               "--payload", R"({"x":1})", "--time-zone", "Asia/Tokyo", "--priority", "3"});
  ASSERT_EQ(added.status, 0) << added.err;
  const auto r = daapctl({"periodic", "list", "--output", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc.at("next_cursor"), nullptr);
  ASSERT_EQ(doc.at("items").size(), 1U);
  const auto& job = doc["items"][0];
  EXPECT_EQ(job.at("name"), "new-year");
  EXPECT_EQ(job.at("schedule"), "0 0 1 1 *");
  EXPECT_EQ(job.at("time_zone"), "Asia/Tokyo");
  EXPECT_EQ(job.at("payload"), nlohmann::json({{"x", 1}}));
  EXPECT_EQ(job.at("priority"), 3);
  // Midnight of 1 January in Tokyo is 15:00 UTC on 31 December.
  const auto year = value<int>("SELECT extract(year FROM now() AT TIME ZONE 'Asia/Tokyo')::int");
  EXPECT_EQ(job.at("next_run_at"), std::to_string(year) + "-12-31T15:00:00Z");
  const auto table = daapctl({"periodic", "list"});
  EXPECT_THAT(table.out, HasSubstr("NEXT_RUN_AT"));
  EXPECT_THAT(table.out, HasSubstr(std::to_string(year) + "-12-31T15:00:00Z"));
}

TEST_F(PeriodicCommandTest, ABadScheduleOrTimeZoneIsRefusedNamingIt) {
  auto r = daapctl({"periodic", "add", "p", "--schedule", "* * * * 9", "--kind", "noop"});
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("day-of-week field '9': 9 is out of range 0-7"));
  r = daapctl({"periodic", "add", "p", "--schedule", "* * * * *", "--kind", "noop", "--time-zone",
               "Moon/Tranquility"});
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("time_zone 'Moon/Tranquility' is not in the tz database"));
  EXPECT_EQ(value<std::int64_t>("SELECT count(*) FROM daap.periodic_jobs"), 0);
}

TEST_F(PeriodicCommandTest, DisableEnableAndRemoveChangeTheRow) {
  ASSERT_EQ(daapctl({"periodic", "add", "p", "--schedule", "*/5 * * * *", "--kind", "noop"}).status,
            0);
  EXPECT_EQ(daapctl({"periodic", "disable", "p"}).status, 0);
  EXPECT_FALSE(value<bool>("SELECT enabled FROM daap.periodic_jobs WHERE name = 'p'"));
  EXPECT_EQ(daapctl({"periodic", "enable", "p"}).status, 0);
  EXPECT_TRUE(value<bool>("SELECT enabled FROM daap.periodic_jobs WHERE name = 'p'"));
  EXPECT_EQ(daapctl({"periodic", "remove", "p"}).status, 0);
  EXPECT_EQ(value<std::int64_t>("SELECT count(*) FROM daap.periodic_jobs"), 0);
  const auto r = daapctl({"periodic", "remove", "p"});
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("no periodic job named 'p'"));
}

TEST_F(PeriodicCommandTest, RunNowEnqueuesOneJobAndPrintsItsId) {
  ASSERT_EQ(daapctl({"periodic", "add", "p", "--schedule", "0 3 * * *", "--kind", "noop"}).status,
            0);
  const auto r = daapctl({"periodic", "run-now", "p"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto id = std::stoll(r.out);
  EXPECT_EQ(value<std::int64_t>("SELECT count(*) FROM daap.jobs WHERE id = $1 AND kind = 'noop' "
                                "AND state = 'available' AND run_at <= now()",
                                pqxx::params{id}),
            1);
}

}  // namespace
}  // namespace daap::test
