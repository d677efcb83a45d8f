// Reads and writes daap.databases records. Every function runs inside the transaction the
// caller passes in, so a job's record change and the job's completion commit together.
// Errors are the typed, permanent ones of schema/errors.h; pqxx errors mean the database failed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "schema/database_record.h"

namespace daap::schema {

// Inserts a provisioning record after validate(request); the table derives cluster_name and
// pooler_name. Throws InvalidInput (also when another active record has the Cluster or Pooler
// name this one derives, in its namespace), or NameTaken when an active record has the name
// (the transaction stays usable).
DatabaseRecord create(pqxx::transaction_base& tx, const NewDatabase& request);

// The record with this id, deleted or not. Throws InvalidInput naming "id" if it is no UUID.
std::optional<DatabaseRecord> find_by_id(pqxx::transaction_base& tx, std::string_view id);
// As find_by_id, but throws NotFound when there is none.
DatabaseRecord get_by_id(pqxx::transaction_base& tx, std::string_view id);

// The record that holds `name` and is not deleted.
std::optional<DatabaseRecord> find_by_active_name(pqxx::transaction_base& tx,
                                                  std::string_view name);
// As find_by_active_name, but throws NotFound when there is none.
DatabaseRecord get_by_active_name(pqxx::transaction_base& tx, std::string_view name);

// Changes owner_team and/or purpose (nullopt keeps the value) of a record that is not deleting
// or deleted. Throws InvalidInput, NotFound, or WrongState.
DatabaseRecord update(pqxx::transaction_base& tx, std::string_view id,
                      const std::optional<std::string>& owner_team,
                      const std::optional<std::string>& purpose);

// Moves a record along the status lifecycle, holding its row lock until the caller commits.
// `error_message` is recorded only by a move to error or degraded (what is wrong), and
// `connection` only by a move to ready (either given for another target is InvalidInput). A
// retry (error -> provisioning) and a recovery (degraded -> ready) clear the error message; a
// move to deleted sets deleted_at. degraded -> degraded updates the message. Throws InvalidInput, NotFound, or
// InvalidTransition naming both states.
DatabaseRecord transition(pqxx::transaction_base& tx, std::string_view id, DatabaseStatus to,
                          const std::optional<std::string>& error_message = std::nullopt,
                          const std::optional<ConnectionDetails>& connection = std::nullopt);

// The records a reconcile checks: ready and degraded ones, oldest first.
std::vector<DatabaseRecord> find_to_reconcile(pqxx::transaction_base& tx);
// Ids of every record that is not deleted: the objects a provisioner may hold for a record.
std::vector<std::string> live_ids(pqxx::transaction_base& tx);

// Marks a record deleted (transition to deleted): it stays in the table, its name is free again.
DatabaseRecord soft_delete(pqxx::transaction_base& tx, std::string_view id);

// Records per status, every status included (0 when none), in lifecycle order.
std::vector<std::pair<std::string, std::int64_t>> count_by_status(pqxx::transaction_base& tx);

// Orders of list(); ascending, id breaks ties.
enum class SortOrder { created_at, name };

std::string_view to_string(SortOrder sort);
// Parses "created_at" or "name"; throws InvalidInput naming "sort".
SortOrder parse_sort(std::string_view text);

inline constexpr int kDefaultListLimit = 50;
inline constexpr int kMaxListLimit = 1000;

// Filters and page of list(). Unset filters do not filter.
struct ListQuery {
  std::optional<std::string> owner_team{};
  std::optional<DatabaseStatus> status{};
  std::optional<std::string> namespace_name{};
  // Case-insensitive substring of the name; '%', '_' and '\' match themselves.
  std::optional<std::string> name_contains{};
  bool include_deleted = false;
  SortOrder sort = SortOrder::created_at;
  int limit = kDefaultListLimit;  // 1..kMaxListLimit
  // next_cursor of the previous page, with the same sort; absent for the first page.
  std::optional<std::string> cursor{};
};

// One page of list(). next_cursor is set only when more rows may follow.
struct ListPage {
  std::vector<DatabaseRecord> items{};
  std::optional<std::string> next_cursor{};
};

// A page of records by keyset pagination: rows added or removed between pages never make
// another row repeat or go missing. Throws InvalidInput naming "limit" or "cursor".
ListPage list(pqxx::transaction_base& tx, const ListQuery& query);

}  // namespace daap::schema
