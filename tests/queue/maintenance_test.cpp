// Maintenance passes (rescue, prune, stale workers) in a rolled-back transaction, and leader
// election across connections on a fresh database.
#include "queue/maintenance.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "queue/enqueue.h"
#include "queue/queries.h"
#include "queue/workers.h"
#include "tests/support/eventually.h"
#include "tests/support/test_database.h"

namespace daap::queue {
namespace {

using namespace std::chrono_literals;

class MaintenanceTest : public daap::test::RollbackTest {
 protected:
  // A job held by `worker` whose lease ran out `ago`.
  JobId running_job(const std::string& worker, std::chrono::seconds ago, int attempt = 1,
                    int max_attempts = 25) {
    return tx().query_value<JobId>(
        "INSERT INTO daap.jobs (kind, state, attempt, max_attempts, locked_by, started_at, "
        "lease_expires_at) VALUES ('noop', 'running', $1, $2, $3, now(), "
        "now() - $4 * interval '1 second') RETURNING id",
        pqxx::params{attempt, max_attempts, worker, ago.count()});
  }
  JobId finished_job(const std::string& state, std::chrono::hours ago) {
    return tx().query_value<JobId>(
        "INSERT INTO daap.jobs (kind, state, finished_at) "
        "VALUES ('noop', $1, now() - $2 * interval '1 hour') RETURNING id",
        pqxx::params{state, ago.count()});
  }
  template <typename T = std::string>
  T column(JobId id, const std::string& expr) {
    return tx().query_value<T>("SELECT " + expr + " FROM daap.jobs WHERE id = $1",
                               pqxx::params{id});
  }
  bool exists(JobId id) {
    return tx().query_value<bool>("SELECT EXISTS (SELECT FROM daap.jobs WHERE id = $1)",
                                  pqxx::params{id});
  }
};

TEST_F(MaintenanceTest, RescueMakesAnExpiredJobAvailableAndSaysWhy) {
  const auto id = running_job("host-1-x", 5s, 2);
  const auto r = rescue_expired_leases(tx());
  EXPECT_EQ(r.made_available, 1);
  EXPECT_EQ(r.failed, 0);
  EXPECT_EQ(column(id, "state"), "available");
  EXPECT_EQ(column<int>(id, "attempt"), 2) << "the attempt stays spent";
  EXPECT_TRUE(column<bool>(id, "run_at <= now() AND lease_expires_at IS NULL"));
  EXPECT_EQ(column(id, "last_error"), "lease expired: worker host-1-x stopped heartbeating");
  EXPECT_EQ(column(id, "errors->0->>'error'"),
            "lease expired: worker host-1-x stopped heartbeating");
  EXPECT_EQ(column<int>(id, "(errors->0->>'attempt')::int"), 2);
}

TEST_F(MaintenanceTest, RescueFailsAnExpiredJobOutOfAttempts) {
  const auto id = running_job("w", 5s, 3, 3);
  const auto r = rescue_expired_leases(tx());
  EXPECT_EQ(r.failed, 1);
  EXPECT_EQ(column(id, "state"), "failed");
  EXPECT_TRUE(column<bool>(id, "finished_at IS NOT NULL"));
}

TEST_F(MaintenanceTest, RescueCancelsAnExpiredJobAskedToCancel) {
  const auto id = running_job("w", 5s);
  tx().exec("UPDATE daap.jobs SET cancel_requested_at = now() WHERE id = $1", pqxx::params{id});
  EXPECT_EQ(rescue_expired_leases(tx()).cancelled, 1);
  EXPECT_EQ(column(id, "state"), "cancelled");
}

TEST_F(MaintenanceTest, RescueLeavesLiveLeasesAloneAndHonoursTheLimit) {
  const auto live = running_job("w", -30s);
  for (int i = 0; i < 3; ++i) running_job("w", 5s);
  EXPECT_EQ(rescue_expired_leases(tx(), 2).made_available, 2);
  EXPECT_EQ(rescue_expired_leases(tx(), 2).made_available, 1);
  EXPECT_EQ(rescue_expired_leases(tx(), 2).made_available, 0);
  EXPECT_EQ(column(live, "state"), "running");
}

TEST_F(MaintenanceTest, PruneDeletesOnlyFinishedJobsPastTheirRetention) {
  const auto old_success = finished_job("succeeded", 25h);
  const auto new_success = finished_job("succeeded", 23h);
  const auto old_failure = finished_job("failed", 24h * 8);
  const auto new_failure = finished_job("failed", 25h);
  const auto old_cancel = finished_job("cancelled", 24h * 8);
  const auto available = tx().query_value<JobId>("SELECT daap.enqueue('noop')");
  tx().exec("UPDATE daap.jobs SET created_at = now() - interval '30 days' WHERE id = $1",
            pqxx::params{available});

  EXPECT_EQ(prune_finished_jobs(tx(), kSucceededRetentionDefault, kFailedRetentionDefault), 3);
  EXPECT_FALSE(exists(old_success));
  EXPECT_FALSE(exists(old_failure));
  EXPECT_FALSE(exists(old_cancel));
  EXPECT_TRUE(exists(new_success));
  EXPECT_TRUE(exists(new_failure));
  EXPECT_TRUE(exists(available));
}

TEST_F(MaintenanceTest, PruneIsBoundedByTheLimit) {
  for (int i = 0; i < 5; ++i) finished_job("succeeded", 48h);
  EXPECT_EQ(prune_finished_jobs(tx(), 1h, 1h, 3), 3);
  EXPECT_EQ(prune_finished_jobs(tx(), 1h, 1h, 3), 2);
  EXPECT_EQ(prune_finished_jobs(tx(), 1h, 1h, 3), 0);
}

TEST_F(MaintenanceTest, PruneStaleWorkersDeletesOnlyWorkersThatStoppedHeartbeating) {
  register_worker(tx(), {.id = "fresh",
                         .hostname = "h",
                         .pid = 1,
                         .version = "v",
                         .queues = {"default"},
                         .concurrency = 1});
  register_worker(tx(), {.id = "stale",
                         .hostname = "h",
                         .pid = 2,
                         .version = "v",
                         .queues = {"default"},
                         .concurrency = 1});
  tx().exec(
      "UPDATE daap.workers SET heartbeat_at = now() - interval '6 minutes' "
      "WHERE id = 'stale'");
  EXPECT_EQ(prune_stale_workers(tx(), kStaleWorkerAfterDefault), 1);
  EXPECT_EQ(tx().query_value<std::string>("SELECT string_agg(id, ',') FROM daap.workers"), "fresh");
}

}  // namespace
}  // namespace daap::queue
