// daapctl databases: list and show the platform's databases records.
#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "queue/admin.h"
#include "queue/enqueue.h"
#include "schema/database_repository.h"
#include "schema/errors.h"
#include "worker/admin/database_retry.h"
#include "worker/daapctl/commands.h"

namespace po = boost::program_options;

namespace daap::worker::daapctl {
namespace {

constexpr const char* kUsage =
    "daapctl databases list [--owner-team T] [--status S] [--namespace N] "
    "[--name-contains TEXT] [--include-deleted] [--sort created_at|name] [--limit N] "
    "[--cursor C] [--output table|json]\n"
    "       daapctl databases show ID|NAME [--output table|json]   (the record and its jobs)\n"
    "       daapctl databases retry ID|NAME   (an error record: provision it again)\n"
    "       daapctl databases reconcile [ID|NAME]   (check ready and degraded records against\n"
    "                                               the provisioner: enqueues database.reconcile)";

// Flags that only mean something to `list`.
const std::vector<std::string> kListFlags = {"owner-team",    "status",          "namespace",
                                             "name-contains", "include-deleted", "sort",
                                             "limit",         "cursor"};

// `show` lists this many of the record's newest jobs.
constexpr int kShownJobs = 20;
// `show` aligns the record's values after the longest field name ("error_message:").
constexpr std::size_t kFieldWidth = 15;

enum class Output { table, json };

Output parse_output(const std::string& text) {
  if (text == "table") return Output::table;
  if (text == "json") return Output::json;
  throw UsageError("--output must be table or json, got '" + text + "'");
}

// The flag that carries a schema field ("owner_team" -> "--owner-team").
std::string flag_of(std::string field) {
  std::replace(field.begin(), field.end(), '_', '-');
  return "--" + field;
}

std::optional<std::string> optional_flag(const po::variables_map& vm, const std::string& name) {
  if (vm.count(name) == 0U) return std::nullopt;
  return vm[name].as<std::string>();
}

// Other services write this table too: keep control characters from breaking the layout.
std::string printable(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return text;
}

// Pretty JSON; bytes that are not UTF-8 (possible in a SQL_ASCII database) become U+FFFD.
std::string to_json_text(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

int list(const po::variables_map& vm, Output output) {
  schema::ListQuery query;
  query.owner_team = optional_flag(vm, "owner-team");
  query.namespace_name = optional_flag(vm, "namespace");
  query.name_contains = optional_flag(vm, "name-contains");
  query.include_deleted = vm.count("include-deleted") != 0U;
  query.cursor = optional_flag(vm, "cursor");
  try {
    if (const auto status = optional_flag(vm, "status"))
      query.status = schema::parse_status(*status);
    if (const auto sort = optional_flag(vm, "sort")) query.sort = schema::parse_sort(*sort);
  } catch (const schema::InvalidInput& e) {
    throw UsageError(flag_of(e.field()) + " " + e.problem());
  }
  if (vm.count("limit") != 0U) query.limit = vm["limit"].as<int>();
  if (query.limit < 1 || query.limit > schema::kMaxListLimit) {
    throw UsageError("--limit must be between 1 and " + std::to_string(schema::kMaxListLimit) +
                     ", got " + std::to_string(query.limit));
  }

  pqxx::connection conn(read_database_url(vm));
  pqxx::read_transaction tx(conn);
  schema::ListPage page;
  try {
    page = schema::list(tx, query);
  } catch (const schema::InvalidInput& e) {
    throw UsageError(flag_of(e.field()) + " " + e.problem());
  }

  if (output == Output::json) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& record : page.items) items.push_back(record);
    const nlohmann::json out{
        {"items", items},
        {"next_cursor", page.next_cursor ? nlohmann::json(*page.next_cursor) : nullptr}};
    std::cout << to_json_text(out) << "\n";
    return 0;
  }
  if (page.items.empty()) {
    std::cout << "no databases match\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    const auto now = now_seconds();
    for (const auto& r : page.items) {
      rows.push_back({r.id, r.name, r.namespace_name, printable(r.owner_team),
                      std::string(schema::to_string(r.status)),
                      relative_text(std::chrono::floor<std::chrono::seconds>(r.created_at), now)});
    }
    // The id whole: it is what the other commands take.
    print_table(std::cout, {"ID", "NAME", "NAMESPACE", "OWNER_TEAM", "STATUS", "CREATED"}, rows,
                {"ID"});
  }
  if (page.next_cursor) std::cout << "next cursor: " << *page.next_cursor << "\n";
  return 0;
}

int show(const po::variables_map& vm, Output output) {
  if (vm.count("argument") == 0U) throw UsageError("show needs an ID or NAME");
  for (const auto& flag : kListFlags) {
    if (vm.count(flag) != 0U) throw UsageError("--" + flag + " applies to list only");
  }
  const std::string key = vm["argument"].as<std::string>();

  pqxx::connection conn(read_database_url(vm));
  pqxx::read_transaction tx(conn);
  std::optional<schema::DatabaseRecord> record;
  // A UUID is looked up as an id first; a name can look like one, so fall back to the name.
  if (schema::is_uuid(key)) record = schema::find_by_id(tx, key);
  if (!record) record = schema::find_by_active_name(tx, key);
  if (!record) {
    std::cerr << "daapctl databases show: no database with "
              << (schema::is_uuid(key) ? "id or active name '" : "active name '") << key << "'\n";
    return 1;
  }

  nlohmann::json j = *record;
  const auto jobs = queue::jobs_of_database(tx, record->id, kShownJobs);
  if (output == Output::json) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& job : jobs) items.push_back(queue::to_json(job));
    j["jobs"] = items;
    std::cout << to_json_text(j) << "\n";
    return 0;
  }
  const auto now = now_seconds();
  for (const auto* field :
       {"id", "name", "owner_team", "purpose", "namespace", "cluster_name", "pooler_name", "status",
        "host", "port", "secret_name", "error_message", "created_at", "updated_at", "deleted_at"}) {
    const auto& value = j[field];
    std::string text = value.is_null()     ? "-"
                       : value.is_string() ? printable(value.get<std::string>())
                                           : value.dump();
    if (std::string_view(field).ends_with("_at") && parse_timestamp(text)) {
      text = utc_text(text) + " (" + relative_text(text, now) + ")";
    }
    std::cout << field << ":" << std::string(kFieldWidth - std::string_view(field).size(), ' ')
              << text << "\n";
  }
  std::cout << "\njobs (newest first, at most " << kShownJobs << "):\n";
  if (jobs.empty()) {
    // daap.enqueue links a job to its record only when given database_id.
    std::cout << "none linked (a job is linked by its database_id column; finished ones are "
                 "pruned)\n";
    return 0;
  }
  std::vector<std::vector<std::string>> job_rows;
  for (const auto& job : jobs) {
    job_rows.push_back({std::to_string(job.id), printable(job.kind),
                        std::string(queue::to_string(job.state)),
                        std::to_string(job.attempt) + "/" + std::to_string(job.max_attempts),
                        relative_text(job.created_at, now),
                        job.finished_at ? relative_text(*job.finished_at, now) : "-",
                        printable(job.last_error.value_or("-"))});
  }
  print_table(std::cout, {"ID", "KIND", "STATE", "ATTEMPT", "CREATED", "FINISHED_AT", "LAST_ERROR"},
              job_rows);
  return 0;
}

