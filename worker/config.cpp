#include "worker/config.h"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace po = boost::program_options;

namespace daap::worker {
namespace {

using std::chrono::milliseconds;

constexpr std::int64_t kMaxDurationMs = std::int64_t{100000} * 3600 * 1000;  // 100000h
constexpr int kMaxConnsLimit = 1000;

std::string setting_name(const std::string& flag, const std::string& env_name) {
  return "--" + flag + " / " + env_name;
}

// 'value' for a one-line message: control characters are escaped so a value cannot break
// the line.
std::string quoted(const std::string& value) {
  std::string out = "'";
  for (const char c : value) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (std::iscntrl(static_cast<unsigned char>(c)) != 0) {
      out += '?';
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

bool iequals_at(const std::string& text, std::size_t pos, std::string_view word) {
  if (pos + word.size() > text.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[pos + i])) != word[i]) return false;
  }
  return true;
}

// Characters that end a URL inside a longer text (an error message, a log line).
bool ends_url(char c) { return is_space(c) || c == '"' || c == '\'' || c == '<' || c == '>'; }

// scheme://user:PASSWORD@host... -> scheme://user:***@host... for every URL in `text`.
std::string redact_userinfo(std::string text) {
  for (std::size_t mark = text.find("://"); mark != std::string::npos;
       mark = text.find("://", mark + 3)) {
    const std::size_t start = mark + 3;
    std::size_t end = start;
    while (end < text.size() && !ends_url(text[end])) ++end;
    const std::string_view token(text.data() + start, end - start);
    // The userinfo ends at the last '@' before the query; a password may hold an unencoded
    // '/', '?' or '@', so when no '@' precedes the query libpq's rule (first '@' or '/') decides.
    std::size_t at = token.substr(0, token.find('?')).rfind('@');
    if (at == std::string_view::npos) {
      const std::size_t first = token.find_first_of("@/");
      if (first != std::string_view::npos && token[first] == '@') at = first;
    }
    if (at == std::string_view::npos) continue;
    const std::size_t colon = token.substr(0, at).find(':');
    if (colon == std::string_view::npos || colon + 1 == at) continue;
    text.replace(start + colon + 1, at - colon - 1, "***");
  }
  return text;
}

// password=VALUE (key=value connection strings, URL query parameters) -> password=***.
std::string redact_password_params(std::string text) {
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    std::size_t key = pos;
    if (iequals_at(text, pos, "sslpassword")) {
      key = pos + 3;
    } else if (!iequals_at(text, pos, "password")) {
      continue;
    }
    const char before = pos == 0 ? ' ' : text[pos - 1];
    if (!is_space(before) && before != '?' && before != '&' && before != '"' && before != '\'' &&
        before != ';' && before != ',' && before != '(') {
      continue;
    }
    std::size_t value = key + 8;
    while (value < text.size() && is_space(text[value])) ++value;
    if (value == text.size() || text[value] != '=') continue;
    ++value;
    while (value < text.size() && is_space(text[value])) ++value;
    std::size_t end = value;
    if (value < text.size() && text[value] == '\'') {
      // Quoted conninfo value: backslash escapes, up to the closing quote.
      ++value;
      end = value;
      while (end < text.size() && text[end] != '\'') end += text[end] == '\\' ? 2 : 1;
      end = std::min(end, text.size());
    } else {
      const bool in_query = before == '?' || before == '&';
      while (end < text.size() && !is_space(text[end]) &&
             !(in_query && (text[end] == '&' || text[end] == '#'))) {
        ++end;
      }
    }
    if (end > value) text.replace(value, end - value, "***");
    pos = value + 2;
  }
  return text;
}

bool looks_like_conninfo(const std::string& url) {
  std::size_t i = 0;
  while (i < url.size() && is_space(url[i])) ++i;
  const std::size_t key = i;
  while (i < url.size() &&
         (std::isalnum(static_cast<unsigned char>(url[i])) != 0 || url[i] == '_')) {
    ++i;
  }
  if (i == key) return false;
  while (i < url.size() && is_space(url[i])) ++i;
  return i < url.size() && url[i] == '=';
}

void validate_database_url(const std::string& url) {
  if (url.starts_with("postgres://") || url.starts_with("postgresql://") ||
      looks_like_conninfo(url)) {
    return;
  }
  throw ConfigError(setting_name("database-url", "DATABASE_URL"),
                    "must be a postgres:// or postgresql:// URL or a key=value connection string "
                    "such as 'host=localhost dbname=daap', got " +
                        quoted(redact_url(url)));
}

