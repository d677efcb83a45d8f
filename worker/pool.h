// A small PostgreSQL connection pool. libpqxx has none, and the worker needs bounded,
// health-checked connections shared by its threads (min/max, lifetime, idle time, timeouts).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include <pqxx/pqxx>

namespace daap::worker {

struct PoolConfig {
  std::string url;
  int max_conns = 25;
  int min_conns = 5;
  std::chrono::milliseconds max_conn_lifetime = std::chrono::hours(1);
  std::chrono::milliseconds max_conn_idle_time = std::chrono::minutes(30);
  // A connection idle longer than this is pinged (SELECT 1) before it is handed out.
  std::chrono::milliseconds health_check_after = std::chrono::seconds(10);
  std::chrono::milliseconds acquire_timeout = std::chrono::seconds(30);
  // Called after every acquire() with how long it took and whether it got a connection (for
  // metrics; must be cheap and must not throw).
  std::function<void(std::chrono::duration<double> waited, bool acquired)> on_acquire;
};

// The pool's connections at one moment.
struct PoolStats {
  int open = 0;     // idle + checked out + being opened
  int in_use = 0;   // checked out or being opened for an acquire()
  int waiting = 0;  // acquire() calls blocked until a connection is released
  int max = 0;      // max_conns
};

// No connection became free (or could be opened) within the acquire timeout.
class PoolTimeout : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ConnectionPool;

// A checked-out connection; returns itself to the pool when destroyed. If the connection
// broke while checked out (or discard() was called) the pool closes it instead of reusing it.
class PooledConnection {
 public:
  PooledConnection(PooledConnection&&) noexcept;
  PooledConnection& operator=(PooledConnection&&) noexcept;
  ~PooledConnection();
  pqxx::connection& operator*() { return *conn_; }
  pqxx::connection* operator->() { return conn_.get(); }
  // Do not reuse this connection (e.g. it is in an unknown state after an error).
  void discard() { discard_ = true; }

 private:
  friend class ConnectionPool;
  PooledConnection(ConnectionPool* pool, std::unique_ptr<pqxx::connection> conn,
                   std::chrono::steady_clock::time_point created);
  ConnectionPool* pool_;
  std::unique_ptr<pqxx::connection> conn_;
  std::chrono::steady_clock::time_point created_;
  bool discard_ = false;
};

// Bounded pool of connections to config.url. Must outlive every PooledConnection it hands out.
class ConnectionPool {
 public:
  explicit ConnectionPool(PoolConfig config);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Waits up to acquire_timeout for a healthy connection (opening one if below max_conns);
  // throws PoolTimeout naming the pool's limit, or pqxx::broken_connection when the server
  // cannot be reached (a connect never outlasts acquire_timeout).
  PooledConnection acquire();

  // Connections open now (idle + checked out); never above max_conns.
  int open_connections() const;
  int idle_connections() const;
  // acquire() calls blocked now until a connection is released (or their timeout).
  int waiting_acquires() const;
  // All of the above, read together.
  PoolStats stats() const;
  const PoolConfig& config() const { return config_; }

  // Closes idle connections past their lifetime (or past their idle time, down to min_conns)
  // and tops up to min_conns. For the owner's housekeeping loop; safe from any thread. Throws
  // pqxx::broken_connection if a top-up connection cannot be opened.
  void maintain();

 private:
  friend class PooledConnection;
  struct Idle {
    std::unique_ptr<pqxx::connection> conn;
    std::chrono::steady_clock::time_point created;
    std::chrono::steady_clock::time_point idle_since;
  };
  PooledConnection acquire_connection();
  void release(std::unique_ptr<pqxx::connection> conn,
               std::chrono::steady_clock::time_point created, bool discard);

  PoolConfig config_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::deque<Idle> idle_;
  int open_ = 0;  // idle + checked out + being opened
  int waiting_ = 0;
};

}  // namespace daap::worker
