#include "bench/scratch_database.h"

#include <libpq-fe.h>

#include <iostream>
#include <memory>
#include <stdexcept>

namespace daap::bench {
namespace {

constexpr const char* kMark = "daap-bench scratch database: dropped and created again at will";

std::map<std::string, std::string> parse_conninfo(const std::string& url) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(url.c_str(), &error), &PQconninfoFree);
  if (!options) {
    const std::string why = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    throw std::runtime_error("cannot read the database URL: " + why);
  }
  std::map<std::string, std::string> params;
  for (auto* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val != nullptr && *o->val != '\0' && std::string(o->keyword) != "dbname") {
      params[o->keyword] = o->val;
    }
  }
  return params;
}

// A value as libpq's key=value syntax quotes it.
std::string conninfo_value(const std::string& value) {
  std::string out = "'";
  for (const char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::optional<std::string> text(const char* value) {
  if (value == nullptr || *value == '\0') return std::nullopt;
  return value;
}

}  // namespace

ScratchDatabase::ScratchDatabase(pqxx::connection& admin, const std::string& database_url)
    : admin_(admin),
      name_(std::string(admin.dbname()) + "_bench"),
      params_(parse_conninfo(database_url)),
      migrations_(migrate::load_migrations(DAAP_MIGRATIONS_DIR)) {
  for (const auto& [key, value] : params_) conninfo_ += key + "=" + conninfo_value(value) + " ";
  conninfo_ += "dbname=" + conninfo_value(name_);
  const auto mark = pqxx::nontransaction(admin_).query01<std::optional<std::string>>(
      "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
      pqxx::params{name_});
  if (mark && std::get<0>(*mark) != kMark) {
    throw std::runtime_error("a database named " + name_ +
                             " exists and is not the bench's scratch database: the bench drops "
                             "and creates that name; rename or drop it yourself first");
  }
}

ScratchDatabase::~ScratchDatabase() {
  try {
    drop();
  } catch (const std::exception& e) {
    std::cerr << "daap-bench: could not drop the scratch database " << name_ << ": " << e.what()
              << "\n";
  }
}

void ScratchDatabase::drop() {
  pqxx::nontransaction(admin_).exec("DROP DATABASE IF EXISTS " + admin_.quote_name(name_) +
                                    " WITH (FORCE)");
}

void ScratchDatabase::recreate(bool migrated) {
  drop();
  try {
    pqxx::nontransaction(admin_).exec("CREATE DATABASE " + admin_.quote_name(name_));
  } catch (const pqxx::insufficient_privilege&) {
    throw std::runtime_error("cannot create the scratch database " + name_ +
                             ": the role of DATABASE_URL needs CREATEDB for the measures on "
                             "fresh tables (fresh, update, claim, snapshot)");
  }
  pqxx::nontransaction(admin_).exec("COMMENT ON DATABASE " + admin_.quote_name(name_) + " IS " +
                                    admin_.quote(kMark));
  if (migrated) {
    pqxx::connection conn(conninfo_);
    migrate::Migrator(conn, migrations_, "/" + name_).up();
  }
}

std::map<std::string, std::optional<std::string>> ScratchDatabase::pg_environment() const {
  std::map<std::string, std::optional<std::string>> env = {
      {"DATABASE_URL", std::nullopt},  // Graphile would take it before the PG* variables
      {"PGDATABASE", name_},           {"PGHOST", text(admin_.hostname())},
      {"PGPORT", text(admin_.port())}, {"PGUSER", text(admin_.username())},
  };
  for (const auto& [key, variable] :
       std::map<std::string, std::string>{{"password", "PGPASSWORD"}, {"sslmode", "PGSSLMODE"}}) {
    if (const auto it = params_.find(key); it != params_.end()) env[variable] = it->second;
  }
  return env;
}

}  // namespace daap::bench
