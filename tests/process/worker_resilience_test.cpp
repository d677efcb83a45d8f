// Real daap-worker processes against what production throws at them: a leader frozen longer than
// its lease, rows nobody should have written, work that hangs, a cancellation while a job waits,
// and a replica killed in the middle of grouped transactions.
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/process/worker_process.h"
#include "tests/support/test_database.h"

namespace daap::test {
namespace {

using std::chrono::seconds;

std::int64_t count_where(const std::string& url, const std::string& where) {
  return query_int(url, "SELECT count(*) FROM daap.jobs WHERE " + where);
}

// Jobs of `kind` whose effect did not commit exactly once.
std::int64_t effects_not_once(const std::string& url, const std::string& kind) {
  return query_int(url, "SELECT count(*) FROM daap.jobs j WHERE j.kind = '" + kind +
                            "' AND (SELECT count(*) FROM test_effects e WHERE e.job_id = j.id) <> 1");
}

void stop(WorkerProcess& worker) {
  worker.signal(SIGTERM);
  const auto status = worker.wait_exit(seconds(60));
  ASSERT_TRUE(status.has_value()) << worker.output();
  EXPECT_EQ(*status, 0) << worker.output();
}

TEST(WorkerResilience, ALeaderFrozenLongerThanItsLeaseIsReplacedAndStepsDownWhenItThaws) {
  FreshDatabase db;
  create_effects_table(db.url());
  auto env = worker_env(db.url());
  env["LEASE_DURATION"] = "2s";  // job leases and the maintenance lease alike
  std::vector<std::unique_ptr<WorkerProcess>> workers;
  for (int i = 0; i < 2; ++i) {
    workers.push_back(std::make_unique<WorkerProcess>(
        std::vector<std::string>{"--concurrency", "2", "--prefetch", "0", "--worker-id",
                                 "w" + std::to_string(i)},
        env));
  }
  ASSERT_TRUE(eventually(
      [&] { return query_int(db.url(), "SELECT count(*) FROM daap.leaders") == 1; }, seconds(30)))
      << workers[0]->output();
  const int leader = query_int(db.url(), "SELECT count(*) FROM daap.leaders WHERE holder = 'w1'");
  const std::string leader_id = "w" + std::to_string(leader);
  const std::string other_id = "w" + std::to_string(1 - leader);
  const auto term = query_int(db.url(), "SELECT term FROM daap.leaders");

  insert_jobs(db.url(), "test.record", 8, R"({"sleep_ms": 4000})");
  ASSERT_TRUE(eventually(
      [&] { return count_where(db.url(), "state = 'running' AND locked_by = '" + leader_id + "'") >= 1; },
      seconds(30)));
  const auto held = query_int(db.url(), "SELECT min(id) FROM daap.jobs WHERE state = 'running' "
                                        "AND locked_by = '" + leader_id + "'");
  // A GC-like stall, a frozen VM: the process holds its connections and does nothing.
  workers[leader]->signal(SIGSTOP);

  // The other replica takes the lapsed lease with the next term and rescues the frozen
  // replica's expired jobs, which then run to completion elsewhere.
  EXPECT_TRUE(eventually(
      [&] {
        return query_int(db.url(), "SELECT count(*) FROM daap.leaders WHERE holder = '" +
                                       other_id + "' AND term = " + std::to_string(term + 1)) == 1;
      },
      seconds(30)))
      << workers[1 - leader]->output();
  EXPECT_TRUE(eventually(
      [&] {
        return query_int(db.url(), "SELECT count(*) FROM daap.jobs WHERE id = " +
                                       std::to_string(held) + " AND (state = 'succeeded' OR "
                                       "locked_by = '" + other_id + "')") == 1;
      },
      seconds(60)))
      << workers[1 - leader]->output();

  workers[leader]->signal(SIGCONT);
  ASSERT_TRUE(eventually([&] { return count_where(db.url(), "state = 'succeeded'") == 8; },
                         seconds(120)))
      << workers[leader]->output() << workers[1 - leader]->output();
  // The thawed leader found its term gone and did nothing as leader; its late completions hit
  // the fence: every effect committed once.
  EXPECT_TRUE(eventually(
      [&] {
        return workers[leader]->output().find("no longer maintenance leader") !=
               std::string::npos;
      },
      seconds(30)))
      << workers[leader]->output();
  EXPECT_EQ(query_int(db.url(), "SELECT count(*) FROM daap.leaders WHERE holder = '" + other_id +
                                    "'"),
            1);
  EXPECT_EQ(effects_not_once(db.url(), "test.record"), 0);
  for (auto& w : workers) stop(*w);
}

TEST(WorkerResilience, RowsNoWorkerCanReadFailAloneAndTheQueueKeepsMoving) {
  FreshDatabase db;
  WorkerProcess worker({}, worker_env(db.url()));
  exec_sql(db.url(), R"(INSERT INTO daap.jobs (kind, payload) VALUES ('noop', '{"n": 1e400}'),
                        ('database.update', '{"database_id": 1e400}'))");
  insert_jobs(db.url(), "noop", 200);
  ASSERT_TRUE(eventually(
      [&] { return count_where(db.url(), "state IN ('available', 'running')") == 0; }, seconds(60)))
      << worker.output();
  EXPECT_EQ(count_where(db.url(), "state = 'succeeded'"), 200);
  EXPECT_EQ(count_where(db.url(), "state = 'failed' AND last_error LIKE '%cannot be read%'"), 2)
      << worker.output();
  EXPECT_EQ(worker.output().find("claim failed"), std::string::npos) << worker.output();
  stop(worker);
}

TEST(WorkerResilience, ACancelledRunningJobEndsAtOnceThroughItsNotification) {
  FreshDatabase db;
  create_effects_table(db.url());
  auto env = worker_env(db.url());
  // An hour-long lease: its heartbeat (every 20 minutes) cannot be what tells the job.
  env["LEASE_DURATION"] = "1h";
  WorkerProcess worker({"--concurrency", "1"}, env);
  insert_jobs(db.url(), "test.record", 1, R"({"sleep_ms": 3600000})");
  ASSERT_TRUE(eventually([&] { return count_where(db.url(), "state = 'running'") == 1; },
                         seconds(30)));
  // As `daapctl jobs cancel` does: daap.cancel_jobs (migration 022) NOTIFYs daap_job_cancel.
  exec_sql(db.url(),
           "SELECT daap.cancel_jobs(ARRAY(SELECT id FROM daap.jobs WHERE state = 'running'))");
  EXPECT_TRUE(eventually([&] { return count_where(db.url(), "state = 'cancelled'") == 1; },
                         seconds(60)))
      << worker.output();
  EXPECT_EQ(query_int(db.url(), "SELECT count(*) FROM test_effects"), 0) << "rolled back";
  // Its slot is free: the next job runs.
  insert_jobs(db.url(), "noop", 1);
  EXPECT_TRUE(eventually([&] { return count_where(db.url(), "state = 'succeeded'") == 1; },
                         seconds(60)));
  stop(worker);
}

TEST(WorkerResilience, AnAttemptPastItsTimeLimitIsInterruptedAndRetried) {
  FreshDatabase db;
  create_effects_table(db.url());
  WorkerProcess worker({}, worker_env(db.url()));
  exec_sql(db.url(), R"(SELECT daap.enqueue('test.record', '{"sleep_ms": 3600000}',
                                            max_attempts => 2, timeout => interval '1 second'))");
  EXPECT_TRUE(eventually([&] { return count_where(db.url(), "state = 'failed'") == 1; },
                         seconds(90)))
      << worker.output();
  EXPECT_EQ(count_where(db.url(), "attempt = 2 AND jsonb_array_length(errors) = 2 AND "
                                  "last_error LIKE 'timed out after 1s%'"),
            1)
      << worker.output();
  EXPECT_EQ(query_int(db.url(), "SELECT count(*) FROM test_effects"), 0);
  stop(worker);
}

TEST(WorkerResilience, GroupedJobsCommitOnceEachAcrossAKilledReplica) {
  FreshDatabase db;
  create_effects_table(db.url());
  auto env = worker_env(db.url());
  env["LEASE_DURATION"] = "2s";
  std::vector<std::unique_ptr<WorkerProcess>> workers;
  for (int i = 0; i < 3; ++i) {
    workers.push_back(std::make_unique<WorkerProcess>(
        std::vector<std::string>{"--concurrency", "4", "--worker-id", "g" + std::to_string(i)},
        env));
  }
  ASSERT_TRUE(eventually(
      [&] { return query_int(db.url(), "SELECT count(*) FROM daap.workers") == 3; }, seconds(30)));
  insert_jobs(db.url(), "test.record_grouped", 3000);
  insert_jobs(db.url(), "test.record_grouped", 30, R"({"fail_times": 1})");
  ASSERT_TRUE(eventually(
      [&] { return query_int(db.url(), "SELECT count(*) FROM test_effects") >= 300; }, seconds(60)));
  workers[0]->signal(SIGKILL);
  ASSERT_EQ(workers[0]->wait_exit(seconds(10)), 128 + SIGKILL);
  ASSERT_TRUE(eventually([&] { return count_where(db.url(), "state = 'succeeded'") == 3030; },
                         seconds(180)))
      << workers[1]->output();
  EXPECT_EQ(effects_not_once(db.url(), "test.record_grouped"), 0);
  EXPECT_EQ(count_where(db.url(), "payload ? 'fail_times' AND errors::text LIKE '%planned failure%'"),
            30);
  EXPECT_EQ(count_where(db.url(), "NOT payload ? 'fail_times' AND errors::text LIKE '%planned%'"), 0)
      << "the failing jobs were retried alone; their neighbours did not fail with them";
  workers.erase(workers.begin());
  for (auto& w : workers) stop(*w);
}

}  // namespace
}  // namespace daap::test
