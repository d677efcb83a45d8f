#include "worker/worker_config.h"

#include <unistd.h>

#include <array>
#include <charconv>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "queue/maintenance.h"

namespace po = boost::program_options;

namespace daap::worker {
namespace {

using std::chrono::milliseconds;

constexpr int kMaxConcurrency = 1000;

std::string setting(const std::string& flag, const std::string& env) {
  return "--" + flag + " / " + env;
}

std::string help(const std::string& what, const std::string& env, const std::string& dflt) {
  return what + " (env " + env + ", default " + dflt + ")";
}

std::vector<std::string> split_queues(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto first = item.find_first_not_of(" \t");
    const auto last = item.find_last_not_of(" \t");
    if (first == std::string::npos) {
      throw ConfigError(setting("queues", "QUEUES"),
                        "must be a comma-separated list of queue names without empty entries, "
                        "got '" +
                            text + "'");
    }
    out.push_back(item.substr(first, last - first + 1));
  }
  if (out.empty() || text.back() == ',') {
    throw ConfigError(setting("queues", "QUEUES"),
                      "must be a comma-separated list of queue names without empty entries, "
                      "got '" +
                          text + "'");
  }
  return out;
}

milliseconds positive_duration(const po::variables_map& vm, const std::string& flag,
                               const std::string& env, milliseconds dflt, milliseconds min,
                               Environment environment) {
  const auto value = read_duration_setting(vm, flag, env, dflt, environment);
  if (value < min) {
    throw ConfigError(setting(flag, env), "must be at least " + format_duration(min) + ", got " +
                                              format_duration(value));
  }
  return value;
}

}  // namespace

void add_worker_options(po::options_description& options) {
  const WorkerConfig d;
  const auto value = [](const char* name) { return po::value<std::string>()->value_name(name); };
  options.add_options()(
      "concurrency", value("N"),
      help("jobs run at once (threads)", "CONCURRENCY", std::to_string(d.concurrency)).c_str())(
      "prefetch", value("N"),
      help("at most this many jobs claimed ahead of the executors (claims size themselves to "
           "about 50 ms of work; 0: only as many as executors are idle)",
           "PREFETCH", std::to_string(d.prefetch))
          .c_str())(
      "queues", value("LIST"),
      help("comma-separated queues to take jobs from", "QUEUES", "default").c_str())(
      "poll-interval", value("DURATION"),
      help("how often to look for jobs when no notification came", "POLL_INTERVAL",
           format_duration(d.poll_interval))
          .c_str())(
      "lease-duration", value("DURATION"),
      help("how long a claimed job is held without a heartbeat (heartbeat every third of it)",
           "LEASE_DURATION", format_duration(d.lease_duration))
          .c_str())(
      "shutdown-timeout", value("DURATION"),
      help("on SIGTERM/SIGINT, how long running jobs may finish before they are released",
           "SHUTDOWN_TIMEOUT", format_duration(d.shutdown_timeout))
          .c_str())("http-addr", value("HOST:PORT"),
                    help("/healthz, /readyz and /metrics listen address; 'off' or empty disables",
                         "HTTP_ADDR", "0.0.0.0:8080")
                        .c_str())(
      "log-level", value("LEVEL"),
      help("trace, debug, info, warn, error or off", "LOG_LEVEL", d.log_level).c_str())(
      "log-format", value("FORMAT"),
      help("text or json (one object per line)", "LOG_FORMAT", "text").c_str())(
      "poll-only", po::value<std::string>()->value_name("BOOL")->implicit_value("true"),
      help("no LISTEN/NOTIFY and no named prepared statements (for PgBouncer transaction "
           "pooling): poll only",
           "POLL_ONLY", "false")
          .c_str())("worker-id", value("ID"),
                    help("this process's id in daap.workers and jobs.locked_by", "WORKER_ID",
                         "<hostname>-<pid>-<random>")
                        .c_str())(
      "succeeded-retention", value("DURATION"),
      help("delete succeeded jobs this long after they finished", "SUCCEEDED_RETENTION",
           format_duration(queue::kSucceededRetentionDefault))
          .c_str())("failed-retention", value("DURATION"),
                    help("delete failed and cancelled jobs this long after they finished",
                         "FAILED_RETENTION", format_duration(queue::kFailedRetentionDefault))
                        .c_str())(
      "migrations-dir", value("DIR"),
      help("migration files; /readyz wants the database at the latest one", "MIGRATIONS_DIR",
           "the source tree's migrations/")
          .c_str())(
      "provisioner", value("NAME"),
      help("how databases are made real: postgres or cnpg (CloudNativePG through kubectl)",
           "PROVISIONER", d.provisioner)
          .c_str())(
      "provision-database-url", value("URL"),
      help("PostgreSQL server where the postgres provisioner creates roles and databases",
           "PROVISION_DATABASE_URL", "DATABASE_URL")
          .c_str())("secrets-dir", value("DIR"),
                    help("where the postgres provisioner writes credentials (<secret>.json, 0600)",
                         "SECRETS_DIR", d.secrets_dir)
                        .c_str())(
      "provision-connect-timeout", value("DURATION"),
      help("postgres provisioner: how long connecting to the target may take",
           "PROVISION_CONNECT_TIMEOUT", format_duration(d.provision_connect_timeout))
          .c_str())(
      "provision-statement-timeout", value("DURATION"),
      help("postgres provisioner: how long one statement on the target may run",
           "PROVISION_STATEMENT_TIMEOUT", format_duration(d.provision_statement_timeout))
          .c_str())(
      "cnpg-instances", value("N"),
      help("cnpg: PostgreSQL instances per Cluster", "CNPG_INSTANCES",
           std::to_string(d.cnpg_instances))
          .c_str())(
      "cnpg-storage-size", value("SIZE"),
      help("cnpg: storage of each instance (a Kubernetes quantity)", "CNPG_STORAGE_SIZE",
           d.cnpg_storage_size)
          .c_str())(
      "cnpg-image", value("IMAGE"),
      help("cnpg: PostgreSQL image of the Cluster", "CNPG_IMAGE", "the operator's default")
          .c_str())("kubectl", value("PATH"),
                    help("cnpg: the kubectl binary", "KUBECTL", d.kubectl).c_str())(
      "kubectl-request-timeout", value("DURATION"),
      help("cnpg: kubectl's --request-timeout on every call", "KUBECTL_REQUEST_TIMEOUT",
           format_duration(d.kubectl_request_timeout))
          .c_str());
  add_database_options(options);
}

