// SIGTERM drains: running jobs finish within the shutdown timeout, the rest go back to
// available with their attempt not spent; a second signal exits at once.
#include <signal.h>

#include <gtest/gtest.h>

#include "tests/process/worker_process.h"
#include "tests/support/test_database.h"

namespace daap::test {
namespace {

using std::chrono::seconds;

bool running_jobs_are(const std::string& url, int n) {
  return query_int(url, "SELECT count(*) FROM daap.jobs WHERE state = 'running'") == n;
}

TEST(WorkerShutdown, SigtermLetsRunningJobsFinishThenExitsZero) {
  FreshDatabase db;
  create_effects_table(db.url());
  insert_jobs(db.url(), "test.record", 2, R"({"sleep_ms": 1500})");
  auto env = worker_env(db.url());
  env["SHUTDOWN_TIMEOUT"] = "20s";
  WorkerProcess worker({"--concurrency", "2"}, env);
  ASSERT_TRUE(eventually([&] { return running_jobs_are(db.url(), 2); }, seconds(20)))
      << worker.output();

  worker.signal(SIGTERM);
  const auto status = worker.wait_exit(seconds(60));
  ASSERT_TRUE(status.has_value()) << worker.output();
  EXPECT_EQ(*status, 0) << worker.output();
  EXPECT_EQ(query_int(db.url(), "SELECT count(*) FROM daap.jobs WHERE state = 'succeeded'"), 2);
  EXPECT_EQ(query_int(db.url(), "SELECT count(*) FROM test_effects"), 2);
  EXPECT_EQ(query_int(db.url(), "SELECT count(*) FROM daap.workers"), 0);
}

TEST(WorkerShutdown, JobLongerThanTheShutdownTimeoutIsReleasedWithItsAttemptNotSpent) {
  FreshDatabase db;
  create_effects_table(db.url());
  // The job would run for an hour: a worker that exits within the deadline below, with the job
  // released, went by the 1s shutdown timeout, however slow this machine is.
  insert_jobs(db.url(), "test.record", 1, R"({"sleep_ms": 3600000})");
  auto env = worker_env(db.url());
  env["SHUTDOWN_TIMEOUT"] = "1s";
  WorkerProcess worker({}, env);
  ASSERT_TRUE(eventually([&] { return running_jobs_are(db.url(), 1); }, seconds(20)))
      << worker.output();

  worker.signal(SIGTERM);
  const auto status = worker.wait_exit(seconds(60));
  ASSERT_TRUE(status.has_value()) << worker.output();
  EXPECT_EQ(*status, 0) << worker.output();
  EXPECT_EQ(query_int(db.url(),
                      "SELECT count(*) FROM daap.jobs WHERE state = 'available' AND "
                      "attempt = 0 AND lease_expires_at IS NULL"),
            1)
      << worker.output();
  // The handler's write was rolled back with its transaction.
  EXPECT_EQ(query_int(db.url(), "SELECT count(*) FROM test_effects"), 0);
  EXPECT_NE(worker.output().find("released"), std::string::npos) << worker.output();
}

TEST(WorkerShutdown, SecondSignalExitsAtOnceWithStatusOne) {
  FreshDatabase db;
  create_effects_table(db.url());
  // An hour's job and shutdown timeout: exiting within the deadline below is "at once".
  insert_jobs(db.url(), "test.record", 1, R"({"sleep_ms": 3600000})");
  auto env = worker_env(db.url());
  env["SHUTDOWN_TIMEOUT"] = "1h";
  WorkerProcess worker({}, env);
  ASSERT_TRUE(eventually([&] { return running_jobs_are(db.url(), 1); }, seconds(20)))
      << worker.output();
  worker.signal(SIGTERM);
  ASSERT_TRUE(eventually([&] { return worker.output().find("draining") != std::string::npos; },
                         seconds(10)))
      << worker.output();
  worker.signal(SIGINT);
  const auto status = worker.wait_exit(seconds(60));
  ASSERT_TRUE(status.has_value()) << worker.output();
  EXPECT_EQ(*status, 1) << worker.output();
}

}  // namespace
}  // namespace daap::test
