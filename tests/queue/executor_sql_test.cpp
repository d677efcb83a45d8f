// The worker's statements (claim, complete, fail, snooze, release, heartbeat) on a fresh
// database per test: claim commits on its own, and several tests need two connections.
#include "queue/executor_sql.h"

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <vector>
#include <thread>
#include <atomic>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "queue/admin.h"
#include "queue/enqueue.h"
#include "queue/errors.h"
#include "queue/maintenance.h"
#include "queue/queries.h"
#include "tests/support/test_database.h"

namespace daap::queue {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr auto kLease = 30s;
const std::vector<std::string> kDefault{"default"};

class ExecutorTest : public ::testing::Test {
 protected:
  daap::test::FreshDatabase db;
  pqxx::connection conn{db.url()};

  JobId add(const NewJob& job) {
    pqxx::work tx(conn);
    const auto id = enqueue(tx, job);
    tx.commit();
    return id;
  }
  JobId add(const std::string& kind = "noop") { return add(NewJob{.kind = kind}); }

  // Runs `sql` in its own committed transaction.
  pqxx::result run(const std::string& sql, const pqxx::params& params = {}) {
    pqxx::work tx(conn);
    auto r = tx.exec(sql, params);
    tx.commit();
    return r;
  }
  template <typename T = std::string>
  T value(const std::string& sql, const pqxx::params& params = {}) {
    return run(sql, params).one_field().as<T>();
  }
  template <typename T = std::string>
  T column(JobId id, const std::string& expr) {
    return value<T>("SELECT " + expr + " FROM daap.jobs WHERE id = $1", pqxx::params{id});
  }
  std::string state(JobId id) { return column(id, "state"); }

