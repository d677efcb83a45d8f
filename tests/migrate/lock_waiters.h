// Who is waiting for an advisory lock, seen from another session of the same database.
#pragma once

#include <cstdint>

#include <pqxx/pqxx>

namespace daap::test {

// Sessions of conn's database waiting for the session advisory lock `id` (a bigint key:
// pg_locks shows its high 32 bits as classid and its low ones as objid).
inline int lock_waiters(pqxx::connection& conn, std::int64_t id) {
  return pqxx::nontransaction(conn).query_value<int>(
      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
      "AND objsubid = 1 AND database = (SELECT oid FROM pg_database "
      "WHERE datname = current_database()) AND ((classid::bigint << 32) | objid::bigint) = $1",
      pqxx::params{id});
}

}  // namespace daap::test
