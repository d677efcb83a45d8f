// Why this exists: libpqxx has no connection pool, and a pqxx::connection may be used by one
// thread at a time. The worker's threads share a bounded set of connections that are checked
// for health, replaced when the server dropped them, and retired by age and idleness (the
// platform's DB_MAX_CONNS, DB_MIN_CONNS, DB_MAX_CONN_LIFETIME, DB_MAX_CONN_IDLE_TIME).
//
// Locking: mutex_ guards idle_ and open_ only. Connecting, pinging and closing happen outside
// it; a connection being opened is counted in open_ first, so max_conns is never exceeded.
#include "worker/pool.h"

#include <poll.h>
#include <sys/socket.h>

#include <cassert>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>
#include <vector>

#include "worker/config.h"

namespace daap::worker {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Connects without blocking past `deadline`: libpq's blocking connect waits forever for a
// server that accepts but never answers. (Host name resolution itself still blocks.)
std::unique_ptr<pqxx::connection> connect_until(const std::string& url, Clock::time_point deadline,
                                                milliseconds timeout) {
  pqxx::connecting connecting(url);
  while (!connecting.done()) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left <= milliseconds::zero()) {
      throw pqxx::broken_connection("no answer from the database server within " +
                                    format_duration(timeout));
    }
    pollfd fd{};
    fd.fd = connecting.sock();
    fd.events = static_cast<short>((connecting.wait_to_read() ? POLLIN : 0) |
                                   (connecting.wait_to_write() ? POLLOUT : 0));
    const int ready = ::poll(&fd, 1, static_cast<int>(std::min<long long>(left.count(), INT_MAX)));
    if (ready < 0 && errno != EINTR) {
      throw pqxx::broken_connection(std::string("poll() failed while connecting: ") +
                                    std::strerror(errno));
    }
    if (ready > 0) connecting.process();
  }
  return std::make_unique<pqxx::connection>(std::move(connecting).produce());
}

