#include "queue/bulk.h"

#include "queue/admin.h"
#include "queue/queries.h"
#include "queue/transaction_settings.h"

namespace daap::queue {
namespace {

std::string_view statement(BulkAction action) {
  switch (action) {
    case BulkAction::retry:
      return sql::bulk_retry;
    case BulkAction::cancel:
      return sql::bulk_cancel;
    case BulkAction::run_now:
      return sql::bulk_run_now;
    case BulkAction::remove:
      return sql::bulk_delete;
  }
  return sql::bulk_retry;
}

pqxx::params selection_params(const JobSelection& s) {
  std::optional<std::string> state;
  if (s.state) state = std::string(to_string(*s.state));
  return pqxx::params{state,   s.kind,  s.queue,          s.database_id,
                      s.since, s.until, s.error_contains, s.ids};
}

}  // namespace

std::string_view to_string(BulkAction action) {
  switch (action) {
    case BulkAction::retry:
      return "retry";
    case BulkAction::cancel:
      return "cancel";
    case BulkAction::run_now:
      return "run-now";
    case BulkAction::remove:
      return "delete";
  }
  return "?";
}

std::vector<BulkOutcome> apply(pqxx::transaction_base& tx, BulkAction action,
                               const std::vector<JobId>& ids) {
  std::vector<BulkOutcome> outcomes;
  if (ids.empty()) return outcomes;
  const auto rows = tx.exec(statement(action), pqxx::params{ids});
  outcomes.reserve(rows.size());
  for (const auto& row : rows) {
    outcomes.push_back({row["id"].as<JobId>(), row["old_state"].get<std::string>(),
                        row["new_state"].get<std::string>(), row["reason"].get<std::string>()});
  }
  return outcomes;
}

SelectionSize measure(pqxx::transaction_base& tx, const JobSelection& selection) {
  const auto row = tx.exec(sql::measure_selection, selection_params(selection)).one_row();
  return {row["count"].as<std::int64_t>(), row["max_id"].as<JobId>()};
}

std::vector<JobRow> select_jobs(pqxx::transaction_base& tx, const JobSelection& selection,
                                JobId after, JobId up_to, int limit) {
  auto params = selection_params(selection);
  params.append(after);
  params.append(up_to);
  params.append(limit);
  prefer_index_plans(tx);  // a batch walks the (state, id) index or the primary key and stops
  std::vector<JobRow> jobs;
  for (const auto& row : tx.exec(sql::select_jobs, params)) jobs.push_back(read_job_row(row));
  return jobs;
}

}  // namespace daap::queue
