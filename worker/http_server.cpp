#include "worker/http_server.h"

#include <httplib.h>

#include "queue/job_counts.h"
#include "schema/database_repository.h"
#include "worker/logging.h"

namespace daap::worker {
namespace {

// Probes must answer quickly even when the database does not.
constexpr const char* kProbeTimeout = "SET LOCAL statement_timeout = 2000";
// The counts walk the live jobs' indexes: generous, since they run at most once per
// kDatabaseCountsTtl, on the maintenance leader only.
constexpr const char* kCountTimeout = "SET LOCAL statement_timeout = 5000";

}  // namespace

std::optional<std::string> schema_not_ready(pqxx::transaction_base& tx,
                                            std::int64_t latest_version) {
  if (!tx.query_value<bool>("SELECT to_regclass('public.schema_migrations') IS NOT NULL")) {
    return "no public.schema_migrations table: run the migrations (daapctl migrate up)";
  }
  const auto rows = tx.query<std::int64_t, bool>(
      "SELECT version, dirty FROM public.schema_migrations ORDER BY version DESC LIMIT 1");
  for (const auto& [version, dirty] : rows) {
    if (dirty) {
      return "schema is dirty at version " + std::to_string(version) +
             " (a migration failed; fix it and daapctl migrate force)";
    }
    if (version < latest_version) {
      return "schema at version " + std::to_string(version) + ", latest migration is " +
             std::to_string(latest_version) + " (run daapctl migrate up)";
    }
    return std::nullopt;  // newer than this binary's files is fine during a rollout
  }
  return "no migration applied; latest is " + std::to_string(latest_version);
}

DatabaseSnapshot read_database_snapshot(pqxx::connection& conn, bool count) {
  DatabaseSnapshot out;
  const int v = conn.server_version();  // 150004
  out.server_version = std::to_string(v / 10000) + "." + std::to_string(v % 10000);
  out.counted = count;
  if (!count) {
    out.ok = true;
    return out;
  }
  pqxx::read_transaction tx(conn);
  tx.exec(kCountTimeout);
  out.jobs = queue::count_jobs(tx);
  out.databases = schema::count_by_status(tx);
  out.ok = true;
  return out;
}

HttpServer::HttpServer(HttpAddress address, ConnectionPool& pool, Metrics& metrics,
                       std::int64_t latest_migration, std::function<bool()> stopping)
    : address_(std::move(address)),
      pool_(pool),
      metrics_(metrics),
      latest_migration_(latest_migration),
      stopping_(std::move(stopping)) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  server_ = std::make_unique<httplib::Server>();
  auto& server = *server_;
  server.new_task_queue = [] { return new httplib::ThreadPool(2); };
  server.set_read_timeout(std::chrono::seconds(5));
  server.set_write_timeout(std::chrono::seconds(5));

  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    std::optional<std::string> reason;
    if (stopping_()) {
      reason = "shutting down";
    } else {
      try {
        std::lock_guard lock(db_mutex_);
        auto conn = pool_.acquire();
        pqxx::read_transaction tx(*conn);
        tx.exec(kProbeTimeout);
        reason = schema_not_ready(tx, latest_migration_);
      } catch (const std::exception& e) {
        reason = "database unreachable: " + redact_url(e.what());
      }
    }
    if (reason) {
      res.status = 503;
      res.set_content("not ready: " + *reason + "\n", "text/plain");
    } else {
      res.set_content("ready\n", "text/plain");
    }
  });
  server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    DatabaseSnapshot snapshot;
    {
      std::lock_guard lock(db_mutex_);
      const auto now = std::chrono::steady_clock::now();
      const bool leading = metrics_.maintenance_leader();
      if (!snapshot_ || now - snapshot_at_ >= kDatabaseCountsTtl ||
          snapshot_->counted != leading) {
        DatabaseSnapshot fresh;
        fresh.server_version = "unreachable";
        fresh.counted = leading;
        try {
          auto conn = pool_.acquire();
          fresh = read_database_snapshot(*conn, leading);
        } catch (const std::exception& e) {
          fresh.ok = false;
          log(spdlog::level::debug, "database counts for /metrics failed",
              {{"error", redact_url(e.what())}});
        }
        snapshot_ = std::move(fresh);
        snapshot_at_ = now;
      }
      snapshot = *snapshot_;
    }
    res.set_content(metrics_.render(snapshot, pool_.stats()), "text/plain; version=0.0.4");
  });

  if (!server.bind_to_port(address_.host, address_.port)) {
    throw std::runtime_error("cannot listen on " + address_.host + ":" +
                             std::to_string(address_.port) + " (--http-addr / HTTP_ADDR)");
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  log(spdlog::level::info, "http listening",
      {{"addr", address_.host + ":" + std::to_string(address_.port)},
       {"paths", {"/healthz", "/readyz", "/metrics"}}});
}

void HttpServer::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace daap::worker
