#include "migrate/migrator.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

namespace daap::migrate {
namespace {

constexpr std::uint32_t kLockSalt = 1486364155U;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MigrationFilesError("cannot read migration file " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

DirtyError::DirtyError(std::int64_t v)
    : std::runtime_error("database is dirty at version " + std::to_string(v) +
                         ": a migration failed part-way. Inspect and repair the schema by hand, "
                         "then record the version it is really at with `daapctl migrate force "
                         "VERSION` (for example " +
                         std::to_string(v) + " if the migration did apply, or the version before it "
                         "if it did not), and migrate again"),
      version(v) {}

std::vector<Migration> load_migrations(const std::filesystem::path& dir) {
  if (!std::filesystem::is_directory(dir)) {
    throw MigrationFilesError("migrations directory " + dir.string() + " does not exist");
  }
  static const std::regex pattern(R"(^([0-9]+)_(.+)\.(up|down)\.sql$)");
  std::map<std::int64_t, Migration> by_version;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    std::smatch m;
    if (!std::regex_match(file, m, pattern)) continue;
    const std::int64_t version = std::stoll(m[1].str());
    auto& mig = by_version[version];
    if (!mig.description.empty() && mig.description != m[2].str()) {
      throw MigrationFilesError("two migrations share version " + m[1].str() + ": " +
                                mig.description + " and " + m[2].str());
    }
    mig.version = version;
    mig.description = m[2].str();
    auto& slot = m[3] == "up" ? mig.up : mig.down;
    if (!slot.empty()) throw MigrationFilesError("duplicate migration file " + file);
    slot = entry.path();
  }
  std::vector<Migration> result;
  for (auto& [version, mig] : by_version) {
    if (mig.up.empty() || mig.down.empty()) {
      throw MigrationFilesError("migration " + std::to_string(version) + "_" + mig.description +
                                " lacks its " + (mig.up.empty() ? "up" : "down") + " file");
    }
    result.push_back(std::move(mig));
  }
  if (result.empty()) throw MigrationFilesError("no migrations found in " + dir.string());
  return result;
}

std::uint32_t crc32_ieee(std::string_view data) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1U) ? 0xEDB88320U ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xFFFFFFFFU;
  for (unsigned char ch : data) crc = table[(crc ^ ch) & 0xFFU] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFU;
}

std::int64_t advisory_lock_id(std::string_view database, std::string_view schema,
                              std::string_view table) {
  std::string key;
  key.append(schema).push_back('\0');
  key.append(table).push_back('\0');
  key.append(database);
  return static_cast<std::int64_t>(crc32_ieee(key) * kLockSalt);  // uint32 wrap = mod 2^32
}

// Holds golang-migrate's session advisory lock for the duration of one operation.
class Migrator::Lock {
 public:
  Lock(pqxx::connection& conn, std::int64_t id) : conn_(conn), id_(id) {
    pqxx::nontransaction(conn_).exec("SELECT pg_advisory_lock($1)", pqxx::params{id_});
  }
  ~Lock() {
    try {
      pqxx::nontransaction(conn_).exec("SELECT pg_advisory_unlock($1)", pqxx::params{id_});
    } catch (...) {
      // The connection is gone, and with it the session lock.
    }
  }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

 private:
  pqxx::connection& conn_;
  std::int64_t id_;
};

Migrator::Migrator(pqxx::connection& conn, std::vector<Migration> migrations,
                   std::string database_name)
    : conn_(conn),
      migrations_(std::move(migrations)),
      // Always public: golang-migrate uses current_schema(), which for a role named like a
      // schema ("daap") becomes that schema once migration 001 creates it, and the history
      // would seem to vanish. Run the Go CLI with search_path=public (README).
      table_("public.schema_migrations"),
      lock_id_(advisory_lock_id(database_name, "public")) {}

std::int64_t Migrator::latest_version() const { return migrations_.back().version; }

void Migrator::ensure_table() {
  pqxx::nontransaction(conn_).exec("CREATE TABLE IF NOT EXISTS " + table_ +
                                   " (version bigint not null primary key, dirty boolean not null)");
}

VersionState Migrator::read_version() {
  pqxx::nontransaction tx(conn_);
  auto rows = tx.exec("SELECT version, dirty FROM " + table_ + " LIMIT 1");
  if (rows.empty()) return {};
  return {rows[0][0].as<std::int64_t>(), rows[0][1].as<bool>()};
}

VersionState Migrator::version() {
  Lock lock(conn_, lock_id_);
  ensure_table();
  return read_version();
}

