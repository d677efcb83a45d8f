// Queue controls across real daap-worker processes: a queue's max_running holds across
// replicas, a paused queue is claimed by none of them, and a resume wakes them at once.
#include <signal.h>

#include <algorithm>
#include <memory>

#include <gtest/gtest.h>

#include "tests/process/worker_process.h"
#include "tests/support/test_database.h"

namespace daap::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<std::unique_ptr<WorkerProcess>> start_workers(
    int n, const std::map<std::string, std::string>& env) {
  std::vector<std::unique_ptr<WorkerProcess>> workers;
  for (int i = 0; i < n; ++i) {
    workers.push_back(
        std::make_unique<WorkerProcess>(std::vector<std::string>{"--concurrency", "4"}, env));
  }
  return workers;
}

void stop_all(std::vector<std::unique_ptr<WorkerProcess>>& workers) {
  for (auto& w : workers) w->signal(SIGTERM);
  for (auto& w : workers) {
    const auto status = w->wait_exit(seconds(30));
    ASSERT_TRUE(status.has_value()) << w->output();
    EXPECT_EQ(*status, 0) << w->output();
  }
}

TEST(WorkerQueues, ThreeWorkersNeverRunMoreJobsOfALimitedQueueThanItsLimit) {
  FreshDatabase db;
  create_effects_table(db.url());
  exec_sql(db.url(), "SELECT daap.set_queue_limit('default', 2)");
  auto workers = start_workers(3, worker_env(db.url()));
  ASSERT_TRUE(eventually(
      [&] { return query_int(db.url(), "SELECT count(*) FROM daap.workers") == 3; }, seconds(30)))
      << workers[0]->output();
  insert_jobs(db.url(), "test.record", 24, R"({"sleep_ms": 150})");

  // Sampled from the rows while the jobs run: claimed-ahead jobs are running rows too.
  std::int64_t most = 0;
  const bool done = eventually(
      [&] {
        pqxx::connection conn(db.url());
        pqxx::nontransaction tx(conn);
        const auto row = tx.exec(
                               "SELECT count(*) FILTER (WHERE state = 'running'), "
                               "count(*) FILTER (WHERE state = 'succeeded') FROM daap.jobs")
                             .one_row();
        most = std::max(most, row[0].as<std::int64_t>());
        return row[1].as<std::int64_t>() == 24;
      },
      seconds(120), milliseconds(5));
  ASSERT_TRUE(done) << workers[0]->output();
  EXPECT_LE(most, 2) << "more jobs of the queue ran at once than its limit";
  EXPECT_EQ(most, 2) << "the limit was never reached: the test proved nothing";
  EXPECT_GE(query_int(db.url(), "SELECT count(DISTINCT locked_by) FROM daap.jobs"), 2)
      << "the jobs must spread over replicas for the limit to be tested across them";
  EXPECT_EQ(query_int(db.url(), "SELECT count(*) FROM test_effects"), 24);
  stop_all(workers);
}

TEST(WorkerQueues, APausedQueueIsClaimedByNoReplicaAndAResumeWakesThemAtOnce) {
  FreshDatabase db;
  create_effects_table(db.url());
  exec_sql(db.url(), "SELECT daap.pause_queue('default')");
  auto env = worker_env(db.url());
  env["QUEUES"] = "default,other";
  env["POLL_INTERVAL"] = "60s";  // only a notification can make them claim in time
  auto workers = start_workers(2, env);
  ASSERT_TRUE(eventually(
      [&] { return query_int(db.url(), "SELECT count(*) FROM daap.workers") == 2; }, seconds(30)))
      << workers[0]->output();
  insert_jobs(db.url(), "test.record", 10);
  exec_sql(db.url(), "INSERT INTO daap.jobs (kind, queue) VALUES ('test.record', 'other')");
  // The workers claimed after the paused queue's jobs arrived: they ran the other queue's job.
  ASSERT_TRUE(eventually(
      [&] {
        return query_int(db.url(),
                         "SELECT count(*) FROM daap.jobs WHERE queue = 'other' AND "
                         "state = 'succeeded'") == 1;
      },
      seconds(30)))
      << workers[0]->output();
  EXPECT_EQ(query_int(db.url(),
                      "SELECT count(*) FROM daap.jobs WHERE queue = 'default' AND "
                      "state = 'available'"),
            10);

  exec_sql(db.url(), "SELECT daap.resume_queue('default')");
  EXPECT_TRUE(eventually(
      [&] {
        return query_int(db.url(), "SELECT count(*) FROM daap.jobs WHERE state = 'succeeded'") ==
               11;
      },
      seconds(20)))
      << "resume must wake the workers long before their 60 s poll\n"
      << workers[0]->output();
  stop_all(workers);
}

}  // namespace
}  // namespace daap::test
