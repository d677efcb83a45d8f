// database.reconcile: payload {} (every ready and degraded record) or {database_id} (that one).
// Asks the provisioner, outside the job's transaction and without changing anything there,
// whether each record's database, role and secret still exist and the secret logs in; then, in
// the job's transaction, moves a ready record that drifted to degraded (error_message says what
// is missing), a degraded one found whole back to ready, and reports orphans: objects carrying
// the provisioner's mark with no live record, in a log line and the job's result, never dropped.
#include <map>

#include "queue/errors.h"
#include "schema/database_repository.h"
#include "schema/errors.h"
#include "worker/handlers/handlers.h"
#include "worker/handlers/payload.h"
#include "worker/logging.h"

namespace daap::worker::handlers {
namespace {

using spdlog::level::level_enum;

nlohmann::json reconcile_outside(provisioners::Provisioner& provisioner, const JobContext& context,
                                 pqxx::connection& conn) {
  const auto& payload = context.job().payload;
  reject_unknown_fields(payload, {"database_id"});
  std::vector<schema::DatabaseRecord> records;
  std::vector<std::string> live;
  {
    pqxx::read_transaction tx(conn);
    try {
      if (payload.contains("database_id")) {
        const auto record = schema::get_by_id(tx, database_id(payload));
        if (record.status != schema::DatabaseStatus::ready &&
            record.status != schema::DatabaseStatus::degraded) {
          throw queue::PermanentError("database " + record.id + " is " +
                                      std::string(schema::to_string(record.status)) +
                                      ": only ready and degraded records are reconciled");
        }
        records.push_back(record);
      } else {
        records = schema::find_to_reconcile(tx);
      }
      live = schema::live_ids(tx);
    } catch (const schema::Error& e) {
      throw queue::PermanentError(e.what());
    }
  }
  const auto report = provisioner.reconcile(records, live, context.interrupt());
  auto health = nlohmann::json::array();
  for (const auto& r : report.records) {
    health.push_back({{"database_id", r.database_id},
                      {"problem", r.problem ? nlohmann::json(*r.problem) : nullptr}});
  }
  auto orphans = nlohmann::json::array();
  for (const auto& o : report.orphans) {
    orphans.push_back({{"object", o.object}, {"database_id", o.database_id}});
  }
  return {{"records", health}, {"orphans", orphans}};
}

nlohmann::json reconcile_commit(const JobContext& context) {
  const auto& outside = context.outside_result();
  auto& tx = context.transaction();
  auto degraded = nlohmann::json::array();
  auto recovered = nlohmann::json::array();
  int healthy = 0;
  for (const auto& r : outside["records"]) {
    const auto id = r["database_id"].get<std::string>();
    const auto problem = r["problem"].is_null()
                             ? std::nullopt
                             : std::optional<std::string>(r["problem"].get<std::string>());
    // The record may have moved on (deleting) while the provisioner was asked: leave it.
    const auto record = schema::find_by_id(tx, id);
    if (!record) continue;
    if (problem) {
      const bool changed =
          record->status == schema::DatabaseStatus::ready ||
          (record->status == schema::DatabaseStatus::degraded && record->error_message != problem);
      if (changed) schema::transition(tx, id, schema::DatabaseStatus::degraded, problem);
      if (record->status == schema::DatabaseStatus::ready ||
          record->status == schema::DatabaseStatus::degraded) {
        degraded.push_back({{"database_id", id}, {"name", record->name}, {"problem", *problem}});
        if (record->status == schema::DatabaseStatus::ready) {
          log(level_enum::warn,
              "database degraded: what its record says is no longer there; re-create it "
              "(database.delete, then database.create) or restore what is missing",
              {{"database_id", id}, {"name", record->name}, {"problem", *problem}});
        }
      }
    } else if (record->status == schema::DatabaseStatus::degraded) {
      schema::transition(tx, id, schema::DatabaseStatus::ready);
      recovered.push_back({{"database_id", id}, {"name", record->name}});
      log(level_enum::info, "database ready again: reconcile found it whole",
          {{"database_id", id}, {"name", record->name}});
    } else if (record->status == schema::DatabaseStatus::ready) {
      ++healthy;
    }
  }
  for (const auto& o : outside["orphans"]) {
    log(level_enum::warn,
        "orphan: an object the provisioner marked belongs to no live record; it was left in "
        "place: drop it by hand if nothing needs it",
        {{"object", o["object"]}, {"database_id", o["database_id"]}});
  }
  return {{"checked", outside["records"].size()},
          {"healthy", healthy},
          {"degraded", degraded},
          {"recovered", recovered},
          {"orphans", outside["orphans"]}};
}

}  // namespace

void register_database_reconcile(HandlerRegistry& registry,
                                 std::shared_ptr<provisioners::Provisioner> provisioner) {
  Registration registration;
  registration.handler = reconcile_commit;
  registration.outside = [provisioner](const JobContext& context, pqxx::connection& conn) {
    return reconcile_outside(*provisioner, context, conn);
  };
  registration.timeout = kProvisioningTimeout;
  registry.add("database.reconcile", std::move(registration));
}

}  // namespace daap::worker::handlers
