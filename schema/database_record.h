// A managed database's record in daap.databases: its fields, status lifecycle and validation.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace daap::schema {

// PostgreSQL timestamptz precision: microseconds, UTC.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

// Lifecycle of a record (the table's status column).
// degraded: was ready, but a reconcile (database.reconcile) found its database, role or secret
// missing or not logging in; ready again once a later reconcile finds it whole.
enum class DatabaseStatus { provisioning, ready, degraded, error, deleting, deleted };

// The status as stored in the status column ("provisioning", ...).
std::string_view to_string(DatabaseStatus status);

// Parses a status column value; throws InvalidInput naming "status".
DatabaseStatus parse_status(std::string_view text);

// Whether the lifecycle allows from -> to:
// provisioning->ready|error, ready->deleting|degraded, degraded->ready|deleting,
// error->deleting|provisioning, deleting->deleted.
bool can_transition(DatabaseStatus from, DatabaseStatus to);

// Throws InvalidTransition naming both states unless can_transition(from, to).
void check_transition(DatabaseStatus from, DatabaseStatus to);

// Where clients connect once a database is ready. The credentials live in the secret.
struct ConnectionDetails {
  std::string host{};
  int port = 5432;
  std::string secret_name{};
};

// One row of daap.databases.
struct DatabaseRecord {
  std::string id{};  // uuid, lowercase canonical text
  std::string name{};
  std::string owner_team{};
  std::string purpose{};
  std::string namespace_name;  // column "namespace" (a C++ keyword)
  std::string cluster_name{};
  std::string pooler_name{};
  DatabaseStatus status = DatabaseStatus::provisioning;
  std::optional<std::string> host{};
  std::optional<int> port{};
  std::optional<std::string> secret_name{};
  std::optional<std::string> error_message{};
  Timestamp created_at{};
  Timestamp updated_at{};
  std::optional<Timestamp> deleted_at{};
};

// A request to create a record (it starts as provisioning).
struct NewDatabase {
  std::string name{};
  std::string owner_team{};
  std::string purpose{};
  std::string namespace_name = "default";
};

// Limits of the free-text and identifier fields, in characters (UTF-8 code points).
inline constexpr std::size_t kMaxDnsLabelLength = 63;
inline constexpr std::size_t kMaxOwnerTeamLength = 255;
// The table allows any length; a cap keeps job payloads and listings reasonable.
inline constexpr std::size_t kMaxPurposeLength = 4096;

// Field validators; each throws InvalidInput naming the field and what is wrong.
// name / namespace: a Kubernetes DNS label (lowercase letters, digits, '-', starts with a
// letter, ends alphanumeric, at most 63 characters).
void validate_name(std::string_view name);
void validate_namespace(std::string_view namespace_name);
// owner_team: not blank, at most 255 characters, valid UTF-8.
void validate_owner_team(std::string_view owner_team);
// purpose: may be empty, at most 4096 characters, valid UTF-8.
void validate_purpose(std::string_view purpose);
// All of the above for a new record.
void validate(const NewDatabase& request);

// Whether text is valid UTF-8 without NUL bytes: what a PostgreSQL text value can hold.
bool is_valid_text(std::string_view text);

// Whether text is a UUID in 8-4-4-4-12 hex form (either case).
bool is_uuid(std::string_view text);

// RFC 3339 in UTC with microseconds: "2024-05-01T12:00:00.123456Z".
std::string format_rfc3339(Timestamp t);

// JSON object with the column names as keys; timestamps in RFC 3339 UTC, absent values null.
void to_json(nlohmann::json& out, const DatabaseRecord& record);

}  // namespace daap::schema
