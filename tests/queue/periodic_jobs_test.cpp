// Periodic jobs: the SQL API (through queue/periodic_jobs.h) and the leader's pass that enqueues
// due runs (queue/periodic_runs.h), in a rolled-back transaction.
#include "queue/periodic_jobs.h"

#include <string>

#include <gtest/gtest.h>

#include "queue/periodic_runs.h"
#include "tests/support/test_database.h"

namespace daap::queue {
namespace {

class PeriodicJobsTest : public daap::test::RollbackTest {
 protected:
  // Without the built-in ones (migration 028): each test sees only its own.
  void SetUp() override {
    RollbackTest::SetUp();
    tx().exec("DELETE FROM daap.periodic_jobs");
  }
  PeriodicJob add(const std::string& name, const std::string& schedule,
                  const std::string& time_zone = "UTC") {
    return add_periodic_job(
        tx(),
        NewPeriodicJob{.name = name, .schedule = schedule, .kind = "noop", .time_zone = time_zone});
  }
  // As if the job had been added `ago` (an SQL interval) before now.
  void added_ago(const std::string& name, const std::string& ago) {
    tx().exec("UPDATE daap.periodic_jobs SET schedule_from = now() - $2::interval WHERE name = $1",
              pqxx::params{name, ago});
  }
  std::int64_t jobs(const std::string& where = "true") {
    return tx().query_value<std::int64_t>("SELECT count(*) FROM daap.jobs WHERE " + where);
  }
  std::string refusal(const NewPeriodicJob& job) {
    try {
      tx().exec("SAVEPOINT refusal");
      add_periodic_job(tx(), job);
    } catch (const std::invalid_argument& e) {
      tx().exec("ROLLBACK TO SAVEPOINT refusal");
      return e.what();
    }
    return "accepted";
  }
};

TEST_F(PeriodicJobsTest, ABadScheduleIsRefusedNamingWhatIsWrong) {
  EXPECT_EQ(refusal({.name = "p", .schedule = "61 * * * *", .kind = "noop"}),
            "daap.add_periodic_job: schedule: minute field '61': 61 is out of range 0-59");
  EXPECT_EQ(refusal({.name = "p", .schedule = "* * * * mon-funday", .kind = "noop"}),
            "daap.add_periodic_job: schedule: day-of-week field 'mon-funday': 'funday' is "
            "neither a number nor a name");
  EXPECT_EQ(refusal({.name = "p", .schedule = "0 0 31 feb,apr *", .kind = "noop"}),
            "daap.add_periodic_job: schedule: the schedule never fires: no month in 'feb,apr' "
            "has a day in '31'");
  EXPECT_EQ(jobs(), 0);
}

TEST_F(PeriodicJobsTest, AnUnknownTimeZoneIsRefusedNamingIt) {
  EXPECT_EQ(
      refusal(
          {.name = "p", .schedule = "* * * * *", .kind = "noop", .time_zone = "Europe/Atlantis"}),
      "daap.add_periodic_job: time_zone 'Europe/Atlantis' is not in the tz database (use an "
      "IANA name such as UTC or Europe/Berlin)");
}

TEST_F(PeriodicJobsTest, TheTableRefusesABadScheduleWrittenWithPlainSql) {
  EXPECT_THROW(tx().exec("INSERT INTO daap.periodic_jobs (name, schedule, kind) "
                         "VALUES ('p', '* * * *', 'noop')"),
               pqxx::check_violation);
}

TEST_F(PeriodicJobsTest, ANameIsTakenOnceUnlessReplaced) {
  add("nightly", "0 3 * * *");
  tx().exec("SAVEPOINT s");
  EXPECT_THROW(add("nightly", "0 4 * * *"), PeriodicJobExists);
  tx().exec("ROLLBACK TO SAVEPOINT s");
  const auto replaced =
      add_periodic_job(tx(), {.name = "nightly", .schedule = "0 4 * * *", .kind = "noop"}, true);
  EXPECT_EQ(replaced.schedule, "0 4 * * *");
}

TEST_F(PeriodicJobsTest, ADueRunIsEnqueuedOnceAtItsScheduledTime) {
  add("new-year", "0 0 1 1 *");
  added_ago("new-year", "3 years");
  const auto pass = enqueue_due_runs(tx());
  ASSERT_EQ(pass.enqueued.size(), 1U);
  const auto at = tx().query_value<std::string>(
      "SELECT to_char(date_trunc('year', now() AT TIME ZONE 'UTC'), "
      "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
  EXPECT_EQ(jobs("kind = 'noop' AND state = 'available' AND unique_key = 'periodic:new-year:" + at +
                 "' AND run_at = '" + at + "'::timestamptz"),
            1);
  EXPECT_TRUE(enqueue_due_runs(tx()).enqueued.empty()) << "its next run is next year";
  EXPECT_EQ(jobs(), 1);
  const auto job = get_periodic_job(tx(), "new-year");
  ASSERT_TRUE(job->last_job_id.has_value());
  EXPECT_EQ(*job->last_job_id, pass.enqueued[0].job_id);
}

TEST_F(PeriodicJobsTest, AMissedWindowRunsOnceNotOncePerMissedTick) {
  add("hourly", "0 * * * *");
  added_ago("hourly", "3 days");  // 72 runs missed while no leader ran
  const auto pass = enqueue_due_runs(tx());
  ASSERT_EQ(pass.enqueued.size(), 1U);
  EXPECT_LT(pass.enqueued[0].due_since, pass.enqueued[0].scheduled_at);
  EXPECT_EQ(jobs("unique_key LIKE 'periodic:hourly:%'"), 1);
  EXPECT_TRUE(enqueue_due_runs(tx()).enqueued.empty());
  EXPECT_EQ(jobs(), 1);
}

TEST_F(PeriodicJobsTest, ARunTheServerRefusesIsThatJobsErrorAndTheOthersRun) {
  add("hourly", "0 * * * *");
  add("refused", "0 * * * *");
  added_ago("hourly", "2 hours");
  added_ago("refused", "2 hours");
  // Whatever makes the server refuse one job's run (here a constraint an admin added).
  tx().exec("UPDATE daap.periodic_jobs SET kind = 'refused.kind' WHERE name = 'refused'");
  tx().exec("ALTER TABLE daap.jobs ADD CONSTRAINT test_refused CHECK (kind <> 'refused.kind')");
  const auto pass = enqueue_due_runs(tx());
  ASSERT_EQ(pass.enqueued.size(), 1U);
  EXPECT_EQ(pass.enqueued[0].name, "hourly");
  EXPECT_EQ(jobs("unique_key LIKE 'periodic:hourly:%'"), 1);
  EXPECT_EQ(jobs("kind = 'refused.kind'"), 0);
  const auto refused = get_periodic_job(tx(), "refused");
  ASSERT_TRUE(refused->last_error.has_value());
  EXPECT_NE(refused->last_error->find("enqueueing its run failed"), std::string::npos)
      << *refused->last_error;
  EXPECT_NE(refused->last_error->find("test_refused"), std::string::npos) << *refused->last_error;
  ASSERT_EQ(pass.changed.size(), 1U);
  EXPECT_EQ(pass.changed[0].name, "refused");
}

TEST_F(PeriodicJobsTest, ARunNotYetDueIsNotEnqueued) {
  add("new-year", "0 0 1 1 *");  // counts from now: the next 1 January is ahead
  EXPECT_TRUE(enqueue_due_runs(tx()).enqueued.empty());
  EXPECT_EQ(jobs(), 0);
}

TEST_F(PeriodicJobsTest, ADisabledJobNeverRuns) {
  add("hourly", "0 * * * *");
  added_ago("hourly", "3 days");
  disable_periodic_job(tx(), "hourly");
  EXPECT_TRUE(enqueue_due_runs(tx()).enqueued.empty());
  EXPECT_EQ(jobs(), 0);
  // Enabled again, it counts from now: the missed runs are not made up.
  EXPECT_TRUE(enable_periodic_job(tx(), "hourly").enabled);
  EXPECT_TRUE(enqueue_due_runs(tx()).enqueued.empty());
  EXPECT_EQ(jobs(), 0);
}

TEST_F(PeriodicJobsTest, RunNowEnqueuesOneJobImmediatelyEvenWhenDisabled) {
  add("nightly", "0 3 * * *");
  disable_periodic_job(tx(), "nightly");
  const auto id = run_periodic_job_now(tx(), "nightly");
  EXPECT_EQ(jobs("id = " + std::to_string(id) +
                 " AND kind = 'noop' AND state = 'available' AND run_at <= now()"),
            1);
  EXPECT_EQ(run_periodic_job_now(tx(), "nightly"), id) << "while it is unfinished";
  EXPECT_EQ(jobs(), 1);
  EXPECT_EQ(get_periodic_job(tx(), "nightly")->last_scheduled_at, std::nullopt)
      << "the schedule is unchanged";
}

TEST_F(PeriodicJobsTest, AnUnknownNameIsNotFound) {
  EXPECT_THROW(run_periodic_job_now(tx(), "nope"), PeriodicJobNotFound);
}

TEST_F(PeriodicJobsTest, RemovingAJobStopsItsRuns) {
  add("hourly", "0 * * * *");
  added_ago("hourly", "3 days");
  remove_periodic_job(tx(), "hourly");
  EXPECT_FALSE(get_periodic_job(tx(), "hourly").has_value());
  EXPECT_TRUE(enqueue_due_runs(tx()).enqueued.empty());
}

TEST_F(PeriodicJobsTest, AZoneTheDatabaseLacksIsReportedAndSkipped) {
  add("hourly", "0 * * * *");
  added_ago("hourly", "3 days");
  // Written by hand: the API would refuse it.
  tx().exec(
      "UPDATE daap.periodic_jobs SET time_zone = 'Nowhere/Land', "
      "schedule_from = now() - interval '3 days' WHERE name = 'hourly'");
  const auto pass = enqueue_due_runs(tx());
  EXPECT_TRUE(pass.enqueued.empty());
  ASSERT_EQ(pass.changed.size(), 1U);
  EXPECT_EQ(get_periodic_job(tx(), "hourly")->last_error,
            "time zone 'Nowhere/Land' is not in the tz database (use an IANA name such as UTC "
            "or Europe/Berlin)");
}

TEST_F(PeriodicJobsTest, TheListShowsEachJobsNextRun) {
  add("b-hourly", "0 * * * *", "Europe/Berlin");
  add("a-yearly", "0 0 1 1 *");
  const auto page = list_periodic_jobs(tx(), 1, std::nullopt);
  ASSERT_EQ(page.items.size(), 1U);
  EXPECT_EQ(page.items[0].name, "a-yearly");
  ASSERT_TRUE(page.next_cursor.has_value());
  const auto json = to_json(page.items[0], page.now);
  const auto year = tx().query_value<int>("SELECT extract(year FROM now() AT TIME ZONE 'UTC')");
  EXPECT_EQ(json["next_run_at"], std::to_string(year + 1) + "-01-01T00:00:00Z");
  EXPECT_EQ(json["due"], false);
  const auto rest = list_periodic_jobs(tx(), 10, page.next_cursor);
  ASSERT_EQ(rest.items.size(), 1U);
  EXPECT_EQ(rest.items[0].name, "b-hourly");
  EXPECT_FALSE(rest.next_cursor.has_value());
}

}  // namespace
}  // namespace daap::queue
