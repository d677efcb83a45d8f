#include "worker/admin/bulk_jobs.h"

#include <stdexcept>

#include "schema/database_repository.h"
#include "worker/config.h"

namespace daap::worker::admin {
namespace {

// Applies one batch in its own transaction and adds its outcomes to `result`.
void apply_batch(pqxx::connection& conn, queue::BulkAction action,
                 const std::vector<queue::JobId>& batch, BulkResult& result) {
  pqxx::work tx(conn, "bulk " + std::string(queue::to_string(action)));
  auto outcomes = queue::apply(tx, action, batch);
  tx.commit();
  for (auto& o : outcomes) {
    (o.done() ? result.done : result.skipped) += 1;
    result.outcomes.push_back(std::move(o));
  }
}

}  // namespace

std::string read_time_bound(pqxx::connection& conn, const std::string& what,
                            const std::string& text) {
  pqxx::read_transaction tx(conn);
  try {
    const auto ago = parse_duration(text);
    return tx.query_value<std::string>(
        "SELECT to_jsonb(now() - $1::float8 * interval '1 millisecond') #>> '{}'",
        pqxx::params{static_cast<double>(ago.count())});
  } catch (const std::exception&) {
    // Not a duration: a time, then.
  }
  try {
    return tx.query_value<std::string>("SELECT to_jsonb($1::timestamptz) #>> '{}'",
                                       pqxx::params{text});
  } catch (const pqxx::sql_error&) {
    throw std::invalid_argument(what + " must be an RFC 3339 time (2025-01-31T12:00:00Z) or a " +
                                "duration meaning that long ago (24h), got '" + text + "'");
  }
}

std::optional<std::string> find_database_id(pqxx::connection& conn, const std::string& key) {
  pqxx::read_transaction tx(conn);
  std::optional<schema::DatabaseRecord> record;
  if (schema::is_uuid(key)) record = schema::find_by_id(tx, key);
  if (!record) record = schema::find_by_active_name(tx, key);
  if (!record) return std::nullopt;
  return record->id;
}

BulkResult run_bulk(pqxx::connection& conn, queue::BulkAction action,
                    const queue::JobSelection& selection, queue::JobId up_to,
                    const BulkProgress& progress) {
  BulkResult result;
  queue::JobId after = 0;
  while (true) {
    std::vector<queue::JobId> batch;
    {
      pqxx::read_transaction tx(conn);
      for (const auto& job :
           queue::select_jobs(tx, selection, after, up_to, queue::kBulkBatchSize)) {
        batch.push_back(job.id);
      }
    }
    if (batch.empty()) break;
    after = batch.back();
    apply_batch(conn, action, batch, result);
    if (progress) progress(result);
  }
  return result;
}

BulkResult run_bulk(pqxx::connection& conn, queue::BulkAction action,
                    const std::vector<queue::JobId>& ids, const BulkProgress& progress) {
  BulkResult result;
  for (std::size_t next = 0; next < ids.size();) {
    const auto end = std::min(ids.size(), next + static_cast<std::size_t>(queue::kBulkBatchSize));
    apply_batch(conn, action,
                {ids.begin() + static_cast<std::ptrdiff_t>(next),
                 ids.begin() + static_cast<std::ptrdiff_t>(end)},
                result);
    next = end;
    if (progress) progress(result);
  }
  return result;
}

}  // namespace daap::worker::admin
