// JobListener: wakes on the insert trigger's NOTIFY from another connection.
#include "queue/notifier.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/test_database.h"

namespace daap::queue {
namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

class JobListenerTest : public ::testing::Test {
 protected:
  daap::test::FreshDatabase db;
  pqxx::connection listen_conn{db.url()};
  pqxx::connection other{db.url()};
  void insert_job() { pqxx::nontransaction(other).exec("SELECT daap.enqueue('noop')"); }
};

TEST_F(JobListenerTest, WakesOnAnInsertFromAnotherConnection) {
  JobListener listener(listen_conn);
  std::atomic<bool> waiting{false};
  std::thread inserter([&] {
    while (!waiting) std::this_thread::yield();
    insert_job();
  });
  waiting = true;
  const auto start = steady_clock::now();
  const bool woke = listener.wait(5s);
  const auto took = steady_clock::now() - start;
  inserter.join();
  EXPECT_TRUE(woke);
  EXPECT_LT(took, 4s) << "returned because of the notification, not the timeout";
}

TEST_F(JobListenerTest, TimesOutWithoutANotification) {
  JobListener listener(listen_conn);
  const auto start = steady_clock::now();
  EXPECT_FALSE(listener.wait(200ms));
  EXPECT_GE(steady_clock::now() - start, 200ms);
}

TEST_F(JobListenerTest, CountsNotificationsThatArrivedBeforeTheWaitAndConsumesThem) {
  JobListener listener(listen_conn);
  insert_job();
  insert_job();
  EXPECT_TRUE(listener.wait(5s));
  // Both may have been consumed already, or the second may still be in flight.
  listener.wait(100ms);
  EXPECT_FALSE(listener.wait(100ms));
}

TEST_F(JobListenerTest, AnUncommittedInsertDoesNotWakeAndItsCommitDoes) {
  JobListener listener(listen_conn);
  pqxx::work tx(other);
  tx.exec("SELECT daap.enqueue('noop')");
  EXPECT_FALSE(listener.wait(200ms));
  tx.commit();
  EXPECT_TRUE(listener.wait(5s));
}

TEST_F(JobListenerTest, StopsListeningWhenDestroyed) {
  { JobListener listener(listen_conn); }
  EXPECT_EQ(
      pqxx::work(listen_conn).query_value<int>("SELECT count(*) FROM pg_listening_channels()"), 0);
}

}  // namespace
}  // namespace daap::queue
