#include "queue/admin.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "queue/bulk.h"
#include "queue/queries.h"
#include "queue/transaction_settings.h"

namespace daap::queue {
namespace {

// A jsonb column as JSON. PostgreSQL's numbers are arbitrary precision and JSON's in C++ are
// doubles: a value that does not fit (1e400) is shown as its text, so that every row that
// exists can be listed, shown, cancelled and retried.
nlohmann::json read_json(const pqxx::field& field) {
  if (field.is_null()) return nullptr;
  auto value = nlohmann::json::parse(field.view(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return std::string(field.view());
  return value;
}

std::string job_text(JobId id) { return "job " + std::to_string(id); }

}  // namespace

JobRow read_job_row(const pqxx::row& row) {
  JobRow j;
  j.id = row["id"].as<JobId>();
  j.kind = row["kind"].as<std::string>();
  j.queue = row["queue"].as<std::string>();
  j.payload = read_json(row["payload"]);
  j.state = parse_job_state(row["state"].view());
  j.priority = row["priority"].as<int>();
  j.attempt = row["attempt"].as<int>();
  j.max_attempts = row["max_attempts"].as<int>();
  j.run_at = row["run_at"].as<std::string>();
  j.created_at = row["created_at"].as<std::string>();
  j.started_at = row["started_at"].get<std::string>();
  j.finished_at = row["finished_at"].get<std::string>();
  j.locked_by = row["locked_by"].get<std::string>();
  j.lease_expires_at = row["lease_expires_at"].get<std::string>();
  j.last_error = row["last_error"].get<std::string>();
  j.unique_key = row["unique_key"].get<std::string>();
  j.database_id = row["database_id"].get<std::string>();
  j.cancel_requested_at = row["cancel_requested_at"].get<std::string>();
  j.timeout = row["timeout"].get<std::string>();
  j.errors = read_json(row["errors"]);
  j.result = read_json(row["result"]);
  return j;
}

std::optional<JobRow> get_job(pqxx::transaction_base& tx, JobId id) {
  auto r = tx.exec(sql::get_job, pqxx::params{id});
  if (r.empty()) return std::nullopt;
  return read_job_row(r[0]);
}

std::vector<JobRow> jobs_of_database(pqxx::transaction_base& tx, const std::string& database_id,
                                     int limit,
                                     const std::optional<std::vector<std::string>>& kinds) {
  std::vector<JobRow> out;
  for (const auto& row :
       tx.exec(sql::list_jobs_of_database, pqxx::params{database_id, limit, kinds})) {
    out.push_back(read_job_row(row));
  }
  return out;
}

std::vector<JobRow> list_jobs(pqxx::transaction_base& tx, const JobFilter& filter) {
  if (filter.limit < 1 || filter.limit > 1000) {
    throw std::invalid_argument("limit must be between 1 and 1000, got " +
                                std::to_string(filter.limit));
  }
  std::optional<std::string> state;
  if (filter.state) state = std::string(to_string(*filter.state));
  // A page walks an index and stops, whatever the statistics say (a bitmap scan and a sort of
  // every job of the state would be picked on a table never analysed).
  prefer_index_plans(tx);
  std::vector<JobRow> rows;
  for (const auto& row :
       tx.exec(sql::list_jobs, pqxx::params{state, filter.kind, filter.queue, filter.database_id,
                                            filter.since, filter.until, filter.error_contains,
                                            filter.before, filter.limit})) {
    rows.push_back(read_job_row(row));
  }
  return rows;
}

namespace {

// The outcome of a single-job action; JobNotFound or WrongJobState when it was not done.
BulkOutcome one(pqxx::transaction_base& tx, BulkAction action, JobId id) {
  const auto outcomes = apply(tx, action, {id});
  const auto& outcome = outcomes.at(0);
  if (!outcome.old_state) throw JobNotFound(job_text(id) + " does not exist");
  if (outcome.reason) throw WrongJobState(job_text(id) + ": " + *outcome.reason);
  return outcome;
}

}  // namespace

JobState cancel_job(pqxx::transaction_base& tx, JobId id) {
  return parse_job_state(*one(tx, BulkAction::cancel, id).new_state);
}

void retry_job(pqxx::transaction_base& tx, JobId id) { one(tx, BulkAction::retry, id); }

std::vector<JobStatsRow> job_stats(pqxx::transaction_base& tx) {
  std::vector<JobStatsRow> rows;
  for (const auto& row : tx.exec(sql::job_stats)) {
    rows.push_back({row["queue"].as<std::string>(), row["kind"].as<std::string>(),
                    row["state"].as<std::string>(), row["count"].as<std::int64_t>(),
                    row["due"].as<std::int64_t>(), row["scheduled"].as<std::int64_t>(),
                    row["oldest_available_age_seconds"].get<double>()});
  }
  return rows;
}

std::vector<WorkerRow> list_workers(pqxx::transaction_base& tx) {
  std::vector<WorkerRow> rows;
  for (const auto& row : tx.exec(sql::list_workers)) {
    WorkerRow w;
    w.id = row["id"].as<std::string>();
    w.hostname = row["hostname"].as<std::string>();
    w.version = row["version"].as<std::string>();
    w.queues = nlohmann::json::parse(row["queues"].as<std::string>()).get<std::vector<std::string>>();
    w.started_at = row["started_at"].as<std::string>();
    w.heartbeat_at = row["heartbeat_at"].as<std::string>();
    w.pid = row["pid"].as<int>();
    w.concurrency = row["concurrency"].as<int>();
    rows.push_back(std::move(w));
  }
  return rows;
}

}  // namespace daap::queue
