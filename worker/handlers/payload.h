// Reading job payloads: each helper throws queue::PermanentError naming the field.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace daap::worker::handlers {

// Throws unless the payload is a JSON object.
void require_object(const nlohmann::json& payload);
// A string field; nullopt when absent.
std::optional<std::string> optional_string(const nlohmann::json& payload, const char* field);
// A string field that must be present.
std::string required_string(const nlohmann::json& payload, const char* field);
// payload.database_id: a UUID string.
std::string database_id(const nlohmann::json& payload);

}  // namespace daap::worker::handlers
