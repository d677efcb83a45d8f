// A database of the bench's own on the server under test, created again for every run, so that
// each run starts from freshly created tables that were never analyzed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "migrate/migrator.h"

namespace daap::bench {

// Named after the database of DATABASE_URL with "_bench" appended, on the same server and with
// the same credentials. It carries a comment marking it as the bench's: a database of that name
// without the mark is refused, never dropped. Dropped when this object goes away.
class ScratchDatabase {
 public:
  // `admin` is connected to `database_url`'s database and must stay open.
  ScratchDatabase(pqxx::connection& admin, const std::string& database_url);
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  // Drops it and creates it again, empty; with `migrated`, then applies every migration.
  void recreate(bool migrated);
  const std::string& name() const { return name_; }
  // Its key=value connection string, for daap-worker and the bench's own connections.
  const std::string& conninfo() const { return conninfo_; }
  // The PG* variables naming it (and no DATABASE_URL), for node-postgres and Graphile.
  std::map<std::string, std::optional<std::string>> pg_environment() const;

 private:
  void drop();

  pqxx::connection& admin_;
  std::string name_;
  std::map<std::string, std::string> params_;  // from DATABASE_URL, dbname excepted
  std::string conninfo_;
  std::vector<migrate::Migration> migrations_;
};

}  // namespace daap::bench
