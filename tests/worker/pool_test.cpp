#include "worker/pool.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/eventually.h"
#include "tests/support/test_database.h"

namespace daap::worker {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using ::daap::test::eventually;
using ::testing::HasSubstr;

// `url` with application_name set, so the server's pg_stat_activity shows this test's
// connections and no one else's.
std::string with_application_name(const std::string& url, const std::string& name) {
  if (url.find("://") == std::string::npos) return url + " application_name=" + name;
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "application_name=" + name;
}

std::string unique_application_name() {
  std::random_device rd;
  std::ostringstream s;
  s << "pooltest_" << std::hex << rd() << rd();
  return s.str();
}


int backend_pid(pqxx::connection& conn) {
  pqxx::nontransaction tx(conn);
  return tx.query_value<int>("SELECT pg_backend_pid()");
}

class PoolTest : public ::testing::Test {
 protected:
  PoolTest() : app_(unique_application_name()), observer_(test::server_url()) {}

  PoolConfig config(int max_conns = 4, int min_conns = 0) const {
    PoolConfig c;
    c.url = with_application_name(test::server_url(), app_);
    c.max_conns = max_conns;
    c.min_conns = min_conns;
    return c;
  }

  // This test's connections as the server sees them (from a connection outside the pool).
  int server_connections() {
    pqxx::nontransaction tx(observer_);
    return tx.query_value<int>("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                               pqxx::params{app_});
  }

  bool backend_exists(int pid) {
    pqxx::nontransaction tx(observer_);
    return tx.query_value<bool>("SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1)",
                                pqxx::params{pid});
  }

  std::string last_query(int pid) {
    pqxx::nontransaction tx(observer_);
    return tx.query_value<std::string>("SELECT query FROM pg_stat_activity WHERE pid = $1",
                                       pqxx::params{pid});
  }

  void terminate(int pid) {
    pqxx::nontransaction tx(observer_);
    ASSERT_TRUE(tx.query_value<bool>("SELECT pg_terminate_backend($1)", pqxx::params{pid}));
    tx.commit();
    ASSERT_TRUE(eventually([&] { return !backend_exists(pid); }, 10s)) << "backend " << pid;
  }

  std::string app_;
  pqxx::connection observer_;
};

TEST_F(PoolTest, ReleasedConnectionIsReusedByTheNextAcquire) {
  ConnectionPool pool(config());
  int first = 0;
  {
    auto conn = pool.acquire();
    first = backend_pid(*conn);
    EXPECT_EQ(pool.open_connections(), 1);
    EXPECT_EQ(pool.idle_connections(), 0);
  }
  EXPECT_EQ(pool.idle_connections(), 1);
  auto conn = pool.acquire();
  EXPECT_EQ(backend_pid(*conn), first);
  EXPECT_EQ(pool.open_connections(), 1);
  EXPECT_EQ(server_connections(), 1);
}

TEST_F(PoolTest, ConnectionTerminatedByTheServerIsReplacedOnTheNextAcquire) {
  ConnectionPool pool(config());  // default health_check_after: the socket gives it away
  int killed = 0;
  {
    auto conn = pool.acquire();
    killed = backend_pid(*conn);
  }
  terminate(killed);

  auto conn = pool.acquire();
  const int replacement = backend_pid(*conn);
  EXPECT_NE(replacement, killed);
  pqxx::nontransaction tx(*conn);
  EXPECT_EQ(tx.query_value<int>("SELECT 40 + 2"), 42);
  EXPECT_EQ(pool.open_connections(), 1);
}

TEST_F(PoolTest, EveryTerminatedIdleConnectionIsReplaced) {
  auto c = config(3);
  c.health_check_after = 0ms;  // ping every idle connection before handing it out
  ConnectionPool pool(c);
  std::vector<int> killed;
  {
    std::vector<PooledConnection> held;
    for (int i = 0; i < 3; ++i) {
      held.push_back(pool.acquire());
      killed.push_back(backend_pid(*held.back()));
    }
  }
  for (const int pid : killed) terminate(pid);

  std::vector<PooledConnection> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(pool.acquire());
    EXPECT_THAT(killed, ::testing::Not(::testing::Contains(backend_pid(*held.back()))));
  }
  EXPECT_EQ(pool.open_connections(), 3);
  EXPECT_EQ(server_connections(), 3);
}

TEST_F(PoolTest, ConnectionIdleLongerThanHealthCheckAfterIsPingedBeforeUse) {
  auto c = config();
  c.health_check_after = 0ms;
  ConnectionPool pool(c);
  int pid = 0;
  {
    auto conn = pool.acquire();
    pid = backend_pid(*conn);
    pqxx::nontransaction(*conn).exec("SELECT 'marker'");
  }
  auto conn = pool.acquire();
  EXPECT_EQ(last_query(pid), "SELECT 1");
}

TEST_F(PoolTest, RecentlyUsedConnectionIsNotPinged) {
  auto c = config();
  c.health_check_after = 1h;
  ConnectionPool pool(c);
  int pid = 0;
  {
    auto conn = pool.acquire();
    pid = backend_pid(*conn);
    pqxx::nontransaction(*conn).exec("SELECT 'marker'");
  }
  auto conn = pool.acquire();
  EXPECT_EQ(last_query(pid), "SELECT 'marker'");
}

TEST_F(PoolTest, DiscardedConnectionIsClosedOnRelease) {
  ConnectionPool pool(config());
  int discarded = 0;
  {
    auto conn = pool.acquire();
    discarded = backend_pid(*conn);
    conn.discard();
  }
  EXPECT_EQ(pool.open_connections(), 0);
  EXPECT_TRUE(eventually([&] { return !backend_exists(discarded); }, 10s));
  auto conn = pool.acquire();
  EXPECT_NE(backend_pid(*conn), discarded);
}

TEST_F(PoolTest, ClosedConnectionIsNotReturnedToIdle) {
  ConnectionPool pool(config());
  {
    auto conn = pool.acquire();
    conn->close();
  }
  EXPECT_EQ(pool.open_connections(), 0);
  EXPECT_EQ(pool.idle_connections(), 0);
}

TEST_F(PoolTest, MovedConnectionIsReleasedOnce) {
  ConnectionPool pool(config());
  {
    auto first = pool.acquire();
    auto second = pool.acquire();
    PooledConnection moved(std::move(first));
    second = std::move(moved);  // second's own connection goes back to the pool
    EXPECT_EQ(pool.idle_connections(), 1);
  }
  EXPECT_EQ(pool.idle_connections(), 2);
  EXPECT_EQ(pool.open_connections(), 2);
}

TEST_F(PoolTest, NeverExceedsMaxConnectionsUnderContention) {
  constexpr int kMax = 4;
  ConnectionPool pool(config(kMax));
  std::atomic<int> checked_out{0};
  std::atomic<int> most_checked_out{0};
  std::atomic<int> most_open{0};
  std::atomic<int> most_on_server{0};
  const auto raise = [](std::atomic<int>& most, int value) {
    for (int seen = most.load(); value > seen && !most.compare_exchange_weak(seen, value);) {
    }
  };
  std::vector<std::jthread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto conn = pool.acquire();
        raise(most_checked_out, ++checked_out);
        raise(most_open, pool.open_connections());
        pqxx::nontransaction tx(*conn);
        raise(most_on_server,
              tx.query_value<int>("SELECT count(*) FROM pg_stat_activity "
                                  "WHERE application_name = current_setting('application_name')"));
        --checked_out;
      }
    });
  }
  threads.clear();  // joins
  EXPECT_LE(most_checked_out, kMax);
  EXPECT_LE(most_open, kMax);
  EXPECT_LE(most_on_server, kMax);
  EXPECT_GE(most_on_server, 1);
  EXPECT_LE(pool.open_connections(), kMax);
  EXPECT_LE(server_connections(), kMax);
}

