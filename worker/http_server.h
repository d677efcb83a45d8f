// The worker's HTTP endpoint (cpp-httplib, its own thread): /healthz, /readyz, /metrics.
#pragma once

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

// Jobs per (queue, state), with a short statement timeout.
std::vector<StateCount> count_jobs_by_state(pqxx::transaction_base& tx);

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
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace daap::worker
