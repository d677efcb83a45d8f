// Admin operations (daapctl jobs/stats/workers) in a rolled-back transaction.
#include "queue/admin.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "queue/enqueue.h"
#include "queue/executor_sql.h"
#include "queue/queries.h"
#include "queue/workers.h"
#include "tests/support/test_database.h"

namespace daap::queue {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class AdminTest : public daap::test::RollbackTest {
 protected:
  JobId add(const NewJob& job) { return enqueue(tx(), job); }
  JobId add(const std::string& kind = "noop") { return add(NewJob{.kind = kind}); }
  // The worker's claim statement, inside the test's transaction.
  JobLease claim_in_tx(JobId expected, const std::string& worker = "w1") {
    auto row = tx().exec("SELECT * FROM daap.claim_jobs($1, $2, 1, 30000)",
                         pqxx::params{worker, std::vector<std::string>{"default"}})
                   .one_row();
    EXPECT_EQ(row["id"].as<JobId>(), expected);
    return {row["id"].as<JobId>(), worker, row["attempt"].as<int>()};
  }
  JobRow job(JobId id) {
    auto row = get_job(tx(), id);
    if (!row) throw std::runtime_error("no job " + std::to_string(id));
    return *row;
  }
  void finish(JobId id, const std::string& state) {
    tx().exec("UPDATE daap.jobs SET state = $2, finished_at = now() WHERE id = $1",
              pqxx::params{id, state});
  }
  template <typename E, typename F>
  std::string error_of(F&& f) {
    try {
      f();
    } catch (const E& e) {
      return e.what();
    }
    return "(nothing thrown)";
  }
};

TEST_F(AdminTest, GetJobReturnsTheWholeRow) {
  const auto id = add(NewJob{.kind = "k",
                             .payload = {{"a", 1}},
                             .queue = "q",
                             .priority = 3,
                             .max_attempts = 5,
                             .unique_key = "u"});
  const auto row = job(id);
  EXPECT_EQ(row.id, id);
  EXPECT_EQ(row.kind, "k");
  EXPECT_EQ(row.queue, "q");
  EXPECT_EQ(row.payload, (nlohmann::json{{"a", 1}}));
  EXPECT_EQ(row.state, JobState::available);
  EXPECT_EQ(row.priority, 3);
  EXPECT_EQ(row.attempt, 0);
  EXPECT_EQ(row.max_attempts, 5);
  EXPECT_EQ(row.unique_key, "u");
  EXPECT_EQ(row.errors, nlohmann::json::array());
  EXPECT_TRUE(row.result.is_null());
  EXPECT_FALSE(row.started_at || row.finished_at || row.locked_by || row.lease_expires_at ||
               row.last_error || row.database_id || row.cancel_requested_at);
  // RFC 3339 whatever the session's DateStyle.
  EXPECT_THAT(row.created_at, ::testing::MatchesRegex(
                                  R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}.*)"));
  EXPECT_TRUE(
      tx().query_value<bool>("SELECT $1::timestamptz = created_at FROM daap.jobs "
                             "WHERE id = $2",
                             pqxx::params{row.created_at, id}));
  const auto json = to_json(row);
  EXPECT_EQ(json["state"], "available");
  EXPECT_EQ(json["kind"], "k");
  EXPECT_TRUE(json["finished_at"].is_null());
}

TEST_F(AdminTest, GetJobOfAnUnknownIdIsEmpty) { EXPECT_FALSE(get_job(tx(), 424242)); }

TEST_F(AdminTest, ListJobsFiltersAndShowsNewestFirst) {
  const auto a = add(NewJob{.kind = "a", .queue = "q1"});
  const auto b = add(NewJob{.kind = "b", .queue = "q1"});
  const auto c = add(NewJob{.kind = "a", .queue = "q2"});
  const auto d = add(NewJob{.kind = "a", .queue = "q1"});
  finish(d, "failed");
  auto ids = [&](const JobFilter& f) {
    std::vector<JobId> out;
    for (const auto& r : list_jobs(tx(), f)) out.push_back(r.id);
    return out;
  };
  EXPECT_THAT(ids({}), ElementsAre(d, c, b, a));
  EXPECT_THAT(ids({.kind = "a"}), ElementsAre(d, c, a));
  EXPECT_THAT(ids({.kind = "a", .queue = "q1"}), ElementsAre(d, a));
  EXPECT_THAT(ids({.state = JobState::available, .kind = "a", .queue = "q1"}), ElementsAre(a));
  EXPECT_THAT(ids({.state = JobState::failed}), ElementsAre(d));
  EXPECT_THAT(ids({.limit = 2}), ElementsAre(d, c));
}

TEST_F(AdminTest, ListJobsRefusesALimitOutOfRange) {
  EXPECT_THAT(error_of<std::invalid_argument>([&] { list_jobs(tx(), {.limit = 0}); }),
              HasSubstr("limit must be between 1 and 1000, got 0"));
  EXPECT_THROW(list_jobs(tx(), {.limit = 1001}), std::invalid_argument);
}

TEST_F(AdminTest, CancelOfAnAvailableJobCancelsItAtOnce) {
  const auto id = add();
  EXPECT_EQ(cancel_job(tx(), id), JobState::cancelled);
  const auto row = job(id);
  EXPECT_EQ(row.state, JobState::cancelled);
  EXPECT_TRUE(row.finished_at && row.cancel_requested_at);
}

TEST_F(AdminTest, CancelOfARunningJobAsksItsWorkerWhichEndsItCancelled) {
  const auto id = add();
  const auto lease = claim_in_tx(id);
  EXPECT_EQ(cancel_job(tx(), id), JobState::running);
  EXPECT_EQ(job(id).state, JobState::running);
  EXPECT_TRUE(job(id).cancel_requested_at);
  EXPECT_EQ(cancel_job(tx(), id), JobState::running) << "asking twice is harmless";

  const auto beat = heartbeat(tx(), {lease}, 30s);
  EXPECT_THAT(beat.cancel_requested, ElementsAre(id));
  EXPECT_TRUE(cancel_running(tx(), lease, "cancelled on request"));
  EXPECT_EQ(job(id).state, JobState::cancelled);
}

TEST_F(AdminTest, CancelOfARunningJobThatThenFailsEndsCancelled) {
  const auto id = add();
  const auto lease = claim_in_tx(id);
  cancel_job(tx(), id);
  EXPECT_EQ(fail(tx(), lease, "interrupted", false, 1s), FailOutcome::cancelled);
  EXPECT_EQ(job(id).state, JobState::cancelled);
  EXPECT_EQ(job(id).last_error, "interrupted");
}

TEST_F(AdminTest, CancelOfAFinishedJobIsRefusedNamingItsState) {
  const auto id = add();
  finish(id, "succeeded");
  EXPECT_THAT(error_of<WrongJobState>([&] { cancel_job(tx(), id); }),
              HasSubstr("job " + std::to_string(id) + ": it is already succeeded"));
  EXPECT_EQ(job(id).state, JobState::succeeded);
}

TEST_F(AdminTest, CancelOrRetryOfAnUnknownJobThrowsJobNotFound) {
  EXPECT_THAT(error_of<JobNotFound>([&] { cancel_job(tx(), 424242); }),
              HasSubstr("job 424242 does not exist"));
  EXPECT_THROW(retry_job(tx(), 424242), JobNotFound);
}

TEST_F(AdminTest, RetryOfAFailedJobResetsTheAttemptsAndKeepsTheHistory) {
  const auto id = add(NewJob{.kind = "noop", .max_attempts = 1});
  const auto lease = claim_in_tx(id);
  ASSERT_EQ(fail(tx(), lease, "boom", false, 1s), FailOutcome::failed);
  retry_job(tx(), id);
  const auto row = job(id);
  EXPECT_EQ(row.state, JobState::available);
  EXPECT_EQ(row.attempt, 0);
  EXPECT_FALSE(row.finished_at);
  EXPECT_EQ(row.errors.size(), 1u);
  EXPECT_EQ(row.errors[0]["error"], "boom");
  EXPECT_EQ(row.last_error, "boom");
  claim_in_tx(id);  // runnable again now
}

TEST_F(AdminTest, RetryOfACancelledJobMakesItAvailable) {
  const auto id = add();
  cancel_job(tx(), id);
  retry_job(tx(), id);
  EXPECT_EQ(job(id).state, JobState::available);
  EXPECT_FALSE(job(id).cancel_requested_at);
}

TEST_F(AdminTest, RetryOfASucceededJobIsRefusedNamingItsState) {
  const auto id = add();
  finish(id, "succeeded");
  EXPECT_THAT(error_of<WrongJobState>([&] { retry_job(tx(), id); }),
              HasSubstr("is succeeded: only failed or cancelled jobs can be retried"));
  const auto running = add();
  claim_in_tx(running);
  EXPECT_THAT(error_of<WrongJobState>([&] { retry_job(tx(), running); }), HasSubstr("is running"));
}

TEST_F(AdminTest, RetryIsRefusedWhileAnotherUnfinishedJobHoldsTheUniqueKey) {
  const auto old = add(NewJob{.kind = "noop", .unique_key = "k"});
  finish(old, "failed");
  const auto holder = add(NewJob{.kind = "noop", .unique_key = "k"});
  EXPECT_THAT(error_of<WrongJobState>([&] { retry_job(tx(), old); }),
              HasSubstr("job " + std::to_string(holder) + " holds its unique_key 'k'"));
  EXPECT_EQ(job(old).state, JobState::failed);
}

TEST_F(AdminTest, JobStatsCountsPerQueueKindAndStateWithTheOldestAvailableAge) {
  tx().exec(
      "INSERT INTO daap.jobs (kind, queue, run_at) VALUES "
      "('a', 'q', now() - interval '90 seconds'), ('a', 'q', now() - interval '10 seconds'),"
      "('a', 'q', now() + interval '1 hour'), ('b', 'q', now() + interval '1 hour')");
  tx().exec(
      "INSERT INTO daap.jobs (kind, queue, state, finished_at) VALUES "
      "('a', 'q', 'failed', now()), ('a', 'q', 'failed', now())");
  const auto stats = job_stats(tx());
  ASSERT_EQ(stats.size(), 3u);
  EXPECT_EQ(stats[0].kind, "a");
  EXPECT_EQ(stats[0].state, "available");
  EXPECT_EQ(stats[0].count, 3);
  ASSERT_TRUE(stats[0].oldest_available_age_seconds);
  EXPECT_NEAR(*stats[0].oldest_available_age_seconds, 90.0, 0.001);
  EXPECT_EQ(stats[1].state, "failed");
  EXPECT_EQ(stats[1].count, 2);
  EXPECT_FALSE(stats[1].oldest_available_age_seconds);
  EXPECT_EQ(stats[2].kind, "b");
  EXPECT_EQ(stats[2].count, 1);
  EXPECT_FALSE(stats[2].oldest_available_age_seconds) << "nothing due yet";
  // The view itself, as admins read it with psql.
  EXPECT_EQ(tx().query_value<std::string>("SELECT oldest_available_age::text FROM daap.job_stats "
                                          "WHERE kind = 'a' AND state = 'available'"),
            "00:01:30");
}

TEST_F(AdminTest, ListWorkersShowsRegisteredWorkers) {
  register_worker(tx(), {.id = "host-1-ab",
                         .hostname = "host",
                         .pid = 1,
                         .version = "0.1.0",
                         .queues = {"default", "prov"},
                         .concurrency = 4});
  const auto workers = list_workers(tx());
  ASSERT_EQ(workers.size(), 1u);
  EXPECT_EQ(workers[0].id, "host-1-ab");
  EXPECT_EQ(workers[0].queues, (std::vector<std::string>{"default", "prov"}));
  EXPECT_EQ(workers[0].concurrency, 4);
  EXPECT_EQ(workers[0].pid, 1);
  EXPECT_FALSE(workers[0].heartbeat_at.empty());
}

TEST(JobState, ParsesItsOwnNamesAndRejectsOthersNamingThem) {
  for (const auto s : {JobState::available, JobState::running, JobState::succeeded,
                       JobState::failed, JobState::cancelled}) {
    EXPECT_EQ(parse_job_state(to_string(s)), s);
  }
  try {
    parse_job_state("paused");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'paused'"));
  }
}

}  // namespace
}  // namespace daap::queue
