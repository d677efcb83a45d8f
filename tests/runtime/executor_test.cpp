// The executor against a real PostgreSQL: grouped jobs share one transaction and each commits
// its effect exactly once; one bad job costs its neighbours one retry of the group at most; rows
// that cannot run fail alone; time limits and cancellations end a job's attempt.
#include "worker/runtime/executor.h"

#include <future>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/runtime/runtime_fixture.h"
#include "worker/runtime/heartbeat.h"

namespace daap::worker::runtime {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

TEST_F(RuntimeTest, GroupedJobsCommitTheirEffectsAndCompletionsInOneTransaction) {
  const auto ids = insert("effect.grouped", 20);
  ASSERT_EQ(claim(), 20);
  run_all();
  EXPECT_EQ(count("SELECT count(*) FROM daap.jobs WHERE state = 'succeeded'"), 20);
  for (const auto id : ids) EXPECT_EQ(effects(id), 1) << "job " << id;
  EXPECT_EQ(count("SELECT count(DISTINCT xmin::text) FROM daap.jobs"), 1)
      << "one commit wrote every completion";
}

TEST_F(RuntimeTest, AFailingJobInAGroupIsRetriedAloneAndItsNeighboursSucceedOnce) {
  const auto good = insert("effect.grouped", 9);
  const auto bad = insert("effect.grouped", 1, R"({"fail_times": 1})");
  ASSERT_EQ(claim(), 10);
  run_all();
  for (const auto id : good) {
    EXPECT_EQ(state(id), "succeeded");
    EXPECT_EQ(effects(id), 1) << "the group's rolled-back try left nothing";
  }
  EXPECT_EQ(state(bad[0]), "available") << "retried with backoff";
  EXPECT_THAT(last_error(bad[0]), HasSubstr("planned failure"));
  EXPECT_EQ(effects(bad[0]), 0);
}

TEST_F(RuntimeTest, AGroupedJobWhoseLeaseIsGoneDoesNotCommitAndTheOthersDo) {
  const auto ids = insert("effect.grouped", 5);
  ASSERT_EQ(claim(), 5);
  // Rescued and taken by another worker while it sat in this one's buffer.
  exec("UPDATE daap.jobs SET locked_by = 'another', attempt = attempt + 1 WHERE id = $1",
       pqxx::params{ids[2]});
  run_all();
  EXPECT_EQ(effects(ids[2]), 0) << "its effect was rolled back";
  EXPECT_EQ(state(ids[2]), "running") << "still the other worker's";
  for (const auto id : {ids[0], ids[1], ids[3], ids[4]}) {
    EXPECT_EQ(state(id), "succeeded");
    EXPECT_EQ(effects(id), 1);
  }
}

TEST_F(RuntimeTest, AJobWhoseRowCannotBeReadFailsAloneSayingWhy) {
  exec(R"(INSERT INTO daap.jobs (kind, payload) VALUES ('instant', '{"n": 1e400}'))");
  const auto fine = insert("instant", 3);
  ASSERT_EQ(claim(), 4);
  run_all();
  EXPECT_EQ(count("SELECT count(*) FROM daap.jobs WHERE state = 'failed' AND "
                  "last_error LIKE '%cannot be read%number overflow%'"),
            1);
  for (const auto id : fine) EXPECT_EQ(state(id), "succeeded");
}

TEST_F(RuntimeTest, AnUnknownKindFailsAtOnceNamingIt) {
  const auto ids = insert("no.such.kind", 1);
  ASSERT_EQ(claim(), 1);
  run_all();
  EXPECT_EQ(state(ids[0]), "failed");
  EXPECT_EQ(last_error(ids[0]), "unknown job kind 'no.such.kind'");
}

TEST_F(RuntimeTest, AJobCancelledWhileBufferedEndsCancelledWithoutRunning) {
  const auto ids = insert("effect", 1);
  ASSERT_EQ(claim(), 1);
  exec("UPDATE daap.jobs SET cancel_requested_at = now() WHERE id = $1", pqxx::params{ids[0]});
  ASSERT_TRUE(registry.request_cancel(ids[0]));
  run_all();
  EXPECT_EQ(state(ids[0]), "cancelled");
  EXPECT_EQ(effects(ids[0]), 0);
}

TEST_F(RuntimeTest, AJobPastItsTimeLimitIsInterruptedAndRetried) {
  const auto ids = insert("effect", 1, R"({"hang": true})");
  exec("UPDATE daap.jobs SET timeout = interval '1 second'");
  ASSERT_EQ(claim(), 1);
  Heartbeat heartbeat(HeartbeatConfig{{kWorker, "h", 1, "v", {"default"}, 1}, 30s}, pool,
                      registry, metrics);
  auto running = std::async(std::launch::async, [&] { run_all(); });
  // The heartbeat's deadline check, as its loop runs it, until the job is interrupted.
  while (heartbeat.enforce_deadlines(SteadyClock::now()) == 0) std::this_thread::sleep_for(50ms);
  running.get();
  EXPECT_EQ(state(ids[0]), "available");
  EXPECT_THAT(last_error(ids[0]), HasSubstr("timed out after 1s"));
  EXPECT_EQ(effects(ids[0]), 0);
}

TEST_F(RuntimeTest, AStatementBlockedPastTheTimeLimitIsCutOff) {
  // The job's statement waits on a row another session keeps locked: only the time limit ends it.
  exec("CREATE TABLE held (id int)");
  exec("INSERT INTO held VALUES (1)");
  pqxx::connection blocker(db.url());
  pqxx::work holding(blocker);
  holding.exec("SELECT * FROM held FOR UPDATE");
  const auto ids = insert("effect", 1, R"({"sql": "SELECT * FROM held FOR UPDATE"})");
  exec("UPDATE daap.jobs SET timeout = interval '1 second'");
  ASSERT_EQ(claim(), 1);
  Heartbeat heartbeat(HeartbeatConfig{{kWorker, "h", 1, "v", {"default"}, 1}, 30s}, pool,
                      registry, metrics);
  auto running = std::async(std::launch::async, [&] { run_all(); });
  while (heartbeat.enforce_deadlines(SteadyClock::now()) == 0) std::this_thread::sleep_for(50ms);
  running.get();
  EXPECT_EQ(state(ids[0]), "available");
  EXPECT_THAT(last_error(ids[0]), HasSubstr("timed out"));
  holding.abort();
}

TEST_F(RuntimeTest, InstantJobsSucceedThroughTheCompleter) {
  const auto ids = insert("instant", 300);
  ASSERT_EQ(claim(), 300);
  run_all();
  EXPECT_EQ(count("SELECT count(*) FROM daap.jobs WHERE state = 'succeeded'"), 300);
  EXPECT_LT(count("SELECT count(DISTINCT xmin::text) FROM daap.jobs"), 300)
      << "completions were grouped";
}

TEST_F(RuntimeTest, ACompletionTheServerRefusesFailsAloneNotItsBatch) {
  // A result jsonb cannot hold (a NUL character): the batch statement fails, the completer
  // falls back to one completion at a time and only that job fails, saying why.
  handlers.add(
      "nul", [](const JobContext&) { return nlohmann::json{{"text", std::string("a\0b", 3)}}; },
      false);
  const auto fine = insert("instant", 5);
  const auto bad = insert("nul", 1);
  ASSERT_EQ(claim(), 6);
  run_all();
  for (const auto id : fine) EXPECT_EQ(state(id), "succeeded");
  EXPECT_EQ(state(bad[0]), "failed");
  EXPECT_THAT(last_error(bad[0]), HasSubstr("the result cannot be stored"));
}

}  // namespace
}  // namespace daap::worker::runtime
