// Settings of daap-worker and daapctl: flags with environment-variable fallbacks.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

namespace daap::worker {

// A setting that is missing or wrong. what() is one line naming the setting (flag and
// environment name) and what is wrong with it. Mains print it and exit with status 2.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& setting, const std::string& problem);
  std::string setting;
};

// The platform database ADR's settings, shared by every binary.
struct DatabaseConfig {
  std::string url;  // DATABASE_URL; may hold a password: print only redact_url(url)
  int max_conns = 25;
  int min_conns = 5;
  std::chrono::seconds max_conn_lifetime = std::chrono::hours(1);
  std::chrono::seconds max_conn_idle_time = std::chrono::minutes(30);
};

// Parses "90s", "30m", "1h", "500ms", "1h30m" (a bare number is seconds). Throws
// std::invalid_argument with a message saying what is accepted.
std::chrono::milliseconds parse_duration(const std::string& text);

// Formats a duration the way parse_duration reads it ("1h", "30m", "90s", "250ms").
std::string format_duration(std::chrono::milliseconds d);

// The URL with any password replaced by "***" (also for key=value connection strings).
std::string redact_url(const std::string& url);

// Declares --database-url, --db-max-conns, --db-min-conns, --db-max-conn-lifetime,
// --db-max-conn-idle-time on `options` (help text names the environment variable and default).
void add_database_options(boost::program_options::options_description& options);
// Declares --database-url alone: for programs that open one connection, not a pool (daapctl).
void add_database_url_option(boost::program_options::options_description& options);

// Reads parsed options plus the environment into `out`: a flag beats its environment variable,
// which beats the default. `environment` maps an env name to its value (std::getenv by default).
// Throws ConfigError.
using Environment = std::optional<std::string> (*)(const std::string& name);
std::optional<std::string> process_environment(const std::string& name);

// Helper for every setting: flag value if given, else environment, else nullopt.
std::optional<std::string> lookup_setting(const boost::program_options::variables_map& vm,
                                          const std::string& flag, const std::string& env_name,
                                          Environment environment = process_environment);

DatabaseConfig read_database_config(const boost::program_options::variables_map& vm,
                                    Environment environment = process_environment);
// --database-url / DATABASE_URL alone, validated: for programs that open one connection, not a
// pool (daapctl), which therefore never read the DB_* pool settings. Throws ConfigError.
std::string read_database_url(const boost::program_options::variables_map& vm,
                              Environment environment = process_environment);

// Typed readers over lookup_setting, throwing ConfigError naming "--flag / ENV".
int read_int_setting(const boost::program_options::variables_map& vm, const std::string& flag,
                     const std::string& env_name, int default_value, int min_value,
                     int max_value, Environment environment = process_environment);
std::chrono::milliseconds read_duration_setting(const boost::program_options::variables_map& vm,
                                                const std::string& flag,
                                                const std::string& env_name,
                                                std::chrono::milliseconds default_value,
                                                Environment environment = process_environment);
bool read_bool_setting(const boost::program_options::variables_map& vm, const std::string& flag,
                       const std::string& env_name, bool default_value,
                       Environment environment = process_environment);
std::string read_string_setting(const boost::program_options::variables_map& vm,
                                const std::string& flag, const std::string& env_name,
                                const std::string& default_value,
                                Environment environment = process_environment);

}  // namespace daap::worker
