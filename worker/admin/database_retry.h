// Retrying a databases record in error, as daapctl databases retry and the console do it: the
// record goes back to provisioning and a database.provision job is enqueued for it.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include <pqxx/pqxx>

#include "queue/job.h"
#include "schema/database_record.h"

namespace daap::worker::admin {

// The record is not in error (the message names it and its status).
class NotRetryable : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What a retry enqueued.
struct DatabaseRetry {
  schema::DatabaseRecord record;
  queue::JobId job_id = 0;
  std::string queue;
  int max_attempts = 0;
  std::optional<queue::JobId> original_job;  // the provision job whose queue and budget it took
};

// Moves `record` (in error) back to provisioning and enqueues its database.provision job where
// its last one went, with that job's attempt budget, in the caller's transaction. Throws
// NotRetryable for any other status.
DatabaseRetry retry_database(pqxx::transaction_base& tx, const schema::DatabaseRecord& record);

}  // namespace daap::worker::admin
