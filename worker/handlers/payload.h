// Reading job payloads: each helper throws queue::PermanentError naming the field.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace daap::worker::handlers {

// Throws unless the payload is a JSON object.
void require_object(const nlohmann::json& payload);
// Throws naming the first field of `payload` not in `known` (a misspelt field must not be
// silently ignored), and the fields that are accepted.
void reject_unknown_fields(const nlohmann::json& payload, std::initializer_list<const char*> known);
// A string field; nullopt when absent.
std::optional<std::string> optional_string(const nlohmann::json& payload, const char* field);
// A string field that must be present.
std::string required_string(const nlohmann::json& payload, const char* field);
// payload.database_id: a UUID string.
std::string database_id(const nlohmann::json& payload);

}  // namespace daap::worker::handlers
