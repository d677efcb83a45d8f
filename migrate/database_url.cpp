#include "migrate/database_url.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>
#include <vector>

namespace daap::migrate {
namespace {

bool is_url(const std::string& url) {
  return url.starts_with("postgres://") || url.starts_with("postgresql://");
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's url unescaping: %XX, and in a query '+' for a space.
std::string unescape(const std::string& text, bool query) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      const int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      const int lo = hi >= 0 ? hex_value(text[i + 2]) : -1;
      if (lo < 0) {
        throw DatabaseUrlError("the database URL has an invalid escape '" + text.substr(i, 3) +
                               "': write a '%' as %25");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (query && text[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string percent_encode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 0xFU]};
    }
  }
  return out;
}

// One word of libpq's `options`: spaces and backslashes escaped with a backslash.
std::string options_word(const std::string& word) {
  std::string out;
  for (char c : word) {
    if (c == ' ' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// The keywords libpq accepts in a URL's query ("ssl" is its JDBC-compatible extra).
const std::set<std::string>& libpq_keywords() {
  static const std::set<std::string> keywords = [] {
    std::set<std::string> k{"ssl"};
    std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> options(PQconndefaults(),
                                                                           PQconninfoFree);
    for (const auto* o = options.get(); o != nullptr && o->keyword != nullptr; ++o) {
      k.insert(o->keyword);
    }
    return k;
  }();
  return keywords;
}

// lib/pq settings for the Go driver itself, which it never sends to the server.
bool is_go_driver_setting(const std::string& key) {
  return key == "binary_parameters" || key == "disable_prepared_binary_result" ||
         key == "sslinline" || key == "krbspn";
}

}  // namespace

std::string libpq_conninfo(const std::string& url) {
  const auto question = url.find('?');
  if (!is_url(url) || question == std::string::npos) return url;
  std::vector<std::string> kept;          // raw, as libpq will read them
  std::optional<std::size_t> options_at;  // the URL's own `options`, in kept
  std::string settings;                   // for the server, in libpq's `options` syntax
  std::size_t start = question + 1;
  while (start <= url.size()) {
    const auto end = std::min(url.find('&', start), url.size());
    const std::string param = url.substr(start, end - start);
    start = end + 1;
    if (param.empty()) continue;
    const auto equals = param.find('=');
    const std::string key = unescape(param.substr(0, equals), true);
    // Decoded only when read here: libpq's own values (a password) stay as they are.
    const auto value = [&] {
      return equals == std::string::npos ? "" : unescape(param.substr(equals + 1), true);
    };
    if (key.starts_with("x-")) {
      // golang-migrate's own parameters, which it removes before connecting. Only another
      // history table matters here: the two tools would then keep two histories.
      if (key == "x-migrations-table" && value() != "schema_migrations") {
        throw DatabaseUrlError(
            "x-migrations-table=" + value() +
            " is not supported: daapctl migrate keeps the history in public.schema_migrations, "
            "golang-migrate's default. Remove x-migrations-table from the URL (for both tools)");
      }
    } else if (libpq_keywords().contains(key)) {
      if (key == "options") options_at = kept.size();
      kept.push_back(param);
    } else if (!is_go_driver_setting(key)) {
      // lib/pq sends such a parameter to the server as a run-time setting; libpq would
      // refuse the URL, so it goes through `options` instead.
      settings += (settings.empty() ? "-c " : " -c ") + options_word(key + "=" + value());
    }
  }
  if (!settings.empty()) {
    if (options_at) {
      std::string& own = kept[*options_at];
      const auto equals = own.find('=');
      const std::string value = equals == std::string::npos ? "" : own.substr(equals + 1);
      own = "options=" + percent_encode(unescape(value, false) + " " + settings);
    } else {
      kept.push_back("options=" + percent_encode(settings));
    }
  }
  std::string result = url.substr(0, question);
  for (std::size_t i = 0; i < kept.size(); ++i) result += (i == 0 ? "?" : "&") + kept[i];
  return result;
}

std::optional<std::string> url_path(const std::string& url) {
  if (!is_url(url)) return std::nullopt;
  // As Go's url.Parse: the fragment, then the query, then the authority come off.
  std::string rest = url.substr(0, url.find('#'));
  rest = rest.substr(0, rest.find('?'));
  const auto slash = rest.find('/', rest.find("://") + 3);
  if (slash == std::string::npos) return std::nullopt;
  return unescape(rest.substr(slash), false);
}

std::string lock_database_name(const std::string& url, pqxx::connection& conn) {
  if (auto path = url_path(url)) return *path;
  const auto current =
      pqxx::nontransaction(conn).query_value<std::string>("SELECT current_database()");
  return is_url(url) ? current : "/" + current;
}

}  // namespace daap::migrate