HttpAddress parse_http_address(const std::string& text) {
  HttpAddress out;
  if (text.empty() || text == "off") {
    out.enabled = false;
    return out;
  }
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) {
    throw std::invalid_argument("must be HOST:PORT (e.g. 0.0.0.0:8080 or :8080) or 'off', got '" +
                                text + "'");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port = text.substr(colon + 1);
  int number = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (port.empty() || error != std::errc() || end != port.data() + port.size() || number < 1 ||
      number > 65535) {
    throw std::invalid_argument("port must be a number between 1 and 65535, got '" + text + "'");
  }
  out.host = host.empty() ? "0.0.0.0" : host;
  out.port = number;
  return out;
}

std::string default_worker_id() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) host = {'w', 'o', 'r', 'k', 'e', 'r'};
  std::random_device rd;
  std::ostringstream id;
  id << host.data() << "-" << ::getpid() << "-" << std::hex << (rd() & 0xffffffU);
  return id.str();
}

WorkerConfig read_worker_config(const po::variables_map& vm, Environment environment) {
  WorkerConfig c;
  c.database = read_database_config(vm, environment);
  c.concurrency = read_int_setting(vm, "concurrency", "CONCURRENCY", c.concurrency, 1,
                                   kMaxConcurrency, environment);
  c.prefetch = read_int_setting(vm, "prefetch", "PREFETCH", c.prefetch, 0, 10000, environment);
  c.queues = split_queues(read_string_setting(vm, "queues", "QUEUES", "default", environment));
  c.poll_interval = positive_duration(vm, "poll-interval", "POLL_INTERVAL", c.poll_interval,
                                      milliseconds(10), environment);
  c.lease_duration = positive_duration(vm, "lease-duration", "LEASE_DURATION", c.lease_duration,
                                       std::chrono::seconds(1), environment);
  c.shutdown_timeout = read_duration_setting(vm, "shutdown-timeout", "SHUTDOWN_TIMEOUT",
                                             c.shutdown_timeout, environment);
  // HTTP_ADDR= (empty) disables, so read it without lookup_setting's "empty is unset" rule.
  std::string http = "0.0.0.0:8080";
  if (const auto it = vm.find("http-addr"); it != vm.end() && !it->second.defaulted()) {
    http = it->second.as<std::string>();
  } else if (environment != nullptr) {
    if (const auto env = environment("HTTP_ADDR")) http = *env;
  }
  try {
    c.http = parse_http_address(http);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(setting("http-addr", "HTTP_ADDR"), e.what());
  }
  c.log_level = read_string_setting(vm, "log-level", "LOG_LEVEL", c.log_level, environment);
  if (c.log_level != "trace" && c.log_level != "debug" && c.log_level != "info" &&
      c.log_level != "warn" && c.log_level != "error" && c.log_level != "off") {
    throw ConfigError(setting("log-level", "LOG_LEVEL"),
                      "must be trace, debug, info, warn, error or off, got '" + c.log_level + "'");
  }
  const auto format = read_string_setting(vm, "log-format", "LOG_FORMAT", "text", environment);
  if (format != "text" && format != "json") {
    throw ConfigError(setting("log-format", "LOG_FORMAT"),
                      "must be text or json, got '" + format + "'");
  }
  c.log_format = format == "json" ? LogFormat::json : LogFormat::text;
  c.poll_only = read_bool_setting(vm, "poll-only", "POLL_ONLY", false, environment);
  c.worker_id = read_string_setting(vm, "worker-id", "WORKER_ID", "", environment);
  if (c.worker_id.empty()) c.worker_id = default_worker_id();
  if (c.worker_id.size() > 200) {
    throw ConfigError(setting("worker-id", "WORKER_ID"), "must be at most 200 characters");
  }
  c.succeeded_retention = read_duration_setting(vm, "succeeded-retention", "SUCCEEDED_RETENTION",
                                                queue::kSucceededRetentionDefault, environment);
  c.failed_retention = read_duration_setting(vm, "failed-retention", "FAILED_RETENTION",
                                             queue::kFailedRetentionDefault, environment);
  c.migrations_dir =
      read_string_setting(vm, "migrations-dir", "MIGRATIONS_DIR", DAAP_MIGRATIONS_DIR, environment);
  c.provisioner = read_string_setting(vm, "provisioner", "PROVISIONER", c.provisioner, environment);
  if (c.provisioner != "postgres" && c.provisioner != "cnpg") {
    throw ConfigError(setting("provisioner", "PROVISIONER"),
                      "must be postgres or cnpg, got '" + c.provisioner + "'");
  }
  c.provision_database_url = read_string_setting(
      vm, "provision-database-url", "PROVISION_DATABASE_URL", c.database.url, environment);
  c.secrets_dir = read_string_setting(vm, "secrets-dir", "SECRETS_DIR", c.secrets_dir, environment);
  if (c.secrets_dir.empty()) {
    throw ConfigError(setting("secrets-dir", "SECRETS_DIR"), "must not be empty");
  }
  c.provision_connect_timeout =
      positive_duration(vm, "provision-connect-timeout", "PROVISION_CONNECT_TIMEOUT",
                        c.provision_connect_timeout, std::chrono::seconds(1), environment);
  c.provision_statement_timeout =
      positive_duration(vm, "provision-statement-timeout", "PROVISION_STATEMENT_TIMEOUT",
                        c.provision_statement_timeout, std::chrono::seconds(1), environment);
  c.cnpg_instances = read_int_setting(vm, "cnpg-instances", "CNPG_INSTANCES", c.cnpg_instances,
                                      1, 99, environment);
  c.cnpg_storage_size = read_string_setting(vm, "cnpg-storage-size", "CNPG_STORAGE_SIZE",
                                            c.cnpg_storage_size, environment);
  static const std::regex quantity(R"(^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$)");
  if (!std::regex_match(c.cnpg_storage_size, quantity)) {
    throw ConfigError(setting("cnpg-storage-size", "CNPG_STORAGE_SIZE"),
                      "must be a Kubernetes quantity such as 1Gi or 500Mi, got '" +
                          c.cnpg_storage_size + "'");
  }
  c.cnpg_image = read_string_setting(vm, "cnpg-image", "CNPG_IMAGE", c.cnpg_image, environment);
  c.kubectl = read_string_setting(vm, "kubectl", "KUBECTL", c.kubectl, environment);
  if (c.kubectl.empty()) throw ConfigError(setting("kubectl", "KUBECTL"), "must not be empty");
  c.kubectl_request_timeout =
      positive_duration(vm, "kubectl-request-timeout", "KUBECTL_REQUEST_TIMEOUT",
                        c.kubectl_request_timeout, std::chrono::seconds(1), environment);

  const int needed = c.concurrency + kOwnConnections;
  if (c.database.max_conns < needed) {
    throw ConfigError(setting("db-max-conns", "DB_MAX_CONNS"),
                      "--concurrency " + std::to_string(c.concurrency) + " needs at least " +
                          std::to_string(needed) + " (" + std::to_string(c.concurrency) +
                          " job slots + " + std::to_string(kOwnConnections) +
                          " for claiming, completions, heartbeats, maintenance and /readyz), got " +
                          std::to_string(c.database.max_conns));
  }
  return c;
}

