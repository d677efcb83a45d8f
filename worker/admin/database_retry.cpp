#include "worker/admin/database_retry.h"

#include "queue/admin.h"
#include "queue/enqueue.h"
#include "schema/database_repository.h"

namespace daap::worker::admin {

DatabaseRetry retry_database(pqxx::transaction_base& tx, const schema::DatabaseRecord& record) {
  if (record.status != schema::DatabaseStatus::error) {
    throw NotRetryable("database '" + record.name + "' (" + record.id + ") is " +
                       std::string(schema::to_string(record.status)) +
                       "; only a database in error can be retried");
  }
  // transition() locks the row and re-checks the status, so two retries cannot both pass.
  DatabaseRetry out;
  out.record = schema::transition(tx, record.id, schema::DatabaseStatus::provisioning);
  queue::NewJob job;
  // The new attempt goes where the record's last one went, with its attempt budget.
  const auto original = queue::jobs_of_database(
      tx, record.id, 1, std::vector<std::string>{"database.provision", "database.create"});
  if (!original.empty()) {
    job.queue = original.front().queue;
    job.max_attempts = original.front().max_attempts;
    out.original_job = original.front().id;
  }
  job.kind = "database.provision";
  job.payload = {{"database_id", record.id}};
  job.unique_key = "provision:" + record.id;
  job.database_id = record.id;
  out.job_id = queue::enqueue(tx, job);
  out.queue = job.queue;
  out.max_attempts = job.max_attempts;
  return out;
}

}  // namespace daap::worker::admin
