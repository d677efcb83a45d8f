// Bulk job actions (daap.retry_jobs and its siblings, migration 022, through queue/bulk.h): what
// each does to every state, why it refuses, and how it behaves beside a claim under way.
#include "queue/bulk.h"

#include <future>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "queue/admin.h"
#include "queue/enqueue.h"
#include "queue/executor_sql.h"
#include "tests/support/eventually.h"
#include "tests/support/test_database.h"

namespace daap::queue {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class BulkTest : public daap::test::RollbackTest {
 protected:
  JobId add(const NewJob& job) { return enqueue(tx(), job); }
  JobId add(const std::string& state = "available", const std::string& unique_key = "") {
    const auto id = enqueue(
        tx(), NewJob{.kind = "noop",
                     .unique_key = unique_key.empty() ? std::nullopt
                                                      : std::optional<std::string>(unique_key)});
    if (state == "running") {
      tx().exec(
          "UPDATE daap.jobs SET state = 'running', attempt = 1, started_at = now(), "
          "locked_by = 'w', lease_expires_at = now() + interval '1 minute' WHERE id = $1",
          pqxx::params{id});
    } else if (state != "available") {
      tx().exec(
          "UPDATE daap.jobs SET state = $2, attempt = 1, finished_at = now(), "
          "last_error = 'boom' WHERE id = $1",
          pqxx::params{id, state});
    }
    return id;
  }
  std::string state(JobId id) {
    return tx().query_value<std::string>("SELECT state FROM daap.jobs WHERE id = $1",
                                         pqxx::params{id});
  }
  static std::vector<std::string> reasons(const std::vector<BulkOutcome>& outcomes) {
    std::vector<std::string> r;
    for (const auto& o : outcomes) r.push_back(o.reason.value_or("done"));
    return r;
  }
};

TEST_F(BulkTest, RetryRetriesFailedAndCancelledJobsAndSaysWhyNotForEveryOtherId) {
  const auto failed = add("failed");
  const auto cancelled = add("cancelled");
  const auto succeeded = add("succeeded");
  const auto running = add("running");
  const auto available = add("available");
  const auto missing = available + 1000;
  const auto outcomes = apply(tx(), BulkAction::retry,
                              {missing, available, running, succeeded, cancelled, failed, failed});
  ASSERT_EQ(outcomes.size(), 6U) << "one row per distinct id";
  EXPECT_EQ(outcomes[0].id, failed) << "in id order";
  EXPECT_THAT(
      reasons(outcomes),
      ElementsAre("done", "done", "it is succeeded: only failed or cancelled jobs can be retried",
                  "it is running: only failed or cancelled jobs can be retried",
                  "it is available: only failed or cancelled jobs can be retried", "no such job"));
  EXPECT_EQ(outcomes[0].old_state, "failed");
  EXPECT_EQ(outcomes[0].new_state, "available");
  EXPECT_EQ(outcomes[2].new_state, "succeeded");
  EXPECT_FALSE(outcomes[5].old_state);
  EXPECT_EQ(state(failed), "available");
  EXPECT_EQ(state(cancelled), "available");
  EXPECT_EQ(state(succeeded), "succeeded");
  EXPECT_EQ(state(running), "running");
  const auto row = tx().exec(
                           "SELECT attempt, finished_at IS NULL, last_error, run_at <= now() "
                           "FROM daap.jobs WHERE id = $1",
                           pqxx::params{failed})
                       .one_row();
  EXPECT_EQ(row[0].as<int>(), 0);
  EXPECT_TRUE(row[1].as<bool>());
  EXPECT_EQ(row[2].as<std::string>(), "boom") << "the error stays for the record";
  EXPECT_TRUE(row[3].as<bool>());
}

TEST_F(BulkTest, RetryOfJobsSharingAUniqueKeyRetriesOnlyTheNewest) {
  const auto older = add("failed", "k");
  const auto newer = add("failed", "k");
  const auto outcomes = apply(tx(), BulkAction::retry, {older, newer});
  ASSERT_EQ(outcomes.size(), 2U);
  EXPECT_THAT(*outcomes[0].reason, HasSubstr("job " + std::to_string(newer) +
                                             ", also given, shares its unique_key 'k'"));
  EXPECT_TRUE(outcomes[1].done());
  EXPECT_EQ(state(older), "failed");
  EXPECT_EQ(state(newer), "available");
}

TEST_F(BulkTest, RetryIsRefusedWhileAnUnfinishedJobHoldsTheUniqueKey) {
  const auto old = add("failed", "k");
  const auto holder = add("available", "k");
  const auto outcomes = apply(tx(), BulkAction::retry, {old});
  EXPECT_EQ(outcomes.at(0).reason,
            "unfinished job " + std::to_string(holder) + " holds its unique_key 'k'");
  EXPECT_EQ(state(old), "failed");
}

TEST_F(BulkTest, CancelCancelsAvailableJobsAndAsksRunningOnesToStop) {
  const auto available = add("available");
  const auto running = add("running");
  const auto failed = add("failed");
  const auto outcomes = apply(tx(), BulkAction::cancel, {available, running, failed});
  EXPECT_THAT(reasons(outcomes),
              ElementsAre("done", "done",
                          "it is already failed: only available or running jobs can be cancelled"));
  EXPECT_EQ(outcomes[0].new_state, "cancelled");
  EXPECT_EQ(outcomes[1].old_state, "running");
  EXPECT_EQ(outcomes[1].new_state, "running");
  EXPECT_EQ(state(available), "cancelled");
  EXPECT_EQ(state(running), "running");
  EXPECT_TRUE(
      tx().query_value<bool>("SELECT cancel_requested_at IS NOT NULL FROM daap.jobs WHERE id = $1",
                             pqxx::params{running}));
}

TEST_F(BulkTest, RunNowMakesAScheduledJobDueAndLeavesADueOneAlone) {
  const auto scheduled = add(NewJob{.kind = "noop", .run_at = Clock::now() + 1h});
  const auto due = add("available");
  const auto done = add("succeeded");
  const auto outcomes = apply(tx(), BulkAction::run_now, {scheduled, due, done});
  EXPECT_THAT(
      reasons(outcomes),
      ElementsAre("done", "already due", "it is succeeded: only available jobs can be run now"));
  EXPECT_TRUE(tx().query_value<bool>("SELECT run_at <= now() FROM daap.jobs WHERE id = $1",
                                     pqxx::params{scheduled}));
}

TEST_F(BulkTest, RescheduleMovesAvailableJobsAndRefusesATimeThatIsNotFinite) {
  const auto job = add("available");
  const auto failed = add("failed");
  const auto r = tx().exec(
      "SELECT id, reason FROM daap.reschedule_jobs($1::bigint[], "
      "now() + interval '2 hours') ORDER BY id",
      pqxx::params{std::vector<JobId>{job, failed}});
  EXPECT_TRUE(r[0]["reason"].is_null());
  EXPECT_EQ(r[1]["reason"].as<std::string>(),
            "it is failed: only available jobs can be rescheduled");
  EXPECT_TRUE(tx().query_value<bool>(
      "SELECT run_at > now() + interval '1 hour' FROM daap.jobs WHERE id = $1", pqxx::params{job}));
  EXPECT_THROW(tx().exec("SELECT * FROM daap.reschedule_jobs($1::bigint[], 'infinity')",
                         pqxx::params{std::vector<JobId>{job}}),
               pqxx::sql_error);
}

TEST_F(BulkTest, DeleteDeletesFinishedJobsOnly) {
  const auto succeeded = add("succeeded");
  const auto cancelled = add("cancelled");
  const auto running = add("running");
  const auto outcomes = apply(tx(), BulkAction::remove, {succeeded, cancelled, running});
  EXPECT_THAT(reasons(outcomes),
              ElementsAre("done", "done",
                          "it is running: only finished jobs can be deleted (cancel it first)"));
  EXPECT_EQ(outcomes[0].new_state, "deleted");
  EXPECT_EQ(tx().query_value<long>("SELECT count(*) FROM daap.jobs WHERE id = ANY ($1)",
                                   pqxx::params{std::vector<JobId>{succeeded, cancelled, running}}),
            1);
}

TEST_F(BulkTest, SelectionFiltersAndWalksIdsInBatches) {
  std::vector<JobId> failed;
  for (int i = 0; i < 5; ++i) failed.push_back(add("failed"));
  add("succeeded");
  tx().exec("UPDATE daap.jobs SET last_error = 'Connection REFUSED' WHERE id = $1",
            pqxx::params{failed[3]});
  const JobSelection by_state{.state = JobState::failed};
  const auto size = measure(tx(), by_state);
  EXPECT_EQ(size.count, 5);
  EXPECT_EQ(size.max_id, failed.back());
  const auto first = select_jobs(tx(), by_state, 0, size.max_id, 2);
  ASSERT_EQ(first.size(), 2U);
  EXPECT_EQ(first[1].id, failed[1]);
  const auto rest = select_jobs(tx(), by_state, first[1].id, size.max_id, 10);
  ASSERT_EQ(rest.size(), 3U);
  EXPECT_EQ(rest[0].id, failed[2]);
  const auto by_error =
      select_jobs(tx(), JobSelection{.error_contains = "refused"}, 0, size.max_id, 10);
  ASSERT_EQ(by_error.size(), 1U);
  EXPECT_EQ(by_error[0].id, failed[3]);
  EXPECT_EQ(measure(tx(), JobSelection{.error_contains = "%"}).count, 0) << "taken literally";
}

// Several connections: a fresh database per test.
class BulkConcurrencyTest : public ::testing::Test {
 protected:
  daap::test::FreshDatabase db;
  pqxx::connection conn{db.url()};
};

TEST_F(BulkConcurrencyTest, CancelWaitsForAClaimUnderWayAndThenAsksTheClaimedJobToStop) {
  JobId id = 0;
  {
    pqxx::work tx(conn);
    id = enqueue(tx, NewJob{.kind = "noop"});
    tx.commit();
  }
  pqxx::connection worker(db.url());
  pqxx::work claim_tx(worker);
  const auto claimed =
      claim_tx.exec("SELECT id FROM daap.claim_jobs('w', ARRAY['default'], 1, 30000)");
  ASSERT_EQ(claimed.size(), 1U);

  pqxx::connection listener(db.url());
  std::vector<std::string> heard;
  listener.listen("daap_job_cancel",
                  [&](const pqxx::notification& n) { heard.emplace_back(n.payload); });

  auto cancel = std::async(std::launch::async, [&] {
    pqxx::connection admin(db.url());
    pqxx::work tx(admin);
    auto outcomes = apply(tx, BulkAction::cancel, {id});
    tx.commit();
    return outcomes;
  });
  // It waits on the claim's row lock rather than skipping the row or acting on its old state.
  ASSERT_TRUE(daap::test::eventually(
      [&] {
        pqxx::nontransaction q(conn);
        return q.query_value<long>(
                   "SELECT count(*) FROM pg_stat_activity "
                   "WHERE wait_event_type = 'Lock' AND datname = current_database()") == 1;
      },
      10s));
  EXPECT_EQ(cancel.wait_for(0s), std::future_status::timeout);
  claim_tx.commit();
  const auto outcomes = cancel.get();
  ASSERT_EQ(outcomes.size(), 1U);
  EXPECT_TRUE(outcomes[0].done());
  EXPECT_EQ(outcomes[0].old_state, "running") << "judged by the state the claim committed";
  EXPECT_EQ(outcomes[0].new_state, "running");
  ASSERT_TRUE(daap::test::eventually(
      [&] {
        listener.get_notifs();
        return !heard.empty();
      },
      10s));
  EXPECT_EQ(heard, std::vector<std::string>{std::to_string(id)});
}

TEST_F(BulkConcurrencyTest, RetryWakesIdleWorkersOnceWhenAnyJobBecameAvailable) {
  JobId id = 0;
  {
    pqxx::work tx(conn);
    id = enqueue(tx, NewJob{.kind = "noop"});
    tx.exec("UPDATE daap.jobs SET state = 'failed', finished_at = now() WHERE id = $1",
            pqxx::params{id});
    tx.commit();
  }
  pqxx::connection listener(db.url());
  int woken = 0;
  listener.listen("daap_jobs", [&](const pqxx::notification&) { ++woken; });
  {
    pqxx::work tx(conn);
    apply(tx, BulkAction::retry, {id + 1000});  // nothing retried: nobody is woken
    tx.commit();
  }
  {
    pqxx::work tx(conn);
    apply(tx, BulkAction::retry, {id});
    tx.commit();
  }
  ASSERT_TRUE(daap::test::eventually(
      [&] {
        listener.get_notifs();
        return woken > 0;
      },
      10s));
  listener.await_notification(0, 200000);
  EXPECT_EQ(woken, 1);
}

}  // namespace
}  // namespace daap::queue