nlohmann::json describe(const WorkerConfig& c) {
  return {
      {"worker_id", c.worker_id},
      {"database_url", redact_url(c.database.url)},
      {"db_max_conns", c.database.max_conns},
      {"db_min_conns", c.database.min_conns},
      {"concurrency", c.concurrency},
      {"prefetch", c.prefetch},
      {"queues", c.queues},
      {"poll_interval", format_duration(c.poll_interval)},
      {"lease_duration", format_duration(c.lease_duration)},
      {"shutdown_timeout", format_duration(c.shutdown_timeout)},
      {"http_addr",
       c.http.enabled ? c.http.host + ":" + std::to_string(c.http.port) : std::string("off")},
      {"log_level", c.log_level},
      {"log_format", c.log_format == LogFormat::json ? "json" : "text"},
      {"poll_only", c.poll_only},
      {"succeeded_retention", format_duration(c.succeeded_retention)},
      {"failed_retention", format_duration(c.failed_retention)},
      {"provisioner", c.provisioner},
      {"provision_database_url", redact_url(c.provision_database_url)},
      {"secrets_dir", c.secrets_dir},
      {"provision_connect_timeout", format_duration(c.provision_connect_timeout)},
      {"provision_statement_timeout", format_duration(c.provision_statement_timeout)},
      {"kubectl_request_timeout", format_duration(c.kubectl_request_timeout)},
  };
}

}  // namespace daap::worker