// The pool's durations are whole seconds; reject what would be silently truncated.
std::chrono::seconds whole_seconds(milliseconds d, const std::string& flag,
                                   const std::string& env_name) {
  if (d < std::chrono::seconds(1) || d % std::chrono::seconds(1) != milliseconds::zero()) {
    throw ConfigError(
        setting_name(flag, env_name),
        "must be a whole number of seconds, at least 1s, got " + quoted(format_duration(d)));
  }
  return std::chrono::duration_cast<std::chrono::seconds>(d);
}

}  // namespace

ConfigError::ConfigError(const std::string& setting, const std::string& problem)
    : std::runtime_error(one_line(setting + ": " + redact_url(problem))), setting(setting) {}

milliseconds parse_duration(const std::string& text) {
  const auto invalid = [&text](const std::string& why) {
    return std::invalid_argument(why + ", got " + quoted(text));
  };
  const std::string expected = "must be a duration such as 90s, 30m, 1h, 500ms or 1h30m";
  if (text.empty()) throw invalid(expected);
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (std::isdigit(static_cast<unsigned char>(text[i])) == 0) throw invalid(expected);
    std::int64_t number = 0;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0; ++i) {
      number = number * 10 + (text[i] - '0');
      if (number > kMaxDurationMs) throw invalid("must be at most 100000h");
    }
    std::int64_t unit = 0;
    if (text.compare(i, 2, "ms") == 0) {
      unit = 1;
      i += 2;
    } else if (i < text.size() && (text[i] == 'h' || text[i] == 'm' || text[i] == 's')) {
      unit = text[i] == 'h' ? 3600000 : text[i] == 'm' ? 60000 : 1000;
      ++i;
    } else if (i == text.size() && total == 0 &&
               text.find_first_not_of("0123456789") == std::string::npos) {
      unit = 1000;  // a bare number is seconds
    } else {
      throw invalid(expected);
    }
    if (number > (kMaxDurationMs - total) / unit) throw invalid("must be at most 100000h");
    total += number * unit;
  }
  return milliseconds(total);
}