TEST_F(PoolTest, AcquireTimesOutWhenAllConnectionsAreCheckedOut) {
  auto c = config(2);
  c.acquire_timeout = 200ms;
  ConnectionPool pool(c);
  auto first = pool.acquire();
  auto second = pool.acquire();
  const auto start = Clock::now();
  try {
    pool.acquire();
    FAIL() << "acquire returned a third connection";
  } catch (const PoolTimeout& e) {
    EXPECT_GE(Clock::now() - start, 200ms);
    EXPECT_THAT(e.what(), HasSubstr("no database connection free within 200ms (pool max 2 "
                                    "connections, all in use)"));
  }
  EXPECT_EQ(pool.open_connections(), 2);
}

TEST_F(PoolTest, WaitingAcquireGetsTheConnectionAnotherThreadReleases) {
  ConnectionPool pool(config(1));
  auto held = std::make_optional(pool.acquire());
  const int pid = backend_pid(**held);
  int waiter_pid = 0;
  std::jthread waiter([&] {
    auto conn = pool.acquire();
    waiter_pid = backend_pid(*conn);
  });
  // Released only once the waiter is blocked in acquire: the waiting path is what is tested.
  EXPECT_TRUE(eventually([&] { return pool.waiting_acquires() == 1; }, 30s))
      << "the waiter never waited for a connection";
  held.reset();
  waiter.join();
  EXPECT_EQ(pool.waiting_acquires(), 0);
  EXPECT_EQ(waiter_pid, pid);
  EXPECT_EQ(pool.open_connections(), 1);
}

