// Several daap-worker processes drain a queue together: every job runs, each effect commits
// once, crashes and server restarts are survived, notifications wake idle workers.
#include <signal.h>

#include <cstdlib>
#include <memory>

#include <gtest/gtest.h>

#include "tests/process/worker_process.h"
#include "tests/support/test_database.h"

namespace daap::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::int64_t count_state(const std::string& url, const std::string& state) {
  return query_int(url, "SELECT count(*) FROM daap.jobs WHERE state = '" + state + "'");
}

// test.record jobs whose effect did not commit exactly once.
std::int64_t effects_not_once(const std::string& url) {
  return query_int(url,
                   "SELECT count(*) FROM daap.jobs j WHERE j.kind = 'test.record' AND "
                   "(SELECT count(*) FROM test_effects e WHERE e.job_id = j.id) <> 1");
}

void stop_all(std::vector<std::unique_ptr<WorkerProcess>>& workers) {
  for (auto& w : workers) w->signal(SIGTERM);
  for (auto& w : workers) {
    const auto status = w->wait_exit(seconds(30));
    ASSERT_TRUE(status.has_value()) << w->output();
    EXPECT_EQ(*status, 0) << w->output();
  }
}

TEST(WorkerDrain, ThreeWorkersRunEveryJobAndEachEffectOnce) {
  FreshDatabase db;
  create_effects_table(db.url());
  std::vector<std::unique_ptr<WorkerProcess>> workers;
  for (int i = 0; i < 3; ++i) {
    workers.push_back(std::make_unique<WorkerProcess>(
        std::vector<std::string>{"--concurrency", "8"}, worker_env(db.url())));
  }
  // All three are up before the jobs arrive, so all three take part.
  ASSERT_TRUE(eventually(
      [&] { return query_int(db.url(), "SELECT count(*) FROM daap.workers") == 3; }, seconds(30)))
      << workers[0]->output();
  insert_jobs(db.url(), "noop", 2000);
  insert_jobs(db.url(), "test.record", 250);
  insert_jobs(db.url(), "test.record", 50, R"({"fail_times": 1})");
  const bool done =
      eventually([&] { return count_state(db.url(), "succeeded") == 2300; }, seconds(180));
  ASSERT_TRUE(done) << "succeeded: " << count_state(db.url(), "succeeded") << "\n"
                    << workers[0]->output();
  EXPECT_EQ(effects_not_once(db.url()), 0);
  EXPECT_EQ(query_int(db.url(), "SELECT count(*) FROM test_effects"), 300);
  // The planned failures were retried: one error recorded, the effect of attempt 2 kept.
  EXPECT_EQ(query_int(db.url(),
                      "SELECT count(*) FROM daap.jobs WHERE attempt = 2 AND "
                      "jsonb_array_length(errors) = 1"),
            50);
  // Every process took part.
  EXPECT_EQ(query_int(db.url(), "SELECT count(DISTINCT locked_by) FROM daap.jobs"), 3);
  stop_all(workers);
  EXPECT_EQ(query_int(db.url(), "SELECT count(*) FROM daap.workers"), 0);
}

TEST(WorkerDrain, KilledWorkersJobsAreRescuedAndRunOnceByTheOthers) {
  FreshDatabase db;
  create_effects_table(db.url());
  insert_jobs(db.url(), "test.record", 60, R"({"sleep_ms": 300})");

  auto env = worker_env(db.url());
  env["LEASE_DURATION"] = "2s";
  std::vector<std::unique_ptr<WorkerProcess>> workers;
  for (int i = 0; i < 3; ++i) {
    workers.push_back(std::make_unique<WorkerProcess>(
        std::vector<std::string>{"--concurrency", "4", "--worker-id", "w" + std::to_string(i)},
        env));
  }
  ASSERT_TRUE(eventually(
      [&] {
        return query_int(db.url(),
                         "SELECT count(*) FROM daap.jobs WHERE state = 'running' "
                         "AND locked_by = 'w0'") >= 2;
      },
      seconds(30)))
      << workers[0]->output();
  workers[0]->signal(SIGKILL);
  ASSERT_EQ(workers[0]->wait_exit(seconds(10)), 128 + SIGKILL);

  const bool done =
      eventually([&] { return count_state(db.url(), "succeeded") == 60; }, seconds(90));
  ASSERT_TRUE(done) << workers[1]->output();
  EXPECT_EQ(effects_not_once(db.url()), 0);
  // The killed worker's jobs ran again elsewhere: a second attempt, by a survivor.
  EXPECT_GE(query_int(db.url(), "SELECT count(*) FROM daap.jobs WHERE attempt >= 2"), 1);
  EXPECT_EQ(query_int(db.url(), "SELECT count(*) FROM daap.jobs WHERE locked_by = 'w0'"), 0);
  workers.erase(workers.begin());
  stop_all(workers);
}

