// database.update: changes owner_team and/or purpose of an active record, in the job's
// transaction. A bad payload or a record that cannot be updated fails the job at once.
#include <optional>
#include <string>

#include "queue/errors.h"
#include "schema/database_record.h"
#include "schema/database_repository.h"
#include "schema/errors.h"
#include "worker/handlers/handlers.h"
#include "worker/handlers/payload.h"

namespace daap::worker::handlers {
namespace {

struct UpdateRequest {
  std::string database_id;
  std::optional<std::string> owner_team;
  std::optional<std::string> purpose;
};

UpdateRequest parse(const nlohmann::json& payload) {
  reject_unknown_fields(payload, {"database_id", "owner_team", "purpose"});
  UpdateRequest request;
  request.database_id = database_id(payload);
  request.owner_team = optional_string(payload, "owner_team");
  request.purpose = optional_string(payload, "purpose");
  if (!request.owner_team && !request.purpose) {
    throw queue::PermanentError(
        "payload needs at least one of the fields 'owner_team' and 'purpose'");
  }
  return request;
}

nlohmann::json update_database(const JobContext& context) {
  const auto request = parse(context.job().payload);
  try {
    const auto record = schema::update(context.transaction(), request.database_id,
                                       request.owner_team, request.purpose);
    return nlohmann::json(record);
  } catch (const schema::Error& e) {
    if (e.permanent()) throw queue::PermanentError(e.what());
    throw;
  }
}

}  // namespace

void register_database_update(HandlerRegistry& registry) {
  Registration registration;
  registration.handler = update_database;
  registration.group = true;
  registration.timeout = std::chrono::minutes(1);
  registry.add("database.update", std::move(registration));
}

}  // namespace daap::worker::handlers
