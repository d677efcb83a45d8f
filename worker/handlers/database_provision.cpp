// database.provision: makes a provisioning record's database real through the provisioner
// (outside the job's transaction, idempotent), then records where it is and marks it ready in
// the job's transaction. Not ready yet: snooze. Failed for good: the record goes to error with
// the job's last error, in the transaction that fails the job (Registration::on_failed).
#include <chrono>

#include "queue/errors.h"
#include "schema/database_repository.h"
#include "schema/errors.h"
#include "worker/handlers/handlers.h"
#include "worker/handlers/payload.h"

namespace daap::worker::handlers {
namespace {

// How long a database that is still starting waits before the next look.
constexpr std::chrono::seconds kNotReadySnooze(5);

schema::DatabaseRecord read_record(pqxx::connection& conn, const std::string& id) {
  pqxx::read_transaction tx(conn);
  try {
    auto record = schema::get_by_id(tx, id);
    tx.commit();
    return record;
  } catch (const schema::Error& e) {
    throw queue::PermanentError(e.what());
  }
}

nlohmann::json provision_outside(provisioners::Provisioner& provisioner, const JobContext& context,
                                 pqxx::connection& conn) {
  reject_unknown_fields(context.job().payload, {"database_id"});
  const auto record = read_record(conn, database_id(context.job().payload));
  // Already ready (a completed earlier run) or moved on: nothing to make.
  if (record.status != schema::DatabaseStatus::provisioning) {
    return {{"skipped", schema::to_string(record.status)}};
  }
  const auto details = provisioner.provision(record, context.interrupt());
  if (!details) throw queue::Snooze(kNotReadySnooze);
  return {{"host", details->host}, {"port", details->port}, {"secret_name", details->secret_name}};
}

nlohmann::json provision_commit(const JobContext& context) {
  const auto id = database_id(context.job().payload);
  const auto& outside = context.outside_result();
  if (outside.contains("skipped")) {
    return {{"database_id", id}, {"skipped", "record is " + outside["skipped"].get<std::string>()}};
  }
  const schema::ConnectionDetails details{outside["host"].get<std::string>(),
                                          outside["port"].get<int>(),
                                          outside["secret_name"].get<std::string>()};
  try {
    schema::transition(context.transaction(), id, schema::DatabaseStatus::ready, std::nullopt,
                       details);
  } catch (const schema::Error& e) {
    throw queue::PermanentError(e.what());
  }
  return {{"database_id", id},
          {"host", details.host},
          {"port", details.port},
          {"secret_name", details.secret_name}};
}

void provision_failed(pqxx::transaction_base& tx, const queue::Job& job, const std::string& error) {
  if (!job.payload.is_object() || !job.payload.contains("database_id")) return;
  const auto& id = job.payload["database_id"];
  if (!id.is_string() || !schema::is_uuid(id.get<std::string>())) return;
  const auto record = schema::find_by_id(tx, id.get<std::string>());
  if (!record || record->status != schema::DatabaseStatus::provisioning) return;
  schema::transition(tx, record->id, schema::DatabaseStatus::error,
                     "provisioning failed: " + error);
}

}  // namespace

void register_database_provision(HandlerRegistry& registry,
                                 std::shared_ptr<provisioners::Provisioner> provisioner) {
  Registration registration;
  registration.handler = provision_commit;
  registration.outside = [provisioner](const JobContext& context, pqxx::connection& conn) {
    return provision_outside(*provisioner, context, conn);
  };
  registration.on_failed = provision_failed;
  registration.timeout = kProvisioningTimeout;
  registry.add("database.provision", std::move(registration));
}

}  // namespace daap::worker::handlers
