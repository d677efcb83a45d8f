// golang-migrate compatible migrations: same files, tracking table, dirty state and lock.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

namespace daap::migrate {

// One NNN_description.up.sql / .down.sql pair.
struct Migration {
  std::int64_t version;
  std::string description;
  std::filesystem::path up;
  std::filesystem::path down;
};

// What public.schema_migrations says: no version (nothing applied) or a version, maybe dirty.
struct VersionState {
  std::optional<std::int64_t> version;
  bool dirty = false;
};

// A migration file set that is malformed (missing half of a pair, duplicate version...).
class MigrationFilesError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The database is dirty: a migration failed part-way; only `force` may proceed.
class DirtyError : public std::runtime_error {
 public:
  explicit DirtyError(std::int64_t version);
  std::int64_t version;
};

// Any other refusal (unknown version, nothing to migrate down...).
class MigrateError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// daap.schema_migrations exists: golang-migrate, run without search_path=public, keeps a
// second history there. up, down and goto refuse to run until it is gone.
class StrayHistoryError : public MigrateError {
  using MigrateError::MigrateError;
};

// Reads and validates the migration files of a directory, sorted by version.
std::vector<Migration> load_migrations(const std::filesystem::path& dir);

// CRC-32 (IEEE), as Go's hash/crc32.ChecksumIEEE.
std::uint32_t crc32_ieee(std::string_view data);

// golang-migrate's advisory lock id for its postgres driver: CRC-32 of
// "<schema>\0<table>\0<database>" times 1486364155 modulo 2^32.
std::int64_t advisory_lock_id(std::string_view database, std::string_view schema,
                              std::string_view table = "schema_migrations");

// Applies migrations to one database, holding golang-migrate's advisory lock while it works.
class Migrator {
 public:
  // `database_name` is what golang-migrate calls the database in its lock id: the URL's
  // path with its leading slash ("/daap").
  Migrator(pqxx::connection& conn, std::vector<Migration> migrations,
           std::string database_name);

  VersionState version();
  std::int64_t latest_version() const;
  // Applies up to `steps` pending migrations (all when empty); returns how many ran.
  int up(std::optional<int> steps = std::nullopt);
  // Reverts `steps` migrations (all when empty); returns how many ran.
  int down(std::optional<int> steps = std::nullopt);
  // Migrates up or down to exactly `version`.
  int go_to(std::int64_t version);
  // Records `version` (or none, with -1) as clean without running anything.
  void force(std::int64_t version);
  // What is wrong when a stray daap.schema_migrations exists, and what to do about it.
  std::optional<std::string> stray_history();

 private:
  class Lock;
  int apply_up(std::optional<int> steps);  // callers hold the lock
  int apply_down(std::optional<int> steps);
  void ensure_table();
  VersionState read_version();
  void set_version(std::optional<std::int64_t> version, bool dirty);
  void run_file(const std::filesystem::path& file);
  std::size_t index_of(std::int64_t version) const;      // the database's version
  std::size_t target_index(std::int64_t version) const;  // a version asked for
  VersionState clean_version();

  pqxx::connection& conn_;
  std::vector<Migration> migrations_;
  std::string table_;
  std::int64_t lock_id_;
};

}  // namespace daap::migrate
