#include "worker/handlers/payload.h"

#include "queue/errors.h"
#include "schema/database_record.h"

namespace daap::worker::handlers {

void require_object(const nlohmann::json& payload) {
  if (!payload.is_object()) {
    throw queue::PermanentError(std::string("payload must be a JSON object, got ") +
                                payload.type_name());
  }
}

void reject_unknown_fields(const nlohmann::json& payload, std::initializer_list<const char*> known) {
  require_object(payload);
  for (const auto& [field, value] : payload.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || field == k;
    if (ok) continue;
    std::string accepted;
    for (const char* k : known) accepted += (accepted.empty() ? "" : ", ") + std::string(k);
    std::string shown;
    for (const char c : field.substr(0, 64)) {
      shown += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    }
    throw queue::PermanentError("payload field '" + shown + "' is not known (accepted: " +
                                accepted + ")");
  }
}

std::optional<std::string> optional_string(const nlohmann::json& payload, const char* field) {
  const auto it = payload.find(field);
  if (it == payload.end()) return std::nullopt;
  if (!it->is_string()) {
    throw queue::PermanentError(std::string("payload field '") + field +
                                "' must be a string, got " + it->type_name());
  }
  return it->get<std::string>();
}

std::string required_string(const nlohmann::json& payload, const char* field) {
  auto value = optional_string(payload, field);
  if (!value) throw queue::PermanentError(std::string("payload field '") + field + "' is required");
  return *value;
}

std::string database_id(const nlohmann::json& payload) {
  require_object(payload);
  const auto id = payload.find("database_id");
  if (id == payload.end()) {
    throw queue::PermanentError("payload field 'database_id' is required (a UUID string)");
  }
  if (!id->is_string() || !schema::is_uuid(id->get<std::string>())) {
    throw queue::PermanentError("payload field 'database_id' must be a UUID string, got " +
                                id->dump());
  }
  return id->get<std::string>();
}

}  // namespace daap::worker::handlers
