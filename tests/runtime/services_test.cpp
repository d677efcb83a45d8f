// The producer, the heartbeat and the maintainer, each alone against a real PostgreSQL.
#include <future>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "queue/periodic_jobs.h"
#include "tests/runtime/runtime_fixture.h"
#include "worker/runtime/heartbeat.h"
#include "worker/runtime/maintainer.h"
#include "worker/runtime/producer.h"

namespace daap::worker::runtime {
namespace {

using namespace std::chrono_literals;

HeartbeatConfig heartbeat_config() {
  return HeartbeatConfig{{kWorker, "host", 1, "test", {"default"}, 1}, 30s};
}

MaintainerConfig maintainer_config(const std::string& id) {
  return MaintainerConfig{id, 30s, 24h, 24h * 7, 5min};
}

// Producer ----------------------------------------------------------------------------------

TEST_F(RuntimeTest, TheProducerClaimsIntoTheBufferUpToItsLimit) {
  insert("instant", 50);
  Producer producer(ProducerConfig{kWorker, {"default"}, 30s, 1s, 20}, pool, registry, metrics);
  EXPECT_EQ(producer.claim_once(20), 20);
  EXPECT_EQ(registry.counts().buffered, 20);
  EXPECT_EQ(count("SELECT count(*) FROM daap.jobs WHERE state = 'running' AND locked_by = '" +
                  std::string(kWorker) + "'"),
            20);
}

TEST_F(RuntimeTest, TheBufferTargetFollowsTheRateJobsStartAtAndStaysWithinThePrefetch) {
  // A horizon of 10 s: whatever this machine's speed, 2000 jobs started during this test are
  // more than 100 per 10 s.
  Producer producer(ProducerConfig{kWorker, {"default"}, 30s, 1s, 100, 10s}, pool, registry,
                    metrics);
  EXPECT_EQ(producer.buffer_target(), 1) << "nothing started yet: one at a time";
  insert("instant", 2000);
  producer.claim_once(2000);
  const auto with = executor.batch_with();
  while (registry.counts().buffered > 0) executor.run_batch(registry.take(50, with));
  EXPECT_EQ(producer.buffer_target(), 100) << "the prefetch caps it";
}

TEST_F(RuntimeTest, ASleepingProducerClaimsAssoonAsItIsWoken) {
  Producer producer(ProducerConfig{kWorker, {"default"}, 30s, 60s, 100}, pool, registry,
                    metrics);
  producer.start();
  // It claimed nothing and sleeps for its minute-long poll interval.
  while (registry.counts().buffered == 0 && count("SELECT count(*) FROM daap.jobs") == 0) {
    insert("instant", 1);
  }
  producer.wake();
  const auto deadline = SteadyClock::now() + 30s;
  while (registry.counts().buffered == 0 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(5ms);  // polls the registry
  }
  producer.stop();
  EXPECT_GE(registry.counts().buffered, 1);
}

// Heartbeat ---------------------------------------------------------------------------------

TEST_F(RuntimeTest, AHeartbeatRenewsEveryHeldLease) {
  insert("effect", 3);
  ASSERT_EQ(claim(), 3);
  exec("UPDATE daap.jobs SET lease_expires_at = now() + interval '1 second'");
  Heartbeat(heartbeat_config(), pool, registry, metrics).beat(true);
  EXPECT_EQ(count("SELECT count(*) FROM daap.jobs WHERE lease_expires_at > now() + "
                  "interval '25 seconds'"),
            3);
  EXPECT_EQ(count("SELECT count(*) FROM daap.workers WHERE id = '" + std::string(kWorker) + "'"),
            1);
}

TEST_F(RuntimeTest, AHeartbeatForgetsLostLeasesAndInterruptsCancelledJobs) {
  const auto ids = insert("effect", 3);
  ASSERT_EQ(claim(), 3);
  std::vector<JobPtr> running;  // 1 and 2 run, 3 stays buffered
  for (int i = 0; i < 2; ++i) running.push_back(registry.take(1, executor.batch_with()).at(0));
  exec("UPDATE daap.jobs SET locked_by = 'another' WHERE id = $1", pqxx::params{ids[0]});
  exec("UPDATE daap.jobs SET cancel_requested_at = now() WHERE id = $1", pqxx::params{ids[1]});
  exec("UPDATE daap.jobs SET locked_by = 'another' WHERE id = $1", pqxx::params{ids[2]});
  Heartbeat(heartbeat_config(), pool, registry, metrics).beat(false);
  EXPECT_EQ(running[0]->interrupt.reason(), InterruptReason::lease_lost);
  EXPECT_EQ(running[1]->interrupt.reason(), InterruptReason::cancel);
  EXPECT_EQ(registry.counts().buffered, 0) << "the lost buffered job is never started";
  ASSERT_EQ(registry.leases().size(), 1U);
  EXPECT_EQ(registry.leases()[0].id, ids[1]);
}

// Maintainer --------------------------------------------------------------------------------

// A running job whose lease expired: its worker is gone.
queue::JobId orphan(RuntimeTest& t, const std::string& worker = "gone") {
  return t.count("INSERT INTO daap.jobs (kind, state, attempt, locked_by, started_at, "
                 "lease_expires_at) VALUES ('effect', 'running', 1, '" + worker +
                 "', now(), now() - interval '1 minute') RETURNING id");
}

TEST_F(RuntimeTest, OneMaintainerLeadsAndRescuesExpiredLeases) {
  const auto id = orphan(*this);
  Maintainer first(maintainer_config("first"), pool), second(maintainer_config("second"), pool);
  EXPECT_TRUE(first.pass());
  EXPECT_FALSE(second.pass());
  EXPECT_EQ(state(id), "available");
  EXPECT_TRUE(first.leader());
  EXPECT_FALSE(second.leader());
}

TEST_F(RuntimeTest, ALeaderWhoseLeaseLapsedUndoesItsPassAndStepsDown) {
  Maintainer first(maintainer_config("first"), pool), second(maintainer_config("second"), pool);
  ASSERT_TRUE(first.pass());
  // `first` was paused longer than its lease: `second` took over and leads now.
  exec("UPDATE daap.leaders SET expires_at = clock_timestamp() - interval '1 second'");
  ASSERT_TRUE(second.pass());
  const auto id = orphan(*this);
  // `first` comes back and runs the pass it was in the middle of.
  EXPECT_FALSE(first.pass());
  EXPECT_FALSE(first.leader());
  EXPECT_EQ(state(id), "running") << "its rescue was rolled back";
  EXPECT_EQ(text("SELECT holder || ':' || term FROM daap.leaders"), "second:2");
  EXPECT_TRUE(second.pass());
  EXPECT_EQ(state(id), "available");
}

TEST_F(RuntimeTest, AStoppedMaintainerHandsLeadershipOverAtOnce) {
  Maintainer second(maintainer_config("second"), pool);
  {
    Maintainer first(maintainer_config("first"), pool);
    first.start();
    const auto deadline = SteadyClock::now() + 30s;
    while (!first.leader() && SteadyClock::now() < deadline) std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(first.leader());
    EXPECT_FALSE(second.pass());
    first.stop();
  }
  EXPECT_TRUE(second.pass());
}


// Periodic jobs in the maintainer's pass ----------------------------------------------------

// A periodic job whose yearly run (1 January, 00:00 UTC) is due: added three years ago.
void due_periodic_job(RuntimeTest& t, const std::string& name) {
  t.exec("DELETE FROM daap.periodic_jobs");  // the built-in ones could come due mid-test
  t.exec("SELECT daap.add_periodic_job(name => $1, schedule => '0 0 1 1 *', kind => 'noop')",
         pqxx::params{name});
  t.exec("UPDATE daap.periodic_jobs SET schedule_from = now() - interval '3 years' "
         "WHERE name = $1",
         pqxx::params{name});
}

std::int64_t periodic_runs(RuntimeTest& t, const std::string& name) {
  return t.count("SELECT count(*) FROM daap.jobs WHERE unique_key LIKE 'periodic:" + name +
                 ":%'");
}

TEST_F(RuntimeTest, ADuePeriodicRunIsEnqueuedOnceAcrossALeaderChange) {
  due_periodic_job(*this, "yearly");
  Maintainer first(maintainer_config("first"), pool), second(maintainer_config("second"), pool);
  ASSERT_TRUE(first.pass());
  EXPECT_EQ(periodic_runs(*this, "yearly"), 1);
  // Its job finished (so the unique key no longer holds it), and leadership changed hands.
  exec("UPDATE daap.jobs SET state = 'succeeded', finished_at = now()");
  exec("UPDATE daap.leaders SET expires_at = clock_timestamp() - interval '1 second'");
  ASSERT_TRUE(second.pass());
  EXPECT_FALSE(first.pass());
  EXPECT_TRUE(second.pass());
  EXPECT_EQ(periodic_runs(*this, "yearly"), 1) << "the new leader knows it ran";
}

TEST_F(RuntimeTest, APeriodicRunEnqueuedByALeaderWhoseLeaseLapsedIsUndone) {
  Maintainer first(maintainer_config("first"), pool), second(maintainer_config("second"), pool);
  ASSERT_TRUE(first.pass());
  exec("UPDATE daap.leaders SET expires_at = clock_timestamp() - interval '1 second'");
  ASSERT_TRUE(second.pass());
  due_periodic_job(*this, "yearly");
  // `first` comes back from a pause and runs its pass: the run it enqueued is rolled back.
  EXPECT_FALSE(first.pass());
  EXPECT_EQ(periodic_runs(*this, "yearly"), 0);
  EXPECT_TRUE(second.pass());
  EXPECT_EQ(periodic_runs(*this, "yearly"), 1);
  EXPECT_TRUE(second.pass());
  EXPECT_EQ(periodic_runs(*this, "yearly"), 1);
}

TEST_F(RuntimeTest, TwoRunningMaintainersEnqueueADuePeriodicRunOnce) {
  due_periodic_job(*this, "yearly");
  auto config = maintainer_config("first");
  config.leadership_lease = 300ms;  // a pass every 100 ms
  Maintainer first(config, pool);
  config.worker_id = "second";
  Maintainer second(config, pool);
  first.start();
  second.start();
  const auto deadline = SteadyClock::now() + 30s;
  while (periodic_runs(*this, "yearly") == 0 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(10ms);  // polls the table
  }
  // Finished, so the unique key would not hide a second enqueue; then three more passes commit
  // (each renews the lease).
  exec("UPDATE daap.jobs SET state = 'succeeded', finished_at = now()");
  for (int renewals = 0; renewals < 3 && SteadyClock::now() < deadline; ++renewals) {
    const auto before = text("SELECT expires_at::text FROM daap.leaders");
    while (text("SELECT expires_at::text FROM daap.leaders") == before &&
           SteadyClock::now() < deadline) {
      std::this_thread::sleep_for(10ms);  // polls the lease
    }
  }
  first.stop();
  second.stop();
  EXPECT_LT(SteadyClock::now(), deadline);
  EXPECT_EQ(periodic_runs(*this, "yearly"), 1);
}

}  // namespace
}  // namespace daap::worker::runtime
