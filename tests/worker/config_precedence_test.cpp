// README, Configuration: "Every setting is a flag and an environment variable; a flag beats the
// environment, which beats the default." One row per setting of the README's table, read through
// read_worker_config as daap-worker reads it.
#include <unistd.h>

#include <functional>
#include <map>
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "worker/worker_config.h"

namespace daap::worker {
namespace {

namespace po = boost::program_options;

std::map<std::string, std::string> fake_env;

std::optional<std::string> from_fake_env(const std::string& name) {
  const auto it = fake_env.find(name);
  if (it == fake_env.end()) return std::nullopt;
  return it->second;
}

WorkerConfig read(const std::vector<std::string>& args) {
  po::options_description options;
  add_worker_options(options);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).run(), vm);
  po::notify(vm);
  return read_worker_config(vm, from_fake_env);
}

std::string ms(std::chrono::milliseconds d) { return format_duration(d); }

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

// A setting: its flag and variable, the README's default, a value for the environment and a
// different one for the flag, and how the parsed configuration shows it (as the value's text).
struct Setting {
  std::string flag;
  std::string env;
  std::string dflt;
  std::string env_value;
  std::string flag_value;
  std::function<std::string(const WorkerConfig&)> shown;
};

// Failure messages name the setting, not the struct's bytes.
void PrintTo(const Setting& s, std::ostream* os) { *os << s.env; }

const std::string kUrl = "postgres://daap@localhost/daap";

std::vector<Setting> readme_settings() {
  return {
      {"database-url", "DATABASE_URL", kUrl, "postgres://env@db/daap", "postgres://flag@db/daap",
       [](const WorkerConfig& c) { return c.database.url; }},
      {"db-max-conns", "DB_MAX_CONNS", "25", "40", "50",
       [](const WorkerConfig& c) { return std::to_string(c.database.max_conns); }},
      {"db-min-conns", "DB_MIN_CONNS", "5", "2", "3",
       [](const WorkerConfig& c) { return std::to_string(c.database.min_conns); }},
      {"db-max-conn-lifetime", "DB_MAX_CONN_LIFETIME", "1h", "2h", "3h",
       [](const WorkerConfig& c) { return ms(c.database.max_conn_lifetime); }},
      {"db-max-conn-idle-time", "DB_MAX_CONN_IDLE_TIME", "30m", "10m", "20m",
       [](const WorkerConfig& c) { return ms(c.database.max_conn_idle_time); }},
      {"concurrency", "CONCURRENCY", "10", "12", "15",
       [](const WorkerConfig& c) { return std::to_string(c.concurrency); }},
      {"prefetch", "PREFETCH", "1000", "0", "500",
       [](const WorkerConfig& c) { return std::to_string(c.prefetch); }},
      {"queues", "QUEUES", "default", "a,b", "c",
       [](const WorkerConfig& c) { return joined(c.queues); }},
      {"poll-interval", "POLL_INTERVAL", "1s", "250ms", "5s",
       [](const WorkerConfig& c) { return ms(c.poll_interval); }},
      {"lease-duration", "LEASE_DURATION", "30s", "10s", "2m",
       [](const WorkerConfig& c) { return ms(c.lease_duration); }},
      {"shutdown-timeout", "SHUTDOWN_TIMEOUT", "30s", "45s", "90s",
       [](const WorkerConfig& c) { return ms(c.shutdown_timeout); }},
      {"http-addr", "HTTP_ADDR", "0.0.0.0:8080", "127.0.0.1:9000", "off",
       [](const WorkerConfig& c) {
         return c.http.enabled ? c.http.host + ":" + std::to_string(c.http.port) : "off";
       }},
      {"log-level", "LOG_LEVEL", "info", "warn", "debug",
       [](const WorkerConfig& c) { return c.log_level; }},
      {"log-format", "LOG_FORMAT", "text", "json", "text",
       [](const WorkerConfig& c) {
         return std::string(c.log_format == LogFormat::json ? "json" : "text");
       }},
      {"poll-only", "POLL_ONLY", "false", "true", "false",
       [](const WorkerConfig& c) { return std::string(c.poll_only ? "true" : "false"); }},
      // The default, "<hostname>-<pid>-<random>", is checked by its own test below.
      {"worker-id", "WORKER_ID", "", "env-worker", "flag-worker",
       [](const WorkerConfig& c) { return c.worker_id; }},
      {"succeeded-retention", "SUCCEEDED_RETENTION", "24h", "1h", "2h",
       [](const WorkerConfig& c) { return ms(c.succeeded_retention); }},
      {"failed-retention", "FAILED_RETENTION", "168h", "3h", "4h",
       [](const WorkerConfig& c) { return ms(c.failed_retention); }},
      {"migrations-dir", "MIGRATIONS_DIR", DAAP_MIGRATIONS_DIR, "/env/migrations",
       "/flag/migrations", [](const WorkerConfig& c) { return c.migrations_dir; }},
      {"provisioner", "PROVISIONER", "postgres", "cnpg", "postgres",
       [](const WorkerConfig& c) { return c.provisioner; }},
      // Its default is DATABASE_URL's value.
      {"provision-database-url", "PROVISION_DATABASE_URL", kUrl, "postgres://env@target/x",
       "postgres://flag@target/x", [](const WorkerConfig& c) { return c.provision_database_url; }},
      {"secrets-dir", "SECRETS_DIR", "./secrets", "/env/secrets", "/flag/secrets",
       [](const WorkerConfig& c) { return c.secrets_dir; }},
      {"provision-connect-timeout", "PROVISION_CONNECT_TIMEOUT", "10s", "3s", "4s",
       [](const WorkerConfig& c) { return ms(c.provision_connect_timeout); }},
      {"provision-statement-timeout", "PROVISION_STATEMENT_TIMEOUT", "1m", "5s", "6s",
       [](const WorkerConfig& c) { return ms(c.provision_statement_timeout); }},
      {"cnpg-instances", "CNPG_INSTANCES", "1", "3", "5",
       [](const WorkerConfig& c) { return std::to_string(c.cnpg_instances); }},
      {"cnpg-storage-size", "CNPG_STORAGE_SIZE", "1Gi", "5Gi", "500Mi",
       [](const WorkerConfig& c) { return c.cnpg_storage_size; }},
      {"cnpg-image", "CNPG_IMAGE", "", "env/postgres:16", "flag/postgres:16",
       [](const WorkerConfig& c) { return c.cnpg_image; }},
      {"kubectl", "KUBECTL", "kubectl", "/env/kubectl", "/flag/kubectl",
       [](const WorkerConfig& c) { return c.kubectl; }},
      {"kubectl-request-timeout", "KUBECTL_REQUEST_TIMEOUT", "30s", "7s", "8s",
       [](const WorkerConfig& c) { return ms(c.kubectl_request_timeout); }},
  };
}