TEST(WorkerDrain, WorkersSurviveAPostgresRestartAndFinishEverything) {
  const char* pg_dir = std::getenv("EMBEDDED_PG_DIR");
  const char* source = std::getenv("DAAP_SOURCE_ROOT");
  ASSERT_TRUE(pg_dir != nullptr && *pg_dir != '\0')
      << "EMBEDDED_PG_DIR is not set: this test restarts PostgreSQL and needs the embedded "
         "server of scripts/with-postgres (run the tests without DATABASE_URL, or set "
         "EMBEDDED_PG_DIR to the pg-embedded directory of the server in DATABASE_URL)";
  ASSERT_NE(source, nullptr) << "DAAP_SOURCE_ROOT is not set (run through meson test)";

  FreshDatabase db;
  create_effects_table(db.url());
  insert_jobs(db.url(), "test.record", 400, R"({"sleep_ms": 20})");
  insert_jobs(db.url(), "noop", 400);
  std::vector<std::unique_ptr<WorkerProcess>> workers;
  for (int i = 0; i < 2; ++i) {
    workers.push_back(std::make_unique<WorkerProcess>(
        std::vector<std::string>{"--concurrency", "4"}, worker_env(db.url())));
  }
  ASSERT_TRUE(eventually(
      [&] { return query_int(db.url(), "SELECT count(*) FROM test_effects") >= 40; }, seconds(60)))
      << workers[0]->output();

  const std::string restart = std::string(source) + "/scripts/pg-embedded restart '" + pg_dir + "'";
  ASSERT_EQ(std::system(restart.c_str()), 0) << restart;

  const bool done =
      eventually([&] { return count_state(db.url(), "succeeded") == 800; }, seconds(180));
  ASSERT_TRUE(done) << "succeeded: " << count_state(db.url(), "succeeded") << "\n"
                    << workers[0]->output();
  EXPECT_EQ(effects_not_once(db.url()), 0);
  for (auto& w : workers) {
    EXPECT_TRUE(w->running()) << w->output();
    EXPECT_NE(w->output().find("retrying"), std::string::npos) << w->output();
  }
  stop_all(workers);
}

TEST(WorkerDrain, NotificationWakesAnIdleWorkerLongBeforeThePollInterval) {
  FreshDatabase db;
  auto env = worker_env(db.url());
  // An hour between polls: a job started within the deadlines below was started by the
  // notification, however slow this machine is.
  env["POLL_INTERVAL"] = "1h";
  WorkerProcess worker({}, env);
  insert_jobs(db.url(), "noop", 1);
  ASSERT_TRUE(eventually([&] { return count_state(db.url(), "succeeded") == 1; }, seconds(60)))
      << worker.output();
  // Idle now, LISTENing on its own connection.
  ASSERT_TRUE(eventually(
      [&] {
        return query_int(db.url(),
                         "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                         "current_database() AND state = 'idle' AND query ILIKE 'LISTEN%'") == 1;
      },
      seconds(10)));

  insert_jobs(db.url(), "noop", 1);
  ASSERT_TRUE(eventually([&] { return count_state(db.url(), "succeeded") == 2; }, seconds(60)))
      << worker.output();
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait_exit(seconds(30)), 0) << worker.output();
}

TEST(WorkerDrain, PollOnlyWorkerCompletesJobsWithoutListening) {
  FreshDatabase db;
  create_effects_table(db.url());
  auto env = worker_env(db.url());
  env["POLL_ONLY"] = "true";
  WorkerProcess worker({"--concurrency", "4"}, env);
  insert_jobs(db.url(), "noop", 50);
  insert_jobs(db.url(), "test.record", 10);
  ASSERT_TRUE(eventually([&] { return count_state(db.url(), "succeeded") == 60; }, seconds(30)))
      << worker.output();
  EXPECT_EQ(effects_not_once(db.url()), 0);
  EXPECT_EQ(query_int(db.url(),
                      "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                      "current_database() AND query ILIKE 'LISTEN%'"),
            0);
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait_exit(seconds(30)), 0) << worker.output();
}

}  // namespace
}  // namespace daap::test
