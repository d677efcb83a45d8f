#include "schema/database_repository.h"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "schema/errors.h"
#include "schema/queries.h"

namespace daap::schema {
namespace {

Timestamp from_epoch_us(std::int64_t us) { return Timestamp{std::chrono::microseconds{us}}; }

std::int64_t to_epoch_us(Timestamp t) { return t.time_since_epoch().count(); }

// Every query returns the same columns, timestamps as epoch microseconds (exact).
DatabaseRecord read_record(const pqxx::row& row) {
  DatabaseRecord r;
  r.id = row["id"].as<std::string>();
  r.name = row["name"].as<std::string>();
  r.owner_team = row["owner_team"].as<std::string>();
  r.purpose = row["purpose"].as<std::string>();
  r.namespace_name = row["namespace"].as<std::string>();
  r.cluster_name = row["cluster_name"].as<std::string>();
  r.pooler_name = row["pooler_name"].as<std::string>();
  r.status = parse_status(row["status"].as<std::string>());
  r.host = row["host"].as<std::optional<std::string>>();
  r.port = row["port"].as<std::optional<int>>();
  r.secret_name = row["secret_name"].as<std::optional<std::string>>();
  r.error_message = row["error_message"].as<std::optional<std::string>>();
  r.created_at = from_epoch_us(row["created_at_us"].as<std::int64_t>());
  r.updated_at = from_epoch_us(row["updated_at_us"].as<std::int64_t>());
  if (!row["deleted_at_us"].is_null()) {
    r.deleted_at = from_epoch_us(row["deleted_at_us"].as<std::int64_t>());
  }
  return r;
}

std::optional<DatabaseRecord> read_optional(const pqxx::result& result) {
  if (result.empty()) return std::nullopt;
  return read_record(result.one_row());
}

// A malformed id would abort the caller's transaction with a cast error; refuse it first.
void check_id(std::string_view id) {
  if (!is_uuid(id)) throw InvalidInput("id", "must be a UUID, got '" + std::string(id) + "'");
}

std::string id_lookup(std::string_view id) { return "id '" + std::string(id) + "'"; }

DatabaseRecord lock(pqxx::transaction_base& tx, std::string_view id) {
  check_id(id);
  auto record = read_optional(tx.exec(sql::lock_database, pqxx::params{id}));
  if (!record) throw NotFound(id_lookup(id));
  return *std::move(record);
}

void validate_connection(const ConnectionDetails& c) {
  if (c.host.empty()) throw InvalidInput("host", "must not be empty");
  if (c.port < 1 || c.port > 65535) {
    throw InvalidInput("port", "must be between 1 and 65535, got " + std::to_string(c.port));
  }
  if (c.secret_name.empty()) throw InvalidInput("secret_name", "must not be empty");
}

// User text matched literally by LIKE: backslash (the default escape) guards the wildcards.
std::string escape_like(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\' || c == '%' || c == '_') out += '\\';
    out += c;
  }
  return out;
}

// --- Cursor: base64url (no padding) of {"sort": ..., "last": <sort key>, "id": ...}. ---

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::string_view in) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : in) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kBase64Url[(buffer >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += kBase64Url[(buffer << (6 - bits)) & 0x3f];
  return out;
}

std::optional<std::string> base64url_decode(std::string_view in) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : in) {
    const auto value = kBase64Url.find(c);
    if (value == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  // Leftover bits must be padding zeros of a whole encoding, not a truncated character.
  if (bits >= 6 || (buffer & ((1U << bits) - 1)) != 0) return std::nullopt;
  return out;
}

struct Cursor {
  std::variant<std::int64_t, std::string> last;  // created_at (epoch us) or name
  std::string id;
};

std::string encode_cursor(SortOrder sort, const DatabaseRecord& last) {
  nlohmann::json j{{"sort", std::string(to_string(sort))}, {"id", last.id}};
  if (sort == SortOrder::created_at) {
    j["last"] = to_epoch_us(last.created_at);
  } else {
    j["last"] = last.name;
  }
  return base64url_encode(j.dump());
}

Cursor decode_cursor(std::string_view text, SortOrder sort) {
  const auto bad = [](const std::string& why) { return InvalidInput("cursor", why); };
  const auto decoded = base64url_decode(text);
  if (!decoded) throw bad("is not a cursor returned by a previous page");
  const auto j = nlohmann::json::parse(*decoded, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("sort") || !j["sort"].is_string() ||
      !j.contains("id") || !j["id"].is_string() || !j.contains("last")) {
    throw bad("is not a cursor returned by a previous page");
  }
  if (j["sort"].get<std::string>() != to_string(sort)) {
    throw bad("belongs to a listing sorted by " + j["sort"].get<std::string>() + ", not by " +
              std::string(to_string(sort)));
  }
  Cursor cursor;
  cursor.id = j["id"].get<std::string>();
  if (!is_uuid(cursor.id)) throw bad("holds no valid id");
  const auto& last = j["last"];
  if (sort == SortOrder::created_at && last.is_number_integer()) {
    cursor.last = last.get<std::int64_t>();
  } else if (sort == SortOrder::name && last.is_string()) {
    cursor.last = last.get<std::string>();
    try {
      validate_name(std::get<std::string>(cursor.last));
    } catch (const InvalidInput&) {
      throw bad("holds no valid name");
    }
  } else {
    throw bad("holds no valid " + std::string(to_string(sort)));
  }
  return cursor;
}

}  // namespace

