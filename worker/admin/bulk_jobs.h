// Bulk job actions run the way daapctl jobs and the console both run them: by ids, or by a
// filter in keyset batches of queue::kBulkBatchSize, one transaction each (queue/bulk.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "queue/bulk.h"

namespace daap::worker::admin {

// A filter's time bound: an RFC 3339 time, or a duration meaning that long ago ("24h"); returned
// as a time PostgreSQL reads. Throws std::invalid_argument naming `what` and both forms.
std::string read_time_bound(pqxx::connection& conn, const std::string& what,
                            const std::string& text);

// A databases record's id from its id or active name; none when no record has it.
std::optional<std::string> find_database_id(pqxx::connection& conn, const std::string& key);

// What a bulk action did so far.
struct BulkResult {
  std::vector<queue::BulkOutcome> outcomes;
  std::int64_t done = 0;
  std::int64_t skipped = 0;
};
// Called after each committed batch.
using BulkProgress = std::function<void(const BulkResult&)>;

// Applies `action` to the jobs `selection` takes with id <= up_to (the max_id of the measure()
// that was confirmed: jobs enqueued since are left alone), batch by batch.
BulkResult run_bulk(pqxx::connection& conn, queue::BulkAction action,
                    const queue::JobSelection& selection, queue::JobId up_to,
                    const BulkProgress& progress = {});

// Applies `action` to `ids` (sorted, distinct), batch by batch; unknown ids are skipped.
BulkResult run_bulk(pqxx::connection& conn, queue::BulkAction action,
                    const std::vector<queue::JobId>& ids, const BulkProgress& progress = {});

}  // namespace daap::worker::admin
