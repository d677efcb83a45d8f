#include "queue/leadership.h"

#include "queue/queries.h"

namespace daap::queue {

std::optional<std::int64_t> acquire_leadership(pqxx::connection& conn, const std::string& name,
                                               const std::string& holder,
                                               std::chrono::milliseconds ttl) {
  try {
    pqxx::work tx(conn, "take leadership");
    // A renewal holds the row until its transaction commits: wait for it a moment, no longer (a
    // paused holder's transaction is ended by the server's idle_in_transaction_session_timeout).
    tx.exec("SET LOCAL lock_timeout = '2s'");
    auto rows = tx.exec(sql::acquire_leadership, pqxx::params{name, holder, ttl.count()});
    tx.commit();
    if (rows.empty()) return std::nullopt;
    return rows[0][0].as<std::int64_t>();
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "55P03") return std::nullopt;  // lock_not_available: someone renews
    throw;
  }
}

bool renew_leadership(pqxx::transaction_base& tx, const std::string& name,
                      const std::string& holder, std::int64_t term,
                      std::chrono::milliseconds ttl) {
  return !tx.exec(sql::renew_leadership, pqxx::params{name, holder, term, ttl.count()}).empty();
}

void resign_leadership(pqxx::transaction_base& tx, const std::string& name,
                       const std::string& holder, std::int64_t term) {
  tx.exec(sql::resign_leadership, pqxx::params{name, holder, term});
}

}  // namespace daap::queue
