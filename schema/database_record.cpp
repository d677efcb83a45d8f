#include "schema/database_record.h"

#include <array>
#include <cstdio>

#include "schema/errors.h"

namespace daap::schema {
namespace {

constexpr std::array<std::pair<DatabaseStatus, std::string_view>, 6> kStatusNames = {{
    {DatabaseStatus::provisioning, "provisioning"},
    {DatabaseStatus::ready, "ready"},
    {DatabaseStatus::degraded, "degraded"},
    {DatabaseStatus::error, "error"},
    {DatabaseStatus::deleting, "deleting"},
    {DatabaseStatus::deleted, "deleted"},
}};

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A character for an error message: printable ASCII as is, anything else as \xNN.
std::string show_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7f) return std::string(1, c);
  std::array<char, 8> buf{};
  std::snprintf(buf.data(), buf.size(), "\\x%02x", byte);
  return buf.data();
}

// Number of code points when `text` is valid UTF-8 without NUL (PostgreSQL text refuses both),
// else nullopt. varchar(n) limits count code points, so lengths are checked in these.
std::optional<std::size_t> utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++count) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    char32_t cp = 0;
    if (lead == 0) return std::nullopt;
    if (lead < 0x80) {
      cp = lead;
    } else if ((lead & 0xe0) == 0xc0) {
      extra = 1;
      cp = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
      extra = 2;
      cp = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
      extra = 3;
      cp = lead & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + extra >= text.size()) return std::nullopt;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cont = static_cast<unsigned char>(text[i + k]);
      if ((cont & 0xc0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (cont & 0x3f);
    }
    constexpr std::array<char32_t, 4> kMinForLength = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return std::nullopt;  // overlong, out of range, or a surrogate
    }
    i += extra + 1;
  }
  return count;
}

void validate_dns_label(std::string_view field, std::string_view value) {
  const std::string f(field);
  if (value.empty()) throw InvalidInput(f, "must not be empty");
  if (value.size() > kMaxDnsLabelLength) {
    throw InvalidInput(f, "must be at most 63 characters, got " + std::to_string(value.size()));
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (!is_lower(c) && !is_digit(c) && c != '-') {
      throw InvalidInput(f, "may contain only lowercase letters, digits and '-', found '" +
                                show_char(c) + "' at position " + std::to_string(i + 1));
    }
  }
  if (!is_lower(value.front())) throw InvalidInput(f, "must start with a lowercase letter");
  if (value.back() == '-') throw InvalidInput(f, "must end with a lowercase letter or digit");
}

std::size_t validate_text(std::string_view field, std::string_view value, std::size_t max) {
  const auto length = utf8_length(value);
  if (!length) throw InvalidInput(std::string(field), "must be valid UTF-8 without NUL bytes");
  if (*length > max) {
    throw InvalidInput(std::string(field), "must be at most " + std::to_string(max) +
                                               " characters, got " + std::to_string(*length));
  }
  return *length;
}

}  // namespace

std::string_view to_string(DatabaseStatus status) {
  for (const auto& [value, name] : kStatusNames) {
    if (value == status) return name;
  }
  return "unknown";
}

DatabaseStatus parse_status(std::string_view text) {
  for (const auto& [value, name] : kStatusNames) {
    if (name == text) return value;
  }
  throw InvalidInput("status",
                     "must be one of provisioning, ready, degraded, error, deleting, deleted; got '" +
                         std::string(text) + "'");
}

bool can_transition(DatabaseStatus from, DatabaseStatus to) {
  using S = DatabaseStatus;
  switch (from) {
    case S::provisioning:
      return to == S::ready || to == S::error;
    case S::ready:
      return to == S::deleting || to == S::degraded;
    case S::degraded:  // ready again when a reconcile finds it whole
      return to == S::ready || to == S::deleting;
    case S::error:
      return to == S::deleting || to == S::provisioning;  // provisioning again is a retry
    case S::deleting:
      return to == S::deleted;
    case S::deleted:
      return false;
  }
  return false;
}

void check_transition(DatabaseStatus from, DatabaseStatus to) {
  if (!can_transition(from, to)) throw InvalidTransition(from, to);
}

void validate_name(std::string_view name) { validate_dns_label("name", name); }

void validate_namespace(std::string_view namespace_name) {
  validate_dns_label("namespace", namespace_name);
}

void validate_owner_team(std::string_view owner_team) {
  validate_text("owner_team", owner_team, kMaxOwnerTeamLength);
  if (owner_team.find_first_not_of(" \t\n\r\f\v") == std::string_view::npos) {
    throw InvalidInput("owner_team", "must not be blank");
  }
}

void validate_purpose(std::string_view purpose) {
  validate_text("purpose", purpose, kMaxPurposeLength);
}

void validate(const NewDatabase& request) {
  validate_name(request.name);
  validate_owner_team(request.owner_team);
  validate_purpose(request.purpose);
  validate_namespace(request.namespace_name);
}

bool is_valid_text(std::string_view text) { return utf8_length(text).has_value(); }

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!is_digit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F')) {
      return false;
    }
  }
  return true;
}

std::string format_rfc3339(Timestamp t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<microseconds> time{t - day};
  std::array<char, 40> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()),
                static_cast<long long>(time.subseconds().count()));
  return buf.data();
}

void to_json(nlohmann::json& out, const DatabaseRecord& record) {
  auto optional = [](const auto& value) -> nlohmann::json {
    if (!value) return nullptr;
    return *value;
  };
  out = nlohmann::json{
      {"id", record.id},
      {"name", record.name},
      {"owner_team", record.owner_team},
      {"purpose", record.purpose},
      {"namespace", record.namespace_name},
      {"cluster_name", record.cluster_name},
      {"pooler_name", record.pooler_name},
      {"status", std::string(to_string(record.status))},
      {"host", optional(record.host)},
      {"port", optional(record.port)},
      {"secret_name", optional(record.secret_name)},
      {"error_message", optional(record.error_message)},
      {"created_at", format_rfc3339(record.created_at)},
      {"updated_at", format_rfc3339(record.updated_at)},
      {"deleted_at", record.deleted_at ? nlohmann::json(format_rfc3339(*record.deleted_at))
                                       : nlohmann::json(nullptr)},
  };
}

}  // namespace daap::schema
