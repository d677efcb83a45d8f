// Settings of daap-worker: every flag with its environment variable and default.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "worker/config.h"

namespace daap::worker {

enum class LogFormat { text, json };

// Where the HTTP endpoint listens (HTTP_ADDR "host:port"; "off" or empty disables it).
struct HttpAddress {
  bool enabled = true;
  std::string host = "0.0.0.0";
  int port = 8080;
};

// Connections the worker's pool needs besides one per job slot: claiming, grouped completions,
// heartbeats, maintenance and /readyz.
inline constexpr int kOwnConnections = 5;

struct WorkerConfig {
  DatabaseConfig database;
  int concurrency = 10;
  int prefetch = 1000;  // jobs claimed ahead of the executors, at most
  std::vector<std::string> queues = {"default"};
  std::chrono::milliseconds poll_interval = std::chrono::seconds(1);
  std::chrono::milliseconds lease_duration = std::chrono::seconds(30);
  std::chrono::milliseconds shutdown_timeout = std::chrono::seconds(30);
  HttpAddress http;
  std::string log_level = "info";
  LogFormat log_format = LogFormat::text;
  bool poll_only = false;  // no LISTEN, no named prepared statements (PgBouncer transaction mode)
  std::string worker_id;   // "<hostname>-<pid>-<random>" unless given
  std::chrono::milliseconds succeeded_retention{};  // defaults: queue/maintenance.h
  std::chrono::milliseconds failed_retention{};
  std::string migrations_dir;             // to know the latest migration for /readyz
  std::string provisioner = "postgres";   // PROVISIONER: postgres or cnpg
  std::string provision_database_url;     // where `postgres` provisions; DATABASE_URL if unset
  std::string secrets_dir = "./secrets";  // where `postgres` writes <secret_name>.json
  // `postgres`: how long connecting to the target, and each statement there, may take.
  std::chrono::milliseconds provision_connect_timeout = std::chrono::seconds(10);
  std::chrono::milliseconds provision_statement_timeout = std::chrono::seconds(60);
  int cnpg_instances = 1;                 // `cnpg`: PostgreSQL instances per Cluster
  std::string cnpg_storage_size = "1Gi";  // `cnpg`: each instance's volume
  std::string cnpg_image;                 // `cnpg`: PostgreSQL image; operator's default if empty
  std::string kubectl = "kubectl";        // `cnpg`: the kubectl binary (PATH lookup)
  // `cnpg`: kubectl's --request-timeout on every call.
  std::chrono::milliseconds kubectl_request_timeout = std::chrono::seconds(30);
};

// Declares every daap-worker flag (database flags included) on `options`.
void add_worker_options(boost::program_options::options_description& options);

// Reads and validates the settings (flag, then environment, then default). Throws ConfigError.
WorkerConfig read_worker_config(const boost::program_options::variables_map& vm,
                                Environment environment = process_environment);

// "<hostname>-<pid>-<6 random hex digits>": unique per process start.
std::string default_worker_id();

// Parses "host:port", ":port" or "off"/"" (disabled). Throws std::invalid_argument.
HttpAddress parse_http_address(const std::string& text);

// The settings as log fields for the startup line, the database URL redacted.
nlohmann::json describe(const WorkerConfig& config);

}  // namespace daap::worker