// error -> provisioning and a new database.provision job, in one transaction.
int retry(const po::variables_map& vm) {
  if (vm.count("argument") == 0U) throw UsageError("retry needs an ID or NAME");
  for (const auto& flag : kListFlags) {
    if (vm.count(flag) != 0U) throw UsageError("--" + flag + " applies to list only");
  }
  const std::string key = vm["argument"].as<std::string>();
  pqxx::connection conn(read_database_url(vm));
  pqxx::work tx(conn);
  std::optional<schema::DatabaseRecord> record;
  if (schema::is_uuid(key)) record = schema::find_by_id(tx, key);
  if (!record) record = schema::find_by_active_name(tx, key);
  if (!record) {
    std::cerr << "daapctl databases retry: no database with "
              << (schema::is_uuid(key) ? "id or active name '" : "active name '") << key << "'\n";
    return 1;
  }
  try {
    const auto retried = admin::retry_database(tx, *record);
    tx.commit();
    std::cout << "database '" << record->name << "' (" << record->id
              << ") is provisioning again: job " << retried.job_id << " on queue "
              << retried.queue << " with " << retried.max_attempts << " attempts"
              << (retried.original_job ? " (as job " + std::to_string(*retried.original_job) + ")"
                                       : " (no earlier job of it is left: the defaults)")
              << "\n";
    return 0;
  } catch (const admin::NotRetryable& e) {
    std::cerr << "daapctl databases retry: " << e.what() << "\n";
    return 1;
  }
}