void Migrator::set_version(std::optional<std::int64_t> version, bool dirty) {
  pqxx::work tx(conn_);
  tx.exec("TRUNCATE " + table_);
  // golang-migrate writes (-1, true) while going below the first version; (-1, false) is no row.
  if (version || dirty) {
    tx.exec("INSERT INTO " + table_ + " (version, dirty) VALUES ($1, $2)",
            pqxx::params{version.value_or(-1), dirty});
  }
  tx.commit();
}

void Migrator::run_file(const std::filesystem::path& file) {
  const std::string body = read_file(file);
  try {
    pqxx::nontransaction(conn_).exec(body);
  } catch (const pqxx::sql_error& e) {
    throw MigrateError("migration " + file.filename().string() + " failed: " + e.what());
  }
}

std::size_t Migrator::index_of(std::int64_t version) const {
  for (std::size_t i = 0; i < migrations_.size(); ++i) {
    if (migrations_[i].version == version) return i;
  }
  throw MigrateError("the database is at version " + std::to_string(version) +
                     ", which no migration file has: are these the right migrations?");
}

std::size_t Migrator::target_index(std::int64_t version) const {
  for (std::size_t i = 0; i < migrations_.size(); ++i) {
    if (migrations_[i].version == version) return i;
  }
  throw MigrateError("there is no migration " + std::to_string(version) + ": the migrations go " +
                     "from " + std::to_string(migrations_.front().version) + " to " +
                     std::to_string(latest_version()) + "; nothing was changed");
}

std::optional<std::string> Migrator::stray_history() {
  const bool exists = pqxx::nontransaction(conn_).query_value<bool>(
      "SELECT to_regclass('daap.schema_migrations') IS NOT NULL");
  if (!exists) return std::nullopt;
  return "daap.schema_migrations exists: golang-migrate made it when it ran without "
         "search_path=public in its URL, and reads it instead of the real history "
         "(public.schema_migrations). It also keeps migration 001's down from removing schema "
         "daap. Look at it (SELECT * FROM daap.schema_migrations), drop it (DROP TABLE "
         "daap.schema_migrations), and always give golang-migrate search_path=public in its URL "
         "(postgres://...?search_path=public)";
}

VersionState Migrator::clean_version() {
  ensure_table();
  // First: a stray history is often why a down left the database dirty.
  if (auto stray = stray_history()) throw StrayHistoryError(*stray + "; nothing was changed");
  auto state = read_version();
  if (state.dirty) throw DirtyError(state.version.value_or(-1));
  return state;
}

int Migrator::up(std::optional<int> steps) {
  Lock lock(conn_, lock_id_);
  return apply_up(steps);
}

int Migrator::apply_up(std::optional<int> steps) {
  auto state = clean_version();
  std::size_t next = state.version ? index_of(*state.version) + 1 : 0;
  int ran = 0;
  while (next < migrations_.size() && (!steps || ran < *steps)) {
    const auto& mig = migrations_[next];
    set_version(mig.version, true);
    run_file(mig.up);
    set_version(mig.version, false);
    ++ran;
    ++next;
  }
  return ran;
}

int Migrator::down(std::optional<int> steps) {
  Lock lock(conn_, lock_id_);
  return apply_down(steps);
}

int Migrator::apply_down(std::optional<int> steps) {
  auto state = clean_version();
  if (!state.version) return 0;
  std::size_t current = index_of(*state.version);
  int ran = 0;
  while (!steps || ran < *steps) {
    const auto& mig = migrations_[current];
    std::optional<std::int64_t> target;
    if (current > 0) target = migrations_[current - 1].version;
    set_version(target.value_or(-1), true);
    run_file(mig.down);
    set_version(target, false);
    ++ran;
    if (current == 0) break;
    --current;
  }
  return ran;
}

int Migrator::go_to(std::int64_t version) {
  const std::size_t target = target_index(version);
  Lock lock(conn_, lock_id_);
  const VersionState state = clean_version();
  if (!state.version) return apply_up(static_cast<int>(target) + 1);
  const std::size_t current = index_of(*state.version);
  if (target >= current) return apply_up(static_cast<int>(target - current));
  return apply_down(static_cast<int>(current - target));
}

void Migrator::force(std::int64_t version) {
  if (version != -1) target_index(version);
  Lock lock(conn_, lock_id_);
  ensure_table();
  set_version(version == -1 ? std::nullopt : std::optional<std::int64_t>(version), false);
}

}  // namespace daap::migrate
