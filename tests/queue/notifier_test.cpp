// JobListener: wakes on the insert trigger's NOTIFY from another connection.
#include "queue/notifier.h"

#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/eventually.h"
#include "tests/support/test_database.h"

namespace daap::queue {
namespace {

using daap::test::eventually;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

// Whether thread `tid` of this process sleeps in poll() or select(): where wait() sleeps
// (libpqxx waits on the socket with poll). Linux shows a thread's system call in /proc.
bool sleeps_in_poll(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
  long number = -1;
  in >> number;  // "running" when it is not in a system call
  for (const long sleeping : {
#ifdef SYS_poll
           static_cast<long>(SYS_poll),
#endif
#ifdef SYS_select
           static_cast<long>(SYS_select),
#endif
           static_cast<long>(SYS_ppoll), static_cast<long>(SYS_pselect6)}) {
    if (number == sleeping) return true;
  }
  return false;
}

// Bytes the server sent on `conn` that libpq has not read yet.
int unread_bytes(pqxx::connection& conn) {
  int bytes = 0;
  ::ioctl(conn.sock(), FIONREAD, &bytes);
  return bytes;
}

// One NotificationResponse on the jobs channel: 'A', length, sender pid, channel, empty payload.
const int kNotificationBytes = 1 + 4 + 4 + static_cast<int>(std::strlen(kJobsChannel)) + 1 + 1;

class JobListenerTest : public ::testing::Test {
 protected:
  daap::test::FreshDatabase db;
  pqxx::connection listen_conn{db.url()};
  pqxx::connection other{db.url()};
  void insert_job() { pqxx::nontransaction(other).exec("SELECT daap.enqueue('noop')"); }
};

TEST_F(JobListenerTest, WakesOnAnInsertFromAnotherConnectionWhileWaiting) {
  JobListener listener(listen_conn);
  const pid_t waiter = ::gettid();
  bool inserted_while_waiting = false;
  std::thread inserter([&] {
    // Only once wait() sleeps: the notification must wake it, not be found on arrival.
    inserted_while_waiting = eventually([&] { return sleeps_in_poll(waiter); }, 30s, 1ms);
    insert_job();
  });
  // A notification ends the wait long before this; no notification, no wake-up at all.
  const bool woke = listener.wait(60s);
  inserter.join();
  EXPECT_TRUE(inserted_while_waiting) << "wait() returned or never slept before the insert";
  EXPECT_TRUE(woke);
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
  // Both notifications are in the listener's socket, unread, before wait() starts. (Counted
  // in plain-text protocol bytes: the test servers do not use TLS.)
  ASSERT_TRUE(
      eventually([&] { return unread_bytes(listen_conn) >= 2 * kNotificationBytes; }, 30s))
      << unread_bytes(listen_conn) << " bytes arrived";
  EXPECT_TRUE(listener.wait(30s)) << "what arrived before the wait counts";
  EXPECT_FALSE(listener.wait(200ms)) << "one wait consumes all that had arrived";
}

TEST_F(JobListenerTest, AnUncommittedInsertDoesNotWakeAndItsCommitDoes) {
  JobListener listener(listen_conn);
  pqxx::work tx(other);
  tx.exec("SELECT daap.enqueue('noop')");
  EXPECT_FALSE(listener.wait(200ms));
  tx.commit();
  EXPECT_TRUE(listener.wait(30s));
}

TEST_F(JobListenerTest, StopsListeningWhenDestroyed) {
  { JobListener listener(listen_conn); }
  EXPECT_EQ(
      pqxx::work(listen_conn).query_value<int>("SELECT count(*) FROM pg_listening_channels()"), 0);
}

}  // namespace
}  // namespace daap::queue
