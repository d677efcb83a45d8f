// The worker's HTTP endpoint (cpp-httplib, its own thread): /healthz, /readyz, /metrics.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <pqxx/pqxx>

#include "worker/metrics.h"
#include "worker/pool.h"
#include "worker/worker_config.h"

namespace httplib {
class Server;
}

namespace daap::worker {

// Why the database is not ready for this worker (schema_migrations behind `latest_version`
// or dirty), or nullopt when it is.
std::optional<std::string> schema_not_ready(pqxx::transaction_base& tx,
                                            std::int64_t latest_version);

// How long /metrics reuses its database snapshot: however often the leader is scraped, it
// counts at most once per this.
inline constexpr std::chrono::seconds kDatabaseCountsTtl{5};

// The server's version and, with `count` (the maintenance leader), jobs per queue and state and
// database records per status, read with a statement timeout.
DatabaseSnapshot read_database_snapshot(pqxx::connection& conn, bool count);

class HttpServer {
 public:
  // `stopping` makes /readyz answer 503 while the worker drains.
  HttpServer(HttpAddress address, ConnectionPool& pool, Metrics& metrics,
             std::int64_t latest_migration, std::function<bool()> stopping);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds (throws std::runtime_error naming the address if it cannot) and serves on a thread.
  void start();
  void stop();

 private:
  HttpAddress address_;
  ConnectionPool& pool_;
  Metrics& metrics_;
  std::int64_t latest_migration_;
  std::function<bool()> stopping_;
  // One database probe at a time: the pool reserves a single connection for this endpoint.
  std::mutex db_mutex_;
  // The last snapshot /metrics read, and when (guarded by db_mutex_). A replica counts only
  // while it leads maintenance, so the table-wide gauges come from one replica at a time.
  std::optional<DatabaseSnapshot> snapshot_;
  std::chrono::steady_clock::time_point snapshot_at_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace daap::worker