  Job claim_one(const std::string& worker = "w1") {
    auto jobs = claim(conn, worker, kDefault, 1, kLease);
    if (jobs.size() != 1) throw std::runtime_error("expected to claim one job");
    return jobs[0];
  }
  static std::vector<JobId> ids_of(const std::vector<Job>& jobs) {
    std::vector<JobId> ids;
    for (const auto& j : jobs) ids.push_back(j.id);
    return ids;
  }
  // The lease runs out and a maintenance pass rescues the job.
  void expire_and_rescue(JobId id) {
    run("UPDATE daap.jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1",
        pqxx::params{id});
    pqxx::work tx(conn);
    rescue_expired_leases(tx);
    tx.commit();
  }
  // Completes in a transaction of its own; rolls back on FenceLost, as a worker does.
  void complete_now(const JobLease& lease, const nlohmann::json& result = nullptr) {
    pqxx::work tx(conn);
    complete(tx, lease, result);
    tx.commit();
  }
};

TEST_F(ExecutorTest, ClaimTakesJobsInPriorityRunAtIdOrder) {
  const auto t = Clock::now() - 2h;
  const auto tie_a = add(NewJob{.kind = "tie", .priority = 7, .run_at = t});
  const auto late = add(NewJob{.kind = "late", .run_at = Clock::now() - 1min});
  const auto low = add(NewJob{.kind = "low", .priority = 5, .run_at = Clock::now() - 1h});
  const auto tie_b = add(NewJob{.kind = "tie", .priority = 7, .run_at = t});
  const auto early = add(NewJob{.kind = "early", .run_at = Clock::now() - 1h});
  const auto urgent = add(NewJob{.kind = "urgent", .priority = -1});

  EXPECT_THAT(ids_of(claim(conn, "w1", kDefault, 10, kLease)),
              ElementsAre(urgent, early, late, low, tie_a, tie_b));
  // And one at a time, the database's order is the same.
  run("UPDATE daap.jobs SET state = 'available', locked_by = NULL, lease_expires_at = NULL");
  std::vector<JobId> one_by_one;
  for (int i = 0; i < 6; ++i) one_by_one.push_back(claim_one().id);
  EXPECT_THAT(one_by_one, ElementsAre(urgent, early, late, low, tie_a, tie_b));
}

TEST_F(ExecutorTest, ClaimLeavesJobsWhoseRunAtIsInTheFuture) {
  const auto future = add(NewJob{.kind = "later", .run_at = Clock::now() + 1h});
  const auto now = add();
  EXPECT_THAT(ids_of(claim(conn, "w1", kDefault, 10, kLease)), ElementsAre(now));
  EXPECT_EQ(state(future), "available");
}

TEST_F(ExecutorTest, ClaimTakesAtMostTheLimit) {
  for (int i = 0; i < 5; ++i) add();
  EXPECT_EQ(claim(conn, "w1", kDefault, 3, kLease).size(), 3u);
  EXPECT_EQ(value<int>("SELECT count(*) FROM daap.jobs WHERE state = 'available'"), 2);
  EXPECT_THAT(claim(conn, "w1", kDefault, 0, kLease), IsEmpty());
}

TEST_F(ExecutorTest, ClaimTakesOnlyFromTheGivenQueues) {
  const auto a = add(NewJob{.kind = "a", .queue = "alpha"});
  const auto b = add(NewJob{.kind = "b", .queue = "beta"});
  add(NewJob{.kind = "c", .queue = "gamma"});
  EXPECT_THAT(ids_of(claim(conn, "w1", {"alpha", "beta"}, 10, kLease)), UnorderedElementsAre(a, b));
  EXPECT_THAT(claim(conn, "w1", kDefault, 10, kLease), IsEmpty());
  EXPECT_THAT(claim(conn, "w1", {}, 10, kLease), IsEmpty());
}

TEST_F(ExecutorTest, ClaimMarksRunningSpendsAnAttemptAndRecordsTheLease) {
  const auto id =
      add(NewJob{.kind = "k", .payload = {{"n", 1}}, .max_attempts = 4, .unique_key = "u"});
  const auto job = claim_one("worker-7");
  EXPECT_EQ(job.id, id);
  EXPECT_EQ(job.kind, "k");
  EXPECT_EQ(job.payload, (nlohmann::json{{"n", 1}}));
  EXPECT_EQ(job.attempt, 1);
  EXPECT_EQ(job.max_attempts, 4);
  EXPECT_EQ(job.unique_key, "u");
  EXPECT_EQ(job.worker_id, "worker-7");
  EXPECT_FALSE(job.run_at.empty());
  EXPECT_FALSE(job.timeout.has_value()) << "no limit of its own: the kind's applies";
  EXPECT_FALSE(job.unreadable.has_value());
  EXPECT_EQ(state(id), "running");
  EXPECT_EQ(column<int>(id, "attempt"), 1);
  EXPECT_EQ(column(id, "locked_by"), "worker-7");
  EXPECT_TRUE(column<bool>(id,
                           "lease_expires_at BETWEEN now() + interval '29 seconds' AND "
                           "now() + interval '31 seconds'"));
  EXPECT_TRUE(column<bool>(id, "started_at IS NOT NULL"));
}

TEST_F(ExecutorTest, ClaimSkipsRowsLockedByAnotherWorker) {
  std::set<JobId> all;
  for (int i = 0; i < 6; ++i) all.insert(add());
  // The first worker's claim is still in flight: its transaction holds the row locks.
  pqxx::connection other(db.url());
  pqxx::work in_flight(other);
  std::set<JobId> first;
  for (const auto& row : in_flight.exec("SELECT * FROM daap.claim_jobs('w1', $1, 2, 30000)",
                                               pqxx::params{kDefault})) {
    first.insert(row["id"].as<JobId>());
  }
  ASSERT_EQ(first.size(), 2u);
  const auto second_jobs = claim(conn, "w2", kDefault, 10, kLease);
  const auto second_ids = ids_of(second_jobs);
  const std::set<JobId> second(second_ids.begin(), second_ids.end());
  in_flight.commit();

  EXPECT_EQ(second.size(), 4u);
  for (const auto id : first) EXPECT_FALSE(second.contains(id)) << id;
  std::set<JobId> both = first;
  both.insert(second.begin(), second.end());
  EXPECT_EQ(both, all);
  EXPECT_EQ(value<int>("SELECT count(*) FROM daap.jobs WHERE locked_by = 'w1'"), 2);
  EXPECT_EQ(value<int>("SELECT count(*) FROM daap.jobs WHERE locked_by = 'w2'"), 4);
}

TEST_F(ExecutorTest, CompleteMarksSucceededWithTheResult) {
  const auto id = add();
  complete_now(claim_one().lease(), {{"host", "db.internal"}});
  EXPECT_EQ(state(id), "succeeded");
  EXPECT_EQ(column(id, "result->>'host'"), "db.internal");
  EXPECT_TRUE(column<bool>(id, "finished_at IS NOT NULL AND lease_expires_at IS NULL"));
}

TEST_F(ExecutorTest, LateCompletionOfARescuedJobReclaimedByAnotherWorkerIsFenced) {
  const auto id = add();
  const auto stale = claim_one("w1").lease();
  expire_and_rescue(id);
  const auto fresh = claim_one("w2").lease();
  ASSERT_EQ(fresh.id, id);
  const auto before =
      value("SELECT to_jsonb(j)::text FROM daap.jobs AS j WHERE id = $1", pqxx::params{id});

  pqxx::work tx(conn);
  tx.exec(
      "INSERT INTO daap.workers (id, hostname, pid, version, queues, concurrency) "
      "VALUES ('handler-write', 'h', 1, 'v', '{default}', 1)");
  EXPECT_THROW(complete(tx, stale, {{"late", true}}), FenceLost);
  tx.abort();  // the handler's write goes with it

  EXPECT_EQ(value("SELECT to_jsonb(j)::text FROM daap.jobs AS j WHERE id = $1", pqxx::params{id}),
            before);
  EXPECT_EQ(value<int>("SELECT count(*) FROM daap.workers"), 0);
  complete_now(fresh);
  EXPECT_EQ(state(id), "succeeded");
}

TEST_F(ExecutorTest, SameWorkersReclaimAfterRescueFencesTheOldAttempt) {
  const auto id = add();
  const auto stale = claim_one("w1").lease();
  expire_and_rescue(id);
  const auto fresh = claim_one("w1").lease();
  ASSERT_EQ(fresh.id, id);
  EXPECT_EQ(fresh.attempt, stale.attempt + 1);
  EXPECT_THROW(complete_now(stale), FenceLost);
  EXPECT_EQ(state(id), "running");
  EXPECT_EQ(column<int>(id, "attempt"), 2);
}

TEST_F(ExecutorTest, CompleteManyCompletesOnlyTheLeasesStillHeld) {
  const auto a = add(), b = add(), c = add();
  auto jobs = claim(conn, "w1", kDefault, 3, kLease);
  ASSERT_EQ(jobs.size(), 3u);
  auto lost = jobs[1].lease();
  lost.worker_id = "someone-else";
  pqxx::work tx(conn);
  const auto done =
      complete_many(tx, {jobs[0].lease(), lost, jobs[2].lease()},
                    std::vector<nlohmann::json>{nlohmann::json{{"n", 0}}, nullptr, nullptr});
  tx.commit();
  EXPECT_THAT(done, UnorderedElementsAre(a, c));
  EXPECT_EQ(state(a), "succeeded");
  EXPECT_EQ(column(a, "result->>'n'"), "0");
  EXPECT_TRUE(column<bool>(c, "result IS NULL"));
  EXPECT_EQ(state(b), "running");
}

TEST_F(ExecutorTest, FailRetriesWithTheBackoffDelayAndRecordsTheError) {
  const auto id = add();
  const auto lease = claim_one().lease();
  const auto delay = retry_delay(lease.attempt, 10s, 1h);
  EXPECT_GE(delay, 5s);
  EXPECT_LE(delay, 10s);
  pqxx::work tx(conn);
  EXPECT_EQ(fail(tx, lease, "connection refused", false, delay), FailOutcome::retried);
  const auto in_future = tx.query_value<double>(
      "SELECT extract(epoch FROM run_at - now()) FROM daap.jobs WHERE id = $1", pqxx::params{id});
  tx.commit();
  EXPECT_NEAR(in_future * 1000, static_cast<double>(delay.count()), 1.0);
  EXPECT_EQ(state(id), "available");
  EXPECT_EQ(column<int>(id, "attempt"), 1) << "the attempt stays spent";
  EXPECT_EQ(column(id, "last_error"), "connection refused");
  EXPECT_EQ(column(id, "errors->0->>'error'"), "connection refused");
  EXPECT_EQ(column<int>(id, "(errors->0->>'attempt')::int"), 1);
  EXPECT_TRUE(column<bool>(id, "finished_at IS NULL AND lease_expires_at IS NULL"));
  EXPECT_THAT(claim(conn, "w1", kDefault, 1, kLease), IsEmpty()) << "not before run_at";
}

TEST_F(ExecutorTest, FailAfterTheLastAttemptMarksFailedWithTheFullErrorHistory) {
  const auto id = add(NewJob{.kind = "flaky", .max_attempts = 3});
  for (int attempt = 1; attempt <= 3; ++attempt) {
    run("UPDATE daap.jobs SET run_at = now() WHERE id = $1", pqxx::params{id});
    const auto lease = claim_one().lease();
    ASSERT_EQ(lease.attempt, attempt);
    pqxx::work tx(conn);
    const auto outcome = fail(tx, lease, "boom " + std::to_string(attempt), false, 1h);
    tx.commit();
    EXPECT_EQ(outcome, attempt < 3 ? FailOutcome::retried : FailOutcome::failed);
  }
  EXPECT_EQ(state(id), "failed");
  EXPECT_TRUE(column<bool>(id, "finished_at IS NOT NULL"));
  EXPECT_EQ(column(id, "last_error"), "boom 3");
  EXPECT_EQ(column(id, "jsonb_path_query_array(errors, '$[*].error')::text"),
            R"(["boom 1", "boom 2", "boom 3"])");
  EXPECT_EQ(column(id, "jsonb_path_query_array(errors, '$[*].attempt')::text"), "[1, 2, 3]");
  EXPECT_TRUE(column<bool>(id, "(errors->2->>'at')::timestamptz <= now()"));
}

TEST_F(ExecutorTest, AfterARetryTheErrorHistoryKeepsCountingAttempts) {
  const auto id = add(NewJob{.kind = "flaky", .max_attempts = 2});
  const auto fail_once = [&](const std::string& error) {
    run("UPDATE daap.jobs SET run_at = now() WHERE id = $1", pqxx::params{id});
    const auto lease = claim_one().lease();
    pqxx::work tx(conn);
    fail(tx, lease, error, false, 1h);
    tx.commit();
  };
  fail_once("boom 1");
  fail_once("boom 2");
  ASSERT_EQ(state(id), "failed");
  // What daapctl jobs retry does: a fresh budget, the history kept.
  run("UPDATE daap.jobs SET state = 'available', attempt = 0, finished_at = NULL, "
      "run_at = now() WHERE id = $1",
      pqxx::params{id});
  fail_once("boom 3");
  run("UPDATE daap.jobs SET run_at = now() WHERE id = $1", pqxx::params{id});
  claim_one();  // the fourth attempt's worker disappears: its lease is rescued
  expire_and_rescue(id);
  EXPECT_EQ(column(id, "jsonb_path_query_array(errors, '$[*].attempt')::text"), "[1, 2, 1, 2]");
  EXPECT_EQ(column(id, "jsonb_path_query_array(errors, '$[*].overall_attempt')::text"),
            "[1, 2, 3, 4]");
}

// The SQL API's retry (daap.retry_jobs, migration 022) and both writers of the history (a
// failure, a rescue) count on from the last entry, also when the retried job had failed at the
// same attempt number it fails at again.
TEST_F(ExecutorTest, RetriesThroughTheSqlApiNeverRepeatAnOverallAttempt) {
  const auto id = add(NewJob{.kind = "flaky", .max_attempts = 1});
  const auto fail_once = [&](const std::string& error) {
    const auto lease = claim_one().lease();
    pqxx::work tx(conn);
    fail(tx, lease, error, false, 1h);
    tx.commit();
  };
  const auto retry = [&] {
    pqxx::work tx(conn);
    retry_job(tx, id);
    tx.commit();
  };
  fail_once("boom 1");
  ASSERT_EQ(state(id), "failed");
  retry();
  fail_once("boom 2");
  retry();
  claim_one();
  expire_and_rescue(id);
  retry();
  fail_once("boom 4");
  EXPECT_EQ(column(id, "jsonb_path_query_array(errors, '$[*].attempt')::text"), "[1, 1, 1, 1]");
  EXPECT_EQ(column(id, "jsonb_path_query_array(errors, '$[*].overall_attempt')::text"),
            "[1, 2, 3, 4]");
}

TEST_F(ExecutorTest, PermanentErrorFailsAtOnce) {
  const auto id = add();
  const auto lease = claim_one().lease();
  pqxx::work tx(conn);
  EXPECT_EQ(fail(tx, lease, "unknown kind 'noop'", true, 1s), FailOutcome::failed);
  tx.commit();
  EXPECT_EQ(state(id), "failed");
  EXPECT_EQ(column<int>(id, "attempt"), 1);
  EXPECT_EQ(column<int>(id, "jsonb_array_length(errors)"), 1);
}

TEST_F(ExecutorTest, FailWithALostLeaseChangesNothing) {
  const auto id = add();
  auto lease = claim_one().lease();
  lease.attempt = 9;
  pqxx::work tx(conn);
  EXPECT_EQ(fail(tx, lease, "x", false, 1s), FailOutcome::fence_lost);
  tx.commit();
  EXPECT_EQ(state(id), "running");
  EXPECT_EQ(column(id, "errors::text"), "[]");
}

TEST_F(ExecutorTest, SnoozeReschedulesWithoutSpendingTheAttempt) {
  const auto id = add();
  const auto lease = claim_one().lease();
  pqxx::work tx(conn);
  EXPECT_TRUE(snooze(tx, lease, 2min));
  tx.commit();
  EXPECT_EQ(state(id), "available");
  EXPECT_EQ(column<int>(id, "attempt"), 0);
  EXPECT_TRUE(column<bool>(id, "run_at > now() + interval '119 seconds'"));
  EXPECT_EQ(column(id, "errors::text"), "[]");
  pqxx::work again(conn);
  EXPECT_FALSE(snooze(again, lease, 2min)) << "the lease ended with the snooze";
}

TEST_F(ExecutorTest, ReleaseMakesJobsAvailableNowWithoutSpendingTheAttempt) {
  const auto a = add(), b = add();
  auto jobs = claim(conn, "w1", kDefault, 2, kLease);
  pqxx::work tx(conn);
  EXPECT_EQ(release(tx, {jobs[0].lease(), jobs[1].lease(), JobLease{999, "w1", 1}}), 2);
  tx.commit();
  for (const auto id : {a, b}) {
    EXPECT_EQ(state(id), "available");
    EXPECT_EQ(column<int>(id, "attempt"), 0);
    EXPECT_TRUE(column<bool>(id, "lease_expires_at IS NULL AND run_at <= now()"));
  }
  EXPECT_EQ(claim(conn, "w2", kDefault, 5, kLease).size(), 2u);
}

TEST_F(ExecutorTest, HeartbeatExtendsHeldLeasesAndReportsLostOnes) {
  const auto held = add(), rescued = add();
  auto jobs = claim(conn, "w1", kDefault, 2, 1s);
  ASSERT_EQ(jobs.size(), 2u);
  expire_and_rescue(rescued);
  pqxx::work tx(conn);
  const auto r = heartbeat(tx, {jobs[0].lease(), jobs[1].lease()}, 5min);
  tx.commit();
  EXPECT_THAT(r.lost, ElementsAre(rescued));
  EXPECT_THAT(r.cancel_requested, IsEmpty());
  EXPECT_TRUE(column<bool>(held, "lease_expires_at > now() + interval '299 seconds'"));
  EXPECT_TRUE(column<bool>(rescued, "lease_expires_at IS NULL"));
}

TEST_F(ExecutorTest, HeartbeatReportsACancellationRequest) {
  const auto id = add();
  const auto lease = claim_one().lease();
  run("UPDATE daap.jobs SET cancel_requested_at = now() WHERE id = $1", pqxx::params{id});
  pqxx::work tx(conn);
  const auto r = heartbeat(tx, {lease}, kLease);
  tx.commit();
  EXPECT_THAT(r.cancel_requested, ElementsAre(id));
  EXPECT_THAT(r.lost, IsEmpty());
}

TEST_F(ExecutorTest, CancelRunningEndsTheJobCancelled) {
  const auto id = add();
  const auto lease = claim_one().lease();
  pqxx::work tx(conn);
  EXPECT_TRUE(cancel_running(tx, lease, "cancelled on request"));
  tx.commit();
  EXPECT_EQ(state(id), "cancelled");
  EXPECT_TRUE(column<bool>(id, "finished_at IS NOT NULL AND cancel_requested_at IS NOT NULL"));
  pqxx::work again(conn);
  EXPECT_FALSE(cancel_running(again, lease, "twice"));
}

TEST_F(ExecutorTest, FailOrSnoozeOfAJobAskedToCancelEndsItCancelled) {
  const auto failing = add(), snoozing = add();
  auto jobs = claim(conn, "w1", kDefault, 2, kLease);
  run("UPDATE daap.jobs SET cancel_requested_at = now()");
  pqxx::work tx(conn);
  EXPECT_EQ(fail(tx, jobs[0].lease(), "interrupted", false, 1s), FailOutcome::cancelled);
  EXPECT_TRUE(snooze(tx, jobs[1].lease(), 1s));
  tx.commit();
  EXPECT_EQ(state(failing), "cancelled");
  EXPECT_EQ(state(snoozing), "cancelled");
}

TEST(RetryDelay, GrowsExponentiallyWithinTheJitterBounds) {
  for (int attempt = 1; attempt <= 10; ++attempt) {
    const auto full = 1000LL << (attempt - 1);
    for (int i = 0; i < 50; ++i) {
      const auto d = retry_delay(attempt).count();
      EXPECT_GE(d, full / 2) << "attempt " << attempt;
      EXPECT_LE(d, full) << "attempt " << attempt;
    }
  }
}

TEST(RetryDelay, IsCappedAndSafeForHugeAttempts) {
  for (const int attempt : {13, 40, 1000, std::numeric_limits<int>::max()}) {
    const auto d = retry_delay(attempt, 1s, 1h);
    EXPECT_GE(d, 30min);
    EXPECT_LE(d, 1h);
  }
  EXPECT_LE(retry_delay(0, 1s, 1h), 1s) << "attempt below 1 counts as the first";
}

TEST(RetryDelay, IsJittered) {
  std::set<long long> seen;
  for (int i = 0; i < 20; ++i) seen.insert(retry_delay(5).count());
  EXPECT_GT(seen.size(), 1u);
}

TEST_F(ExecutorTest, BatchStatementsOnTheSameJobsTakeTheirLocksInOneOrderAndNeverDeadlock) {
  // A heartbeat and a grouped completion of the same held jobs, at the same moment, handed
  // their leases in opposite orders: both lock the rows by ascending id.
  for (int i = 0; i < 400; ++i) add();
  auto leases = [&] {
    std::vector<JobLease> out;
    for (const auto& job : claim(conn, "w1", kDefault, 400, kLease)) out.push_back(job.lease());
    return out;
  }();
  ASSERT_EQ(leases.size(), 400U);
  auto reversed = leases;
  std::reverse(reversed.begin(), reversed.end());
  std::atomic<int> deadlocks{0};
  const auto renew = [&](const std::vector<JobLease>& mine) {
    pqxx::connection own(db.url());
    for (int round = 0; round < 30; ++round) {
      try {
        pqxx::work tx(own);
        heartbeat(tx, mine, kLease);
        tx.commit();
      } catch (const pqxx::deadlock_detected&) {
        ++deadlocks;
      }
    }
  };
  std::thread a(renew, leases), b(renew, reversed);
  a.join();
  b.join();
  EXPECT_EQ(deadlocks.load(), 0);
}

}  // namespace
}  // namespace daap::queue
