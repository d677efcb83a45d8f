// Admin actions on many jobs at once (daapctl jobs retry|cancel|run-now|delete): each is one SQL
// function of migration 022, which keeps the fencing and unique-key rules; this selects jobs by
// filter, in keyset batches, and calls them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "queue/job.h"

namespace daap::queue {

// The actions; each maps to daap.retry_jobs, daap.cancel_jobs, daap.run_jobs_now, daap.delete_jobs.
enum class BulkAction { retry, cancel, run_now, remove };
// "retry", "cancel", "run-now", "delete": the daapctl action's name.
std::string_view to_string(BulkAction action);

// What an action did to one job.
struct BulkOutcome {
  JobId id = 0;
  std::optional<std::string> old_state;  // none: no such job
  std::optional<std::string> new_state;  // "deleted" once deleted
  std::optional<std::string> reason;     // none: done; otherwise why not
  bool done() const { return !reason; }
};

// Applies `action` to `ids` in the caller's transaction: one outcome per distinct id, in id
// order. Rows held by a claim or completion under way are waited for. Keep `ids` to about
// kBulkBatchSize per transaction.
std::vector<BulkOutcome> apply(pqxx::transaction_base& tx, BulkAction action,
                               const std::vector<JobId>& ids);

// At most this many jobs per transaction, so that no batch holds many row locks for long.
inline constexpr int kBulkBatchSize = 1000;

// Which jobs a filtered action takes; every field is optional (none: any).
struct JobSelection {
  std::optional<JobState> state;
  std::optional<std::string> kind;
  std::optional<std::string> queue;
  std::optional<std::string> database_id;     // a databases record's id
  std::optional<std::string> since, until;    // timestamps PostgreSQL reads; finished_at for
                                              // finished jobs, created_at for the others
  std::optional<std::string> error_contains;  // in last_error, case-insensitive, literal
  std::optional<std::vector<JobId>> ids;      // only these
};

// How many jobs `selection` takes now, and the highest id among them.
struct SelectionSize {
  std::int64_t count = 0;
  JobId max_id = 0;
};
SelectionSize measure(pqxx::transaction_base& tx, const JobSelection& selection);

// Up to `limit` selected jobs with after < id <= up_to, in id order (one keyset batch). Sets
// prefer_index_plans (queue/transaction_settings.h) for the rest of `tx`.
std::vector<JobRow> select_jobs(pqxx::transaction_base& tx, const JobSelection& selection,
                                JobId after, JobId up_to, int limit);

}  // namespace daap::queue