// An idle connection's socket should be silent. If the server closed it or sent something
// (e.g. the FATAL of pg_terminate_backend), it is pinged before being handed out.
bool socket_has_news(const pqxx::connection& conn) {
  const int fd = conn.sock();
  if (fd < 0) return true;
  char byte = 0;
  const auto n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

bool ping(pqxx::connection& conn) {
  try {
    pqxx::nontransaction tx(conn);
    return tx.query_value<int>("SELECT 1") == 1;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

PooledConnection::PooledConnection(ConnectionPool* pool, std::unique_ptr<pqxx::connection> conn,
                                   Clock::time_point created)
    : pool_(pool), conn_(std::move(conn)), created_(created) {}

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      conn_(std::move(other.conn_)),
      created_(other.created_),
      discard_(other.discard_) {}

PooledConnection& PooledConnection::operator=(PooledConnection&& other) noexcept {
  if (this != &other) {
    PooledConnection previous(std::move(*this));  // goes back to its pool at end of scope
    pool_ = std::exchange(other.pool_, nullptr);
    conn_ = std::move(other.conn_);
    created_ = other.created_;
    discard_ = other.discard_;
  }
  return *this;
}

PooledConnection::~PooledConnection() {
  if (pool_ != nullptr && conn_) pool_->release(std::move(conn_), created_, discard_);
}

ConnectionPool::ConnectionPool(PoolConfig config) : config_(std::move(config)) {
  if (config_.max_conns < 1 || config_.min_conns < 0 || config_.min_conns > config_.max_conns ||
      config_.acquire_timeout <= milliseconds::zero()) {
    throw std::invalid_argument(
        "connection pool needs 0 <= min_conns <= max_conns, max_conns >= 1 and a positive "
        "acquire_timeout, got min " +
        std::to_string(config_.min_conns) + ", max " + std::to_string(config_.max_conns) +
        ", timeout " + format_duration(config_.acquire_timeout));
  }
}

ConnectionPool::~ConnectionPool() {
  // Every PooledConnection must be returned before its pool goes away.
  assert(open_ == static_cast<int>(idle_.size()));
}

PooledConnection ConnectionPool::acquire() {
  if (!config_.on_acquire) return acquire_connection();
  const auto start = Clock::now();
  try {
    auto conn = acquire_connection();
    config_.on_acquire(Clock::now() - start, true);
    return conn;
  } catch (...) {
    config_.on_acquire(Clock::now() - start, false);
    throw;
  }
}

PooledConnection ConnectionPool::acquire_connection() {
  const auto deadline = Clock::now() + config_.acquire_timeout;
  std::unique_lock lock(mutex_);
  for (;;) {
    while (!idle_.empty()) {
      // Most recently used first, so surplus connections age out at the front.
      Idle idle = std::move(idle_.back());
      idle_.pop_back();
      lock.unlock();
      const auto now = Clock::now();
      const bool fresh = now - idle.created < config_.max_conn_lifetime &&
                         now - idle.idle_since < config_.max_conn_idle_time;
      const bool trusted =
          now - idle.idle_since < config_.health_check_after && !socket_has_news(*idle.conn);
      if (fresh && idle.conn->is_open() && (trusted || ping(*idle.conn))) {
        return PooledConnection(this, std::move(idle.conn), idle.created);
      }
      idle.conn.reset();  // close outside the lock
      lock.lock();
      --open_;
    }
    if (open_ < config_.max_conns) {
      ++open_;
      lock.unlock();
      try {
        auto conn = connect_until(config_.url, deadline, config_.acquire_timeout);
        return PooledConnection(this, std::move(conn), Clock::now());
      } catch (...) {
        lock.lock();
        --open_;
        available_.notify_one();  // a waiter may try to open one itself
        throw;
      }
    }
    ++waiting_;
    const auto woke = available_.wait_until(lock, deadline);
    --waiting_;
    if (woke == std::cv_status::timeout && idle_.empty()) {
      throw PoolTimeout("no database connection free within " +
                        format_duration(config_.acquire_timeout) + " (pool max " +
                        std::to_string(config_.max_conns) + " connections, all in use)");
    }
  }
}

void ConnectionPool::release(std::unique_ptr<pqxx::connection> conn, Clock::time_point created,
                             bool discard) {
  const auto now = Clock::now();
  if (!discard && conn->is_open() && now - created < config_.max_conn_lifetime) {
    std::lock_guard lock(mutex_);
    idle_.push_back(Idle{std::move(conn), created, now});
  } else {
    conn.reset();  // close outside the lock, then free the slot
    std::lock_guard lock(mutex_);
    --open_;
  }
  available_.notify_one();
}

int ConnectionPool::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

int ConnectionPool::idle_connections() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(idle_.size());
}

int ConnectionPool::waiting_acquires() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

PoolStats ConnectionPool::stats() const {
  std::lock_guard lock(mutex_);
  return {open_, open_ - static_cast<int>(idle_.size()), waiting_, config_.max_conns};
}

void ConnectionPool::maintain() {
  std::vector<std::unique_ptr<pqxx::connection>> retired;
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    // Front to back is longest idle first. Idleness only retires connections above
    // min_conns; age and breakage retire any (top-up below replaces them).
    for (auto it = idle_.begin(); it != idle_.end();) {
      const int remaining = open_ - static_cast<int>(retired.size());
      if (now - it->created >= config_.max_conn_lifetime || !it->conn->is_open() ||
          (now - it->idle_since >= config_.max_conn_idle_time && remaining > config_.min_conns)) {
        retired.push_back(std::move(it->conn));
        it = idle_.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (!retired.empty()) {
    const int closed = static_cast<int>(retired.size());
    retired.clear();  // close outside the lock
    std::lock_guard lock(mutex_);
    open_ -= closed;
    available_.notify_all();
  }
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (open_ >= config_.min_conns) return;
      ++open_;
    }
    try {
      auto conn = connect_until(config_.url, Clock::now() + config_.acquire_timeout,
                                config_.acquire_timeout);
      const auto now = Clock::now();
      std::lock_guard lock(mutex_);
      idle_.push_back(Idle{std::move(conn), now, now});
    } catch (...) {
      std::lock_guard lock(mutex_);
      --open_;
      available_.notify_one();
      throw;
    }
    available_.notify_one();
  }
}

}  // namespace daap::worker
