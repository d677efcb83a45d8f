// The job kinds this worker executes.
#pragma once

#include "worker/handler.h"

namespace daap::worker::handlers {

// noop and database.update; test.record too when the environment has DAAP_TEST_HANDLERS=1.
void register_builtin_handlers(HandlerRegistry& registry);

// noop: succeeds at once (runs without a transaction, so its completions are grouped).
void register_noop(HandlerRegistry& registry);

// database.update: payload {database_id, owner_team?, purpose?}; changes the record in the
// job's transaction.
void register_database_update(HandlerRegistry& registry);

// test.record (tests only): payload {sleep_ms?, fail_times?}; inserts (job_id, attempt) into
// the table test_effects that the test created, in the job's transaction, then sleeps
// sleep_ms, then fails while attempt <= fail_times.
void register_test_handlers(HandlerRegistry& registry);

}  // namespace daap::worker::handlers
