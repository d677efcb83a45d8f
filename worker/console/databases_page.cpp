// GET /databases and /databases/ID: the platform's records (schema::list, with daapctl
// databases list's filters) and one record with its newest jobs. Connection details are shown
// as host, port and secret name: credentials live in the secret, never here.
#include "queue/admin.h"
#include "schema/database_repository.h"
#include "schema/errors.h"
#include "worker/console/html.h"
#include "worker/console/pages.h"

namespace daap::worker::console {
namespace {

constexpr int kPageSize = 50;
constexpr int kRecordJobs = 50;

std::string text_or_empty(const std::optional<std::string>& value) { return value.value_or(""); }

std::string filter_form(const Params& query) {
  std::string out = "<form id=\"filter\" method=\"get\" action=\"/databases\">";
  out += "<label>status<select name=\"status\"><option value=\"\">any</option>";
  for (const char* status : {"provisioning", "ready", "degraded", "error", "deleting", "deleted"}) {
    out += "<option value=\"" + std::string(status) + "\"" +
           (param(query, "status") == status ? " selected" : "") + ">" + status + "</option>";
  }
  out += "</select></label>";
  for (const auto& [name, label] : std::vector<std::pair<std::string, std::string>>{
           {"owner_team", "owner team"}, {"name", "name contains"}}) {
    out += "<label>" + escape(label) + "<input type=\"text\" name=\"" + name + "\" value=\"" +
           escape(param(query, name)) + "\"></label>";
  }
  out += "<button type=\"submit\">Filter</button> <a href=\"/databases\">clear</a></form>\n";
  return out;
}

std::string field(std::string_view name, const std::string& text) {
  return "<dt>" + escape(name) + "</dt><dd data-field=\"" + escape(name) + "\">" + escape(text) +
         "</dd>\n";
}

}  // namespace

std::string databases_page(pqxx::connection& conn, const Params& query, const PageContext& ctx) {
  schema::ListQuery list;
  list.limit = kPageSize;
  if (const auto owner = param(query, "owner_team"); !owner.empty()) list.owner_team = owner;
  if (const auto name = param(query, "name"); !name.empty()) list.name_contains = name;
  if (const auto before = param(query, "before"); !before.empty()) list.cursor = before;
  // Deleted records are listed only when asked for by status, as daapctl lists them.
  if (const auto status = param(query, "status"); !status.empty()) {
    try {
      list.status = schema::parse_status(status);
    } catch (const schema::InvalidInput& e) {
      throw BadRequest(e.what());
    }
    list.include_deleted = *list.status == schema::DatabaseStatus::deleted;
  }
  pqxx::read_transaction tx(conn);
  limit_statements(tx);
  schema::ListPage result;
  try {
    result = schema::list(tx, list);
  } catch (const schema::InvalidInput& e) {
    throw BadRequest(e.what());
  }
  std::string rows;
  for (const auto& r : result.items) {
    rows += "<tr data-database-id=\"" + escape(r.id) +
            "\"><td data-col=\"name\"><a href=\"/databases/" + url_encode(r.id) + "\">" +
            escape(r.name) + "</a></td>" + cell("status", schema::to_string(r.status)) +
            cell("owner_team", r.owner_team) + cell("host", text_or_empty(r.host)) +
            cell("port", r.port ? std::to_string(*r.port) : "") +
            cell("secret_name", text_or_empty(r.secret_name)) +
            cell("created_at", schema::format_rfc3339(r.created_at)) +
            cell("updated_at", schema::format_rfc3339(r.updated_at)) + "</tr>\n";
  }
  std::string body = filter_form(query) +
                     "<table id=\"databases\"><thead><tr><th>name</th><th>status</th>"
                     "<th>owner team</th><th>host</th><th>port</th><th>secret name</th>"
                     "<th>created</th><th>updated</th></tr></thead><tbody>\n" +
                     rows + "</tbody></table>\n";
  if (result.items.empty()) body += "<p class=\"muted\">No database record matches.</p>\n";
  if (result.next_cursor) {
    body += "<a rel=\"next\" href=\"/databases" +
            escape(query_string({{"status", param(query, "status")},
                                 {"owner_team", param(query, "owner_team")},
                                 {"name", param(query, "name")},
                                 {"before", *result.next_cursor}})) +
            "\">more →</a>\n";
  }
  return page("Databases", body, ctx);
}

std::string database_page(pqxx::connection& conn, const std::string& id, const PageContext& ctx) {
  if (!schema::is_uuid(id)) throw NotFound("no database record with id '" + id + "'");
  pqxx::read_transaction tx(conn);
  limit_statements(tx);
  const auto record = schema::find_by_id(tx, id);
  if (!record) throw NotFound("no database record with id '" + id + "'");
  const auto& r = *record;
  std::string dl = "<dl id=\"database\">\n";
  dl += field("id", r.id);
  dl += field("name", r.name);
  dl += field("status", std::string(schema::to_string(r.status)));
  dl += field("owner_team", r.owner_team);
  dl += field("purpose", r.purpose);
  dl += field("namespace", r.namespace_name);
  dl += field("cluster_name", r.cluster_name);
  dl += field("pooler_name", r.pooler_name);
  dl += field("host", text_or_empty(r.host));
  dl += field("port", r.port ? std::to_string(*r.port) : "");
  dl += field("secret_name", text_or_empty(r.secret_name));
  dl += field("error_message", text_or_empty(r.error_message));
  dl += field("created_at", schema::format_rfc3339(r.created_at));
  dl += field("updated_at", schema::format_rfc3339(r.updated_at));
  dl += field("deleted_at", r.deleted_at ? schema::format_rfc3339(*r.deleted_at) : "");
  dl += "</dl>\n";
  std::string body;
  if (r.status == schema::DatabaseStatus::error) {
    const auto back = "/databases/" + url_encode(r.id);
    body += action_form(ctx, back + "/retry", "retry", "Retry provisioning", back);
  }
  body += dl + "<h2>Jobs</h2>\n" + jobs_table(queue::jobs_of_database(tx, r.id, kRecordJobs));
  body += "<p><a href=\"/jobs" + escape(query_string({{"database", r.id}})) +
          "\">all jobs of this record</a></p>\n";
  return page("Database " + r.name, body, ctx);
}

}  // namespace daap::worker::console