TEST_F(PoolTest, EveryAcquireReportsHowLongItWaitedAndWhetherItGotAConnection) {
  struct Report {
    std::chrono::duration<double> waited;
    bool acquired;
  };
  std::mutex mutex;
  std::vector<Report> reports;
  auto c = config(1);
  c.acquire_timeout = 200ms;
  c.on_acquire = [&](std::chrono::duration<double> waited, bool acquired) {
    std::lock_guard lock(mutex);
    reports.push_back({waited, acquired});
  };
  ConnectionPool pool(c);
  auto held = pool.acquire();
  EXPECT_THROW(pool.acquire(), PoolTimeout);
  std::lock_guard lock(mutex);
  ASSERT_EQ(reports.size(), 2U);
  EXPECT_TRUE(reports[0].acquired);
  EXPECT_FALSE(reports[1].acquired);
  EXPECT_GE(reports[1].waited, 200ms);
}

TEST_F(PoolTest, StatsCountOpenInUseAndWaiting) {
  ConnectionPool pool(config(2));
  auto first = std::make_optional(pool.acquire());
  {
    auto second = pool.acquire();
  }
  auto stats = pool.stats();
  EXPECT_EQ(stats.open, 2);
  EXPECT_EQ(stats.in_use, 1);
  EXPECT_EQ(stats.waiting, 0);
  EXPECT_EQ(stats.max, 2);

  auto second = pool.acquire();
  std::jthread waiter([&] { auto third = pool.acquire(); });
  ASSERT_TRUE(eventually([&] { return pool.stats().waiting == 1; }, 30s));
  stats = pool.stats();
  EXPECT_EQ(stats.in_use, 2);
  first.reset();
  waiter.join();
  EXPECT_EQ(pool.stats().waiting, 0);
}

TEST_F(PoolTest, MaintainClosesConnectionsIdleLongerThanMaxIdleTime) {
  auto c = config();
  c.max_conn_idle_time = 50ms;
  ConnectionPool pool(c);
  {
    auto a = pool.acquire();
    auto b = pool.acquire();
  }
  EXPECT_EQ(pool.idle_connections(), 2);
  std::this_thread::sleep_for(60ms);  // the idle time is what is under test
  pool.maintain();
  EXPECT_EQ(pool.open_connections(), 0);
  EXPECT_EQ(pool.idle_connections(), 0);
  EXPECT_TRUE(eventually([&] { return server_connections() == 0; }, 10s));
}

