#include "queue/admin.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "queue/queries.h"

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

JobRow to_job_row(const pqxx::row& row) {
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

std::string job_text(JobId id) { return "job " + std::to_string(id); }

// The current state of a job the operation did not apply to; JobNotFound if there is none.
pqxx::row current(pqxx::transaction_base& tx, JobId id) {
  auto r = tx.exec(sql::job_state, pqxx::params{id});
  if (r.empty()) throw JobNotFound(job_text(id) + " does not exist");
  return r[0];
}

}  // namespace

std::optional<JobRow> get_job(pqxx::transaction_base& tx, JobId id) {
  auto r = tx.exec(sql::get_job, pqxx::params{id});
  if (r.empty()) return std::nullopt;
  return to_job_row(r[0]);
}

std::vector<JobRow> list_jobs(pqxx::transaction_base& tx, const JobFilter& filter) {
  if (filter.limit < 1 || filter.limit > 1000) {
    throw std::invalid_argument("limit must be between 1 and 1000, got " +
                                std::to_string(filter.limit));
  }
  std::optional<std::string> state;
  if (filter.state) state = std::string(to_string(*filter.state));
  std::vector<JobRow> rows;
  for (const auto& row :
       tx.exec(sql::list_jobs, pqxx::params{state, filter.kind, filter.queue, filter.limit})) {
    rows.push_back(to_job_row(row));
  }
  return rows;
}

JobState cancel_job(pqxx::transaction_base& tx, JobId id) {
  auto r = tx.exec(sql::cancel_job, pqxx::params{id});
  if (!r.empty()) return parse_job_state(r[0][0].view());
  const auto state = current(tx, id)["state"].as<std::string>();
  throw WrongJobState(job_text(id) + " is " + state +
                      ": only available or running jobs can be cancelled");
}

void retry_job(pqxx::transaction_base& tx, JobId id) {
  if (!tx.exec(sql::retry_job, pqxx::params{id}).empty()) {
    tx.exec(sql::notify_jobs);
    return;
  }
  const auto row = current(tx, id);
  const auto state = row["state"].as<std::string>();
  if (state != "failed" && state != "cancelled") {
    throw WrongJobState(job_text(id) + " is " + state +
                        ": only failed or cancelled jobs can be retried");
  }
  // Still failed or cancelled: another unfinished job holds its unique_key.
  const auto key = row["unique_key"].get<std::string>().value_or("");
  auto holder = tx.exec(sql::unique_key_holder, pqxx::params{key});
  throw WrongJobState(
      job_text(id) + " cannot be retried: unfinished " +
      (holder.empty() ? std::string("job") : job_text(holder.one_field().as<JobId>())) +
      " holds its unique_key '" + key + "'");
}

std::vector<JobStatsRow> job_stats(pqxx::transaction_base& tx) {
  std::vector<JobStatsRow> rows;
  for (const auto& row : tx.exec(sql::job_stats)) {
    rows.push_back({row["queue"].as<std::string>(), row["kind"].as<std::string>(),
                    row["state"].as<std::string>(), row["count"].as<std::int64_t>(),
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