// Enqueues database.reconcile for one record (ready or degraded) or, without ID|NAME, for all.
int reconcile(const po::variables_map& vm) {
  for (const auto& flag : kListFlags) {
    if (vm.count(flag) != 0U) throw UsageError("--" + flag + " applies to list only");
  }
  pqxx::connection conn(read_database_url(vm));
  pqxx::work tx(conn);
  queue::NewJob job;
  job.kind = "database.reconcile";
  job.payload = nlohmann::json::object();
  job.max_attempts = 3;
  std::string what = "every ready and degraded database";
  if (vm.count("argument") != 0U) {
    const std::string key = vm["argument"].as<std::string>();
    std::optional<schema::DatabaseRecord> record;
    if (schema::is_uuid(key)) record = schema::find_by_id(tx, key);
    if (!record) record = schema::find_by_active_name(tx, key);
    if (!record) {
      std::cerr << "daapctl databases reconcile: no database with "
                << (schema::is_uuid(key) ? "id or active name '" : "active name '") << key
                << "'\n";
      return 1;
    }
    if (record->status != schema::DatabaseStatus::ready &&
        record->status != schema::DatabaseStatus::degraded) {
      std::cerr << "daapctl databases reconcile: database '" << record->name << "' ("
                << record->id << ") is " << schema::to_string(record->status)
                << "; only ready and degraded databases are reconciled\n";
      return 1;
    }
    job.payload = {{"database_id", record->id}};
    job.database_id = record->id;
    job.unique_key = "reconcile:" + record->id;
    what = "database '" + record->name + "' (" + record->id + ")";
  } else {
    job.unique_key = "reconcile:all";
  }
  const auto job_id = queue::enqueue(tx, job);
  tx.commit();
  std::cout << "reconciling " << what << ": job " << job_id << "\n";
  return 0;
}

}  // namespace

int databases_command(const Args& args) {
  po::options_description options("databases options");
  options.add_options()("owner-team", po::value<std::string>(), "list: only this owner team")(
      "status", po::value<std::string>(),
      "list: only this status (provisioning, ready, degraded, error, deleting, deleted)")(
      "namespace", po::value<std::string>(), "list: only this namespace")(
      "name-contains", po::value<std::string>(),
      "list: names containing TEXT, case-insensitive ('%' and '_' match themselves)")(
      "include-deleted", "list: include deleted records")("sort", po::value<std::string>(),
                                                          "list: created_at (default) or name")(
      "limit", po::value<int>(), "list: page size, 1..1000 (default 50)")(
      "cursor", po::value<std::string>(), "list: the next cursor printed by the previous page")(
      "output,o", po::value<std::string>()->default_value("table"), "table or json")(
      "action", po::value<std::string>(), "list, show, retry or reconcile")(
      "argument", po::value<std::string>(), "show, retry, reconcile: ID or NAME");
  po::positional_options_description positional;
  positional.add("action", 1).add("argument", 1);
  po::variables_map vm;
  if (!parse_command_line(args, kUsage, options, positional, vm)) return 0;
  if (vm.count("action") == 0U) {
    throw UsageError("missing action: list, show, retry or reconcile");
  }

  const std::string action = vm["action"].as<std::string>();
  const Output output = parse_output(vm["output"].as<std::string>());
  if (action == "list") {
    if (vm.count("argument") != 0U) {
      throw UsageError("list takes no argument, got '" + vm["argument"].as<std::string>() + "'");
    }
    return list(vm, output);
  }
  if (action == "show") return show(vm, output);
  if (action == "retry") return retry(vm);
  if (action == "reconcile") return reconcile(vm);
  throw UsageError("unknown action '" + action + "'");
}

}  // namespace daap::worker::daapctl