TEST_F(PoolTest, MaintainKeepsMinConnsOpenPastMaxIdleTime) {
  auto c = config(4, 2);
  c.max_conn_idle_time = 50ms;
  ConnectionPool pool(c);
  {
    std::vector<PooledConnection> held;
    for (int i = 0; i < 4; ++i) held.push_back(pool.acquire());
  }
  std::this_thread::sleep_for(60ms);
  pool.maintain();
  EXPECT_EQ(pool.open_connections(), 2);
  EXPECT_EQ(pool.idle_connections(), 2);
  EXPECT_TRUE(eventually([&] { return server_connections() == 2; }, 10s));
}

TEST_F(PoolTest, ConnectionPastMaxLifetimeIsClosedOnRelease) {
  auto c = config();
  c.max_conn_lifetime = 50ms;
  ConnectionPool pool(c);
  {
    auto conn = pool.acquire();
    std::this_thread::sleep_for(60ms);  // the lifetime is what is under test
  }
  EXPECT_EQ(pool.open_connections(), 0);
  EXPECT_EQ(pool.idle_connections(), 0);
}

TEST_F(PoolTest, MaintainReplacesIdleConnectionsPastMaxLifetime) {
  auto c = config(4, 1);
  c.max_conn_lifetime = 100ms;
  ConnectionPool pool(c);
  pool.maintain();
  ASSERT_EQ(pool.idle_connections(), 1);
  int old_pid = 0;
  {
    auto conn = pool.acquire();
    old_pid = backend_pid(*conn);
  }
  std::this_thread::sleep_for(110ms);
  pool.maintain();
  EXPECT_EQ(pool.open_connections(), 1);
  EXPECT_EQ(pool.idle_connections(), 1);
  EXPECT_TRUE(eventually([&] { return !backend_exists(old_pid); }, 10s));
  auto conn = pool.acquire();
  EXPECT_NE(backend_pid(*conn), old_pid);
}

TEST_F(PoolTest, MaintainTopsUpToMinConns) {
  ConnectionPool pool(config(4, 3));
  EXPECT_EQ(pool.open_connections(), 0);
  pool.maintain();
  EXPECT_EQ(pool.open_connections(), 3);
  EXPECT_EQ(pool.idle_connections(), 3);
  EXPECT_EQ(server_connections(), 3);
  {
    auto conn = pool.acquire();
    pool.maintain();  // a checked-out connection counts towards min_conns
    EXPECT_EQ(pool.open_connections(), 3);
  }
}

// A port with nothing listening: the connection is refused at once.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A server that accepts TCP connections (the kernel completes them) and never answers.
class SilentServer {
 public:
  SilentServer() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len);
    ::listen(fd_, 8);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

TEST(PoolUnreachableTest, RefusedConnectionFailsAcquireWithBrokenConnection) {
  PoolConfig c;
  c.url = "postgresql://nobody@127.0.0.1:" + std::to_string(closed_port()) + "/none";
  c.acquire_timeout = 5s;
  ConnectionPool pool(c);
  EXPECT_THROW(pool.acquire(), pqxx::broken_connection);
  EXPECT_EQ(pool.open_connections(), 0);
}

TEST(PoolUnreachableTest, SilentServerFailsAcquireWithinTheTimeout) {
  SilentServer server;
  PoolConfig c;
  c.url = "postgresql://nobody@127.0.0.1:" + std::to_string(server.port()) + "/none";
  c.acquire_timeout = 300ms;
  ConnectionPool pool(c);
  // That acquire returns at all is the point (without the timeout it would wait forever, and
  // the suite's deadline ends it); the message says it was the 300ms timeout that ended it.
  // How soon it returns is not asserted: a loaded machine may take longer.
  try {
    pool.acquire();
    FAIL() << "acquire returned a connection to a silent server";
  } catch (const pqxx::broken_connection& e) {
    EXPECT_THAT(e.what(), HasSubstr("no answer from the database server within 300ms"));
  }
  EXPECT_EQ(pool.open_connections(), 0);
}

TEST(PoolConfigTest, MinConnsAboveMaxConnsIsRejected) {
  PoolConfig c;
  c.max_conns = 2;
  c.min_conns = 3;
  EXPECT_THROW(ConnectionPool{c}, std::invalid_argument);
}

}  // namespace
}  // namespace daap::worker
