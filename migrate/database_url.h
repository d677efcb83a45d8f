// A database URL read as golang-migrate reads it, so `daapctl migrate` and golang-migrate's
// `migrate` take the same URL and hold the same lock.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include <pqxx/pqxx>

namespace daap::migrate {

// A URL golang-migrate would read differently from daapctl (another history table).
class DatabaseUrlError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// `url` as libpq takes it. Like golang-migrate, drops its own x- parameters (refusing an
// x-migrations-table other than schema_migrations) and, like its lib/pq driver, sends any
// other parameter libpq does not know (search_path=public) to the server as a setting, here
// through `options`. A key=value connection string is returned unchanged.
std::string libpq_conninfo(const std::string& url);

// The URL's path as Go's net/url decodes it: "/daap", or "/" for ".../?dbname=daap". nullopt
// when the URL has no path (or `url` is a key=value connection string).
std::optional<std::string> url_path(const std::string& url);

// What golang-migrate's postgres driver calls the database in its lock id when opened with
// `url`: url_path(), or current_database() when the URL has no path. A key=value string,
// which golang-migrate cannot open, gives "/" + current_database(), as its usual URL would.
std::string lock_database_name(const std::string& url, pqxx::connection& conn);

}  // namespace daap::migrate
