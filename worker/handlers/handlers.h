// The job kinds this worker executes.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "worker/handler.h"
#include "worker/provisioners/provisioner.h"

namespace daap::worker::handlers {

// The default time limit of one provisioning or deprovisioning attempt (a CloudNativePG cluster
// that is still starting snoozes instead of holding its attempt).
inline constexpr std::chrono::minutes kProvisioningTimeout(15);

// noop and the database.* kinds (provisioning through `provisioner`); test.record too when
// the environment has DAAP_TEST_HANDLERS=1.
void register_builtin_handlers(HandlerRegistry& registry,
                               std::shared_ptr<provisioners::Provisioner> provisioner);

// noop: succeeds at once (runs without a transaction, so its completions are grouped).
void register_noop(HandlerRegistry& registry);

// database.update: payload {database_id, owner_team?, purpose?}; changes the record in the
// job's transaction.
void register_database_update(HandlerRegistry& registry);

// database.create: payload {name, owner_team, purpose?, namespace?}; inserts the record as
// provisioning and enqueues its database.provision job, in the job's transaction.
void register_database_create(HandlerRegistry& registry);

// database.provision: payload {database_id}; see database_provision.cpp.
void register_database_provision(HandlerRegistry& registry,
                                 std::shared_ptr<provisioners::Provisioner> provisioner);

// database.delete and database.deprovision: payload {database_id}.
void register_database_delete(HandlerRegistry& registry,
                              std::shared_ptr<provisioners::Provisioner> provisioner);

// database.reconcile: payload {} or {database_id}; see database_reconcile.cpp.
void register_database_reconcile(HandlerRegistry& registry,
                                 std::shared_ptr<provisioners::Provisioner> provisioner);

// Enqueues database.provision for a record (unique key "provision:<id>") in `tx`.
queue::JobId enqueue_provision(pqxx::transaction_base& tx, const std::string& database_id,
                               const std::string& queue_name, int max_attempts);

// test.record (tests only): payload {sleep_ms?, fail_times?}; inserts (job_id, attempt) into
// the table test_effects that the test created, in the job's transaction, then sleeps
// sleep_ms, then fails while attempt <= fail_times. test.record_grouped: the same, run in
// groups of several jobs per transaction.
void register_test_handlers(HandlerRegistry& registry);

}  // namespace daap::worker::handlers
