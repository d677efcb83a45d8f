// The daap.workers registry in a rolled-back transaction.
#include "queue/workers.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/support/test_database.h"

namespace daap::queue {
namespace {

class WorkersTest : public daap::test::RollbackTest {
 protected:
  WorkerInfo info{.id = "host-42-abc",
                  .hostname = "host",
                  .pid = 42,
                  .version = "0.1.0",
                  .queues = {"default", "provisioning"},
                  .concurrency = 8};
  int count() { return tx().query_value<int>("SELECT count(*) FROM daap.workers"); }
};

TEST_F(WorkersTest, RegisterInsertsTheWorkersRow) {
  register_worker(tx(), info);
  auto row = tx().exec(
                     "SELECT hostname, pid, version, array_to_string(queues, ','), "
                     "concurrency, heartbeat_at = now() FROM daap.workers WHERE id = $1",
                     pqxx::params{info.id})
                 .one_row();
  EXPECT_EQ(row[0].as<std::string>(), "host");
  EXPECT_EQ(row[1].as<int>(), 42);
  EXPECT_EQ(row[2].as<std::string>(), "0.1.0");
  EXPECT_EQ(row[3].as<std::string>(), "default,provisioning");
  EXPECT_EQ(row[4].as<int>(), 8);
  EXPECT_TRUE(row[5].as<bool>());
}

TEST_F(WorkersTest, RegisteringAgainRefreshesTheRowInsteadOfFailing) {
  register_worker(tx(), info);
  tx().exec("UPDATE daap.workers SET heartbeat_at = now() - interval '1 hour'");
  info.concurrency = 2;
  register_worker(tx(), info);
  EXPECT_EQ(count(), 1);
  EXPECT_TRUE(
      tx().query_value<bool>("SELECT concurrency = 2 AND heartbeat_at = now() FROM daap.workers"));
}

TEST_F(WorkersTest, TouchRefreshesTheHeartbeat) {
  register_worker(tx(), info);
  tx().exec("UPDATE daap.workers SET heartbeat_at = now() - interval '1 hour'");
  touch_worker(tx(), info.id);
  EXPECT_TRUE(tx().query_value<bool>("SELECT heartbeat_at = now() FROM daap.workers"));
}

TEST_F(WorkersTest, DeregisterRemovesTheRow) {
  register_worker(tx(), info);
  deregister_worker(tx(), info.id);
  EXPECT_EQ(count(), 0);
}

}  // namespace
}  // namespace daap::queue
