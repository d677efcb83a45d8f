// database.delete marks a record deleting and enqueues its database.deprovision job in one
// transaction; database.deprovision removes the database through the provisioner (outside the
// transaction, idempotent), then marks the record deleted in the job's transaction.
#include "queue/enqueue.h"
#include "queue/errors.h"
#include "schema/database_repository.h"
#include "schema/errors.h"
#include "worker/handlers/handlers.h"
#include "worker/handlers/payload.h"

namespace daap::worker::handlers {
namespace {

nlohmann::json delete_database(const JobContext& context) {
  const auto& job = context.job();
  reject_unknown_fields(job.payload, {"database_id"});
  const auto id = database_id(job.payload);
  auto& tx = context.transaction();
  try {
    schema::transition(tx, id, schema::DatabaseStatus::deleting);
  } catch (const schema::Error& e) {
    throw queue::PermanentError(e.what());
  }
  queue::NewJob deprovision;
  deprovision.kind = "database.deprovision";
  deprovision.payload = {{"database_id", id}};
  deprovision.queue = job.queue;
  deprovision.max_attempts = job.max_attempts;
  deprovision.unique_key = "deprovision:" + id;
  deprovision.database_id = id;
  return {{"database_id", id}, {"deprovision_job_id", queue::enqueue(tx, deprovision)}};
}

nlohmann::json deprovision_outside(provisioners::Provisioner& provisioner,
                                   const JobContext& context, pqxx::connection& conn) {
  reject_unknown_fields(context.job().payload, {"database_id"});
  const auto id = database_id(context.job().payload);
  schema::DatabaseRecord record;
  {
    pqxx::read_transaction tx(conn);
    try {
      record = schema::get_by_id(tx, id);
    } catch (const schema::Error& e) {
      throw queue::PermanentError(e.what());
    }
  }
  if (record.status != schema::DatabaseStatus::deleting) {
    return {{"skipped", schema::to_string(record.status)}};
  }
  provisioner.deprovision(record, context.interrupt());
  return nlohmann::json::object();
}

nlohmann::json deprovision_commit(const JobContext& context) {
  const auto id = database_id(context.job().payload);
  const auto& outside = context.outside_result();
  if (outside.contains("skipped")) {
    return {{"database_id", id}, {"skipped", "record is " + outside["skipped"].get<std::string>()}};
  }
  try {
    const auto record = schema::soft_delete(context.transaction(), id);
    return {{"database_id", id}, {"deleted_at", schema::format_rfc3339(*record.deleted_at)}};
  } catch (const schema::Error& e) {
    throw queue::PermanentError(e.what());
  }
}

}  // namespace

void register_database_delete(HandlerRegistry& registry,
                              std::shared_ptr<provisioners::Provisioner> provisioner) {
  Registration deletion;
  deletion.handler = delete_database;
  deletion.group = true;
  deletion.timeout = std::chrono::minutes(1);
  registry.add("database.delete", std::move(deletion));
  Registration registration;
  registration.handler = deprovision_commit;
  registration.timeout = kProvisioningTimeout;
  registration.outside = [provisioner](const JobContext& context, pqxx::connection& conn) {
    return deprovision_outside(*provisioner, context, conn);
  };
  registry.add("database.deprovision", std::move(registration));
}

}  // namespace daap::worker::handlers