DatabaseRecord create(pqxx::transaction_base& tx, const NewDatabase& request) {
  validate(request);
  auto record = read_optional(tx.exec(
      sql::insert_database,
      pqxx::params{request.name, request.owner_team, request.purpose, request.namespace_name}));
  if (!record && find_by_active_name(tx, request.name)) throw NameTaken(request.name);
  if (!record) {
    throw InvalidInput("name", "'" + request.name +
                                   "' gives a Cluster or Pooler name that another active "
                                   "database already has in namespace '" +
                                   request.namespace_name + "'");
  }
  return *std::move(record);
}

std::optional<DatabaseRecord> find_by_id(pqxx::transaction_base& tx, std::string_view id) {
  check_id(id);
  return read_optional(tx.exec(sql::select_database_by_id, pqxx::params{id}));
}

DatabaseRecord get_by_id(pqxx::transaction_base& tx, std::string_view id) {
  auto record = find_by_id(tx, id);
  if (!record) throw NotFound(id_lookup(id));
  return *std::move(record);
}

std::optional<DatabaseRecord> find_by_active_name(pqxx::transaction_base& tx,
                                                  std::string_view name) {
  return read_optional(tx.exec(sql::select_database_by_active_name, pqxx::params{name}));
}

DatabaseRecord get_by_active_name(pqxx::transaction_base& tx, std::string_view name) {
  auto record = find_by_active_name(tx, name);
  if (!record) throw NotFound("active name '" + std::string(name) + "'");
  return *std::move(record);
}

DatabaseRecord update(pqxx::transaction_base& tx, std::string_view id,
                      const std::optional<std::string>& owner_team,
                      const std::optional<std::string>& purpose) {
  if (owner_team) validate_owner_team(*owner_team);
  if (purpose) validate_purpose(*purpose);
  check_id(id);
  // One statement in the usual case (the update carries its own status check); the reason it
  // did not apply is looked up only when it did not.
  if (owner_team || purpose) {
    if (auto updated =
            read_optional(tx.exec(sql::update_database_details, pqxx::params{id, owner_team, purpose}))) {
      return *std::move(updated);
    }
  }
  auto current = lock(tx, id);
  if (current.status == DatabaseStatus::deleting || current.status == DatabaseStatus::deleted) {
    throw WrongState(current.id, current.status, "update");
  }
  return current;
}

DatabaseRecord transition(pqxx::transaction_base& tx, std::string_view id, DatabaseStatus to,
                          const std::optional<std::string>& error_message,
                          const std::optional<ConnectionDetails>& connection) {
  if (error_message && to != DatabaseStatus::error && to != DatabaseStatus::degraded) {
    throw InvalidInput("error_message", "is recorded only by a transition to error or degraded");
  }
  if (connection && to != DatabaseStatus::ready) {
    throw InvalidInput("connection", "is recorded only by a transition to ready");
  }
  if (connection) validate_connection(*connection);
  auto next = lock(tx, id);
  // degraded -> degraded: what is wrong changed.
  if (!(next.status == DatabaseStatus::degraded && to == DatabaseStatus::degraded)) {
    check_transition(next.status, to);
  }
  const bool recovered = next.status == DatabaseStatus::degraded && to == DatabaseStatus::ready;
  next.status = to;
  if (to == DatabaseStatus::error || to == DatabaseStatus::degraded) {
    next.error_message = error_message;
  }
  if (to == DatabaseStatus::provisioning || recovered) next.error_message.reset();  // starts clean
  if (connection) {
    next.host = connection->host;
    next.port = connection->port;
    next.secret_name = connection->secret_name;
  }
  return read_record(tx.exec(sql::update_database_status,
                             pqxx::params{id, std::string(to_string(to)), next.error_message,
                                          next.host, next.port, next.secret_name})
                         .one_row());
}

