// Leadership of a replica-wide duty (maintenance) as a lease row in daap.leaders: taken when
// nobody holds it or it lapsed, renewed by its holder while it works, with a term that grows at
// every change of holder. A paused or partitioned holder cannot keep it: the lease lapses on its
// own, and when the holder comes back its renewal finds the term gone.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <pqxx/pqxx>

namespace daap::queue {

// The name of the maintenance duty's lease.
inline constexpr const char* kMaintenanceLeadership = "maintenance";

// Takes the lease for `holder` if it is free or has lapsed, in a transaction of its own; returns
// the new term, or nullopt when someone else holds it. Waits at most briefly for a holder's
// renewal in progress (and answers nullopt after that).
std::optional<std::int64_t> acquire_leadership(pqxx::connection& conn, const std::string& name,
                                               const std::string& holder,
                                               std::chrono::milliseconds ttl);

// Extends the lease to now + ttl while `holder` holds `term` and it has not lapsed. False: the
// holder must step down (and roll back what it did under the lease in this transaction).
bool renew_leadership(pqxx::transaction_base& tx, const std::string& name,
                      const std::string& holder, std::int64_t term,
                      std::chrono::milliseconds ttl);

// Lets the lease lapse now, so another replica can take it at once (clean shutdown).
void resign_leadership(pqxx::transaction_base& tx, const std::string& name,
                       const std::string& holder, std::int64_t term);

}  // namespace daap::queue