class ConfigPrecedence : public ::testing::TestWithParam<Setting> {
 protected:
  void SetUp() override { fake_env = {{"DATABASE_URL", kUrl}}; }
  void TearDown() override { fake_env.clear(); }
};

TEST_P(ConfigPrecedence, FlagBeatsEnvironmentWhichBeatsTheReadmeDefault) {
  const auto& s = GetParam();
  if (s.env != "WORKER_ID") {
    EXPECT_EQ(s.shown(read({})), s.dflt) << "default of " << s.env;
  }
  fake_env[s.env] = s.env_value;
  EXPECT_EQ(s.shown(read({})), s.env_value) << s.env << " over the default";
  EXPECT_EQ(s.shown(read({"--" + s.flag + "=" + s.flag_value})), s.flag_value)
      << "--" << s.flag << " over " << s.env;
}

INSTANTIATE_TEST_SUITE_P(EveryReadmeSetting, ConfigPrecedence,
                         ::testing::ValuesIn(readme_settings()),
                         [](const ::testing::TestParamInfo<Setting>& info) {
                           std::string name = info.param.env;
                           for (auto& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

TEST(ConfigPrecedenceReadme, EverySettingOfTheHelpIsInTheTable) {
  po::options_description options;
  add_worker_options(options);
  std::set<std::string> tested;
  for (const auto& s : readme_settings()) tested.insert(s.flag);
  for (const auto& option : options.options()) {
    EXPECT_TRUE(tested.count(option->long_name()) == 1)
        << "--" << option->long_name() << " has no row in the precedence table";
  }
  EXPECT_EQ(tested.size(), options.options().size());
}

TEST(ConfigPrecedenceReadme, DefaultWorkerIdIsHostnamePidAndARandomSuffix) {
  fake_env = {{"DATABASE_URL", kUrl}};
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  const auto first = read({}).worker_id;
  const auto second = read({}).worker_id;
  const std::regex format(
      std::regex_replace(std::string(host), std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") + "-" +
      std::to_string(::getpid()) + "-[0-9a-f]{1,6}");
  EXPECT_TRUE(std::regex_match(first, format)) << first;
  EXPECT_NE(first, second) << "the random part tells two starts of one pid apart";
  fake_env.clear();
}

}  // namespace
}  // namespace daap::worker