std::vector<DatabaseRecord> find_to_reconcile(pqxx::transaction_base& tx) {
  std::vector<DatabaseRecord> records;
  for (const auto& row : tx.exec(sql::select_databases_to_reconcile)) {
    records.push_back(read_record(row));
  }
  return records;
}

std::vector<std::string> live_ids(pqxx::transaction_base& tx) {
  std::vector<std::string> ids;
  for (const auto& row : tx.exec(sql::select_live_database_ids)) {
    ids.push_back(row[0].as<std::string>());
  }
  return ids;
}

DatabaseRecord soft_delete(pqxx::transaction_base& tx, std::string_view id) {
  return transition(tx, id, DatabaseStatus::deleted);
}

std::string_view to_string(SortOrder sort) {
  return sort == SortOrder::name ? "name" : "created_at";
}

SortOrder parse_sort(std::string_view text) {
  if (text == "created_at") return SortOrder::created_at;
  if (text == "name") return SortOrder::name;
  throw InvalidInput("sort", "must be created_at or name, got '" + std::string(text) + "'");
}

ListPage list(pqxx::transaction_base& tx, const ListQuery& query) {
  if (query.limit < 1 || query.limit > kMaxListLimit) {
    throw InvalidInput("limit", "must be between 1 and " + std::to_string(kMaxListLimit) +
                                    ", got " + std::to_string(query.limit));
  }
  // Bytes PostgreSQL refuses would abort the caller's transaction: refuse them first.
  for (const auto& [field, value] :
       {std::pair{"owner_team", &query.owner_team}, std::pair{"namespace", &query.namespace_name},
        std::pair{"name_contains", &query.name_contains}}) {
    if (*value && !is_valid_text(**value)) {
      throw InvalidInput(field, "must be valid UTF-8 without NUL bytes");
    }
  }
  std::optional<Cursor> cursor;
  if (query.cursor) cursor = decode_cursor(*query.cursor, query.sort);

  std::optional<std::string> status;
  if (query.status) status = std::string(to_string(*query.status));
  std::optional<std::string> pattern;
  if (query.name_contains) pattern = escape_like(*query.name_contains);
  std::optional<std::string> after_id;
  if (cursor) after_id = cursor->id;

  // One more row than the page tells whether another page follows.
  const auto fetch = [&](std::string_view sql, const auto& after) {
    return tx.exec(sql, pqxx::params{query.owner_team, status, query.namespace_name, pattern,
                                     query.include_deleted, after, after_id, query.limit + 1});
  };
  pqxx::result rows;
  if (query.sort == SortOrder::created_at) {
    std::optional<std::int64_t> after;
    if (cursor) after = std::get<std::int64_t>(cursor->last);
    rows = fetch(sql::list_databases_by_created_at, after);
  } else {
    std::optional<std::string> after;
    if (cursor) after = std::get<std::string>(cursor->last);
    rows = fetch(sql::list_databases_by_name, after);
  }

  ListPage page;
  for (const auto& row : rows) page.items.push_back(read_record(row));
  if (page.items.size() > static_cast<std::size_t>(query.limit)) {
    page.items.pop_back();
    page.next_cursor = encode_cursor(query.sort, page.items.back());
  }
  return page;
}

std::vector<std::pair<std::string, std::int64_t>> count_by_status(pqxx::transaction_base& tx) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (const auto& row : tx.exec(sql::count_databases_by_status)) {
    out.emplace_back(row["status"].as<std::string>(), row["count"].as<std::int64_t>());
  }
  return out;
}

}  // namespace daap::schema
