// database.create: validates the request, inserts the record as provisioning and enqueues its
// database.provision job, all in the job's transaction.
#include "queue/enqueue.h"
#include "queue/errors.h"
#include "schema/database_repository.h"
#include "schema/errors.h"
#include "worker/handlers/handlers.h"
#include "worker/handlers/payload.h"

namespace daap::worker::handlers {
namespace {

schema::NewDatabase parse(const nlohmann::json& payload) {
  reject_unknown_fields(payload, {"name", "owner_team", "purpose", "namespace"});
  schema::NewDatabase request;
  request.name = required_string(payload, "name");
  request.owner_team = required_string(payload, "owner_team");
  request.purpose = optional_string(payload, "purpose").value_or("");
  request.namespace_name = optional_string(payload, "namespace").value_or("default");
  return request;
}

nlohmann::json create_database(const JobContext& context) {
  const auto& job = context.job();
  const auto request = parse(job.payload);
  auto& tx = context.transaction();
  try {
    const auto record = schema::create(tx, request);
    enqueue_provision(tx, record.id, job.queue, job.max_attempts);
    return {{"database_id", record.id}};
  } catch (const schema::Error& e) {
    if (e.permanent()) throw queue::PermanentError(e.what());
    throw;
  }
}

}  // namespace

queue::JobId enqueue_provision(pqxx::transaction_base& tx, const std::string& database_id,
                               const std::string& queue_name, int max_attempts) {
  queue::NewJob provision;
  provision.kind = "database.provision";
  provision.payload = {{"database_id", database_id}};
  provision.queue = queue_name;
  provision.max_attempts = max_attempts;
  provision.unique_key = "provision:" + database_id;
  provision.database_id = database_id;
  return queue::enqueue(tx, provision);
}

void register_database_create(HandlerRegistry& registry) {
  Registration registration;
  registration.handler = create_database;
  registration.group = true;
  registration.timeout = std::chrono::minutes(1);
  registry.add("database.create", std::move(registration));
}

}  // namespace daap::worker::handlers
