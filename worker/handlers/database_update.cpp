// database.update: changes owner_team and/or purpose of an active record, in the job's
// transaction. A bad payload or a record that cannot be updated fails the job at once.
#include <optional>
#include <string>

#include "queue/errors.h"
#include "schema/database_record.h"
#include "schema/database_repository.h"
#include "schema/errors.h"
#include "worker/handlers/handlers.h"

namespace daap::worker::handlers {
namespace {

struct UpdateRequest {
  std::string database_id;
  std::optional<std::string> owner_team;
  std::optional<std::string> purpose;
};

std::string json_type(const nlohmann::json& value) { return value.type_name(); }

std::optional<std::string> optional_string(const nlohmann::json& payload, const char* field) {
  const auto it = payload.find(field);
  if (it == payload.end()) return std::nullopt;
  if (!it->is_string()) {
    throw queue::PermanentError(std::string("payload field '") + field +
                                "' must be a string, got " + json_type(*it));
  }
  return it->get<std::string>();
}

UpdateRequest parse(const nlohmann::json& payload) {
  if (!payload.is_object()) {
    throw queue::PermanentError("payload must be a JSON object, got " + json_type(payload));
  }
  UpdateRequest request;
  const auto id = payload.find("database_id");
  if (id == payload.end()) {
    throw queue::PermanentError("payload field 'database_id' is required (a UUID string)");
  }
  if (!id->is_string() || !schema::is_uuid(id->get<std::string>())) {
    throw queue::PermanentError("payload field 'database_id' must be a UUID string, got " +
                                id->dump());
  }
  request.database_id = id->get<std::string>();
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
  registry.add("database.update", update_database);
}

}  // namespace daap::worker::handlers