std::string format_duration(milliseconds d) {
  if (d < milliseconds::zero()) return "-" + format_duration(-d);
  const auto ms = d.count();
  if (ms == 0) return "0s";
  if (ms % 3600000 == 0) return std::to_string(ms / 3600000) + "h";
  if (ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string redact_url(const std::string& url) {
  return redact_password_params(redact_userinfo(url));
}

void add_database_url_option(po::options_description& options) {
  options.add_options()(
      "database-url", po::value<std::string>()->value_name("URL"),
      "PostgreSQL URL or key=value connection string (env DATABASE_URL, required)");
}

void add_database_options(po::options_description& options) {
  const DatabaseConfig defaults;
  const auto help = [](const std::string& what, const std::string& env, const std::string& dflt) {
    return what + " (env " + env + ", default " + dflt + ")";
  };
  const std::string max_conns =
      help("maximum pool connections", "DB_MAX_CONNS", std::to_string(defaults.max_conns));
  const std::string min_conns =
      help("connections kept open while idle", "DB_MIN_CONNS", std::to_string(defaults.min_conns));
  const std::string lifetime =
      help("close connections older than this, e.g. 90s, 30m, 1h", "DB_MAX_CONN_LIFETIME",
           format_duration(defaults.max_conn_lifetime));
  const std::string idle_time =
      help("close connections idle longer than this", "DB_MAX_CONN_IDLE_TIME",
           format_duration(defaults.max_conn_idle_time));
  // Every value is a string so that read_* can name the setting in its own error message.
  add_database_url_option(options);
  options.add_options()(
      "db-max-conns", po::value<std::string>()->value_name("N"), max_conns.c_str())(
      "db-min-conns", po::value<std::string>()->value_name("N"), min_conns.c_str())(
      "db-max-conn-lifetime", po::value<std::string>()->value_name("DURATION"), lifetime.c_str())(
      "db-max-conn-idle-time", po::value<std::string>()->value_name("DURATION"), idle_time.c_str());
}

std::optional<std::string> process_environment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::optional<std::string> lookup_setting(const po::variables_map& vm, const std::string& flag,
                                          const std::string& env_name, Environment environment) {
  if (const auto it = vm.find(flag);
      it != vm.end() && !it->second.empty() && !it->second.defaulted()) {
    const auto& value = it->second.value();
    if (const auto* text = boost::any_cast<std::string>(&value)) return *text;
    if (const auto* number = boost::any_cast<int>(&value)) return std::to_string(*number);
    if (const auto* flag_set = boost::any_cast<bool>(&value)) {
      return std::string(*flag_set ? "true" : "false");
    }
    throw std::logic_error("option --" + flag + " must be declared as a string, int or bool");
  }
  if (environment != nullptr) {
    // An empty variable counts as unset, as `FOO= daap-worker` usually means "not given".
    if (auto value = environment(env_name); value && !value->empty()) return value;
  }
  return std::nullopt;
}

int read_int_setting(const po::variables_map& vm, const std::string& flag,
                     const std::string& env_name, int default_value, int min_value, int max_value,
                     Environment environment) {
  const auto text = lookup_setting(vm, flag, env_name, environment);
  if (!text) return default_value;
  int value = 0;
  const char* end = text->data() + text->size();
  const auto [parsed_to, error] = std::from_chars(text->data(), end, value);
  const bool valid = error == std::errc() && parsed_to == end;
  if (!valid || value < min_value || value > max_value) {
    throw ConfigError(setting_name(flag, env_name),
                      "must be a whole number between " + std::to_string(min_value) + " and " +
                          std::to_string(max_value) + ", got " + quoted(*text));
  }
  return value;
}

milliseconds read_duration_setting(const po::variables_map& vm, const std::string& flag,
                                   const std::string& env_name, milliseconds default_value,
                                   Environment environment) {
  const auto text = lookup_setting(vm, flag, env_name, environment);
  if (!text) return default_value;
  try {
    return parse_duration(*text);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(setting_name(flag, env_name), e.what());
  }
}

bool read_bool_setting(const po::variables_map& vm, const std::string& flag,
                       const std::string& env_name, bool default_value, Environment environment) {
  const auto text = lookup_setting(vm, flag, env_name, environment);
  if (!text) return default_value;
  std::string lower;
  for (const char c : *text)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "0" || lower == "no" || lower == "off") return false;
  throw ConfigError(setting_name(flag, env_name),
                    "must be true or false (or 1/0, yes/no, on/off), got " + quoted(*text));
}

std::string read_string_setting(const po::variables_map& vm, const std::string& flag,
                                const std::string& env_name, const std::string& default_value,
                                Environment environment) {
  return lookup_setting(vm, flag, env_name, environment).value_or(default_value);
}

std::string read_database_url(const po::variables_map& vm, Environment environment) {
  const auto url = lookup_setting(vm, "database-url", "DATABASE_URL", environment);
  if (!url) {
    throw ConfigError(setting_name("database-url", "DATABASE_URL"),
                      "is required (e.g. postgres://user:password@localhost:5432/daap)");
  }
  validate_database_url(*url);
  return *url;
}

DatabaseConfig read_database_config(const po::variables_map& vm, Environment environment) {
  DatabaseConfig config;
  config.url = read_database_url(vm, environment);

  config.max_conns = read_int_setting(vm, "db-max-conns", "DB_MAX_CONNS", config.max_conns, 1,
                                      kMaxConnsLimit, environment);
  const bool min_given =
      lookup_setting(vm, "db-min-conns", "DB_MIN_CONNS", environment).has_value();
  config.min_conns = read_int_setting(vm, "db-min-conns", "DB_MIN_CONNS", config.min_conns, 0,
                                      kMaxConnsLimit, environment);
  if (config.min_conns > config.max_conns) {
    if (min_given) {
      throw ConfigError(setting_name("db-min-conns", "DB_MIN_CONNS"),
                        "is " + std::to_string(config.min_conns) + ", more than " +
                            setting_name("db-max-conns", "DB_MAX_CONNS") + " (" +
                            std::to_string(config.max_conns) + ")");
    }
    config.min_conns = config.max_conns;  // the default minimum yields to a smaller maximum
  }

  config.max_conn_lifetime =
      whole_seconds(read_duration_setting(vm, "db-max-conn-lifetime", "DB_MAX_CONN_LIFETIME",
                                          config.max_conn_lifetime, environment),
                    "db-max-conn-lifetime", "DB_MAX_CONN_LIFETIME");
  config.max_conn_idle_time =
      whole_seconds(read_duration_setting(vm, "db-max-conn-idle-time", "DB_MAX_CONN_IDLE_TIME",
                                          config.max_conn_idle_time, environment),
                    "db-max-conn-idle-time", "DB_MAX_CONN_IDLE_TIME");
  return config;
}

}  // namespace daap::worker
