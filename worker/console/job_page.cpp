// GET /jobs/ID: every column of the job (queue::get_job), payload and result pretty-printed,
// the error history, its database record, and the actions its state allows.
#include "queue/admin.h"
#include "worker/console/html.h"
#include "worker/console/pages.h"

namespace daap::worker::console {
namespace {

std::string field(std::string_view name, const std::string& html) {
  return "<dt>" + escape(name) + "</dt><dd data-field=\"" + escape(name) + "\">" + html + "</dd>\n";
}

std::string text_field(std::string_view name, const std::optional<std::string>& value) {
  return field(name, value ? escape(*value) : "<span class=\"muted\">—</span>");
}

std::string errors_table(const nlohmann::json& errors) {
  std::string out =
      "<table id=\"errors\"><thead><tr><th>attempt</th><th>of budget</th><th>at</th>"
      "<th>error</th></tr></thead><tbody>\n";
  if (errors.is_array()) {
    for (const auto& e : errors) {
      const auto text = [&](const char* key) {
        if (!e.is_object() || !e.contains(key) || e[key].is_null()) return std::string();
        return e[key].is_string() ? e[key].get<std::string>() : e[key].dump();
      };
      const auto overall = text("overall_attempt");
      out += "<tr>" + cell("attempt", overall.empty() ? text("attempt") : overall) +
             cell("of_budget", text("attempt")) + cell("at", text("at")) +
             "<td data-col=\"error\"><pre>" + escape(text("error")) + "</pre></td></tr>\n";
    }
  }
  out += "</tbody></table>\n";
  return out;
}

}  // namespace

std::string job_page(pqxx::connection& conn, std::int64_t id, const PageContext& ctx) {
  pqxx::read_transaction tx(conn);
  limit_statements(tx);
  const auto job = queue::get_job(tx, id);
  if (!job) throw NotFound("job " + std::to_string(id) + " not found");
  const auto pretty = [](const nlohmann::json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump(2);
  };
  const auto state = std::string(queue::to_string(job->state));
  std::string dl = "<dl id=\"job\">\n";
  dl += text_field("id", std::to_string(job->id));
  dl += text_field("kind", job->kind);
  dl += text_field("queue", job->queue);
  dl += text_field("state", state);
  dl += text_field("priority", std::to_string(job->priority));
  dl += text_field("attempt", std::to_string(job->attempt));
  dl += text_field("max_attempts", std::to_string(job->max_attempts));
  dl += text_field("run_at", job->run_at);
  dl += text_field("created_at", job->created_at);
  dl += text_field("started_at", job->started_at);
  dl += text_field("finished_at", job->finished_at);
  dl += text_field("locked_by", job->locked_by);
  dl += text_field("lease_expires_at", job->lease_expires_at);
  dl += text_field("cancel_requested_at", job->cancel_requested_at);
  dl += text_field("unique_key", job->unique_key);
  dl += text_field("timeout", job->timeout);
  dl += field("database_id", job->database_id
                                 ? "<a href=\"/databases/" + url_encode(*job->database_id) + "\">" +
                                       escape(*job->database_id) + "</a>"
                                 : "<span class=\"muted\">—</span>");
  dl += text_field("last_error", job->last_error);
  dl += field("payload", "<pre id=\"payload\">" + escape(pretty(job->payload)) + "</pre>");
  dl +=
      field("result", "<pre id=\"result\">" +
                          escape(job->result.is_null() ? "null" : pretty(job->result)) + "</pre>");
  dl += field("errors", errors_table(job->errors));
  dl += "</dl>\n";

  std::string actions;
  const auto back = "/jobs/" + std::to_string(id);
  const auto form = [&](const char* action, const char* label) {
    actions += action_form(ctx, back + "/" + action, action, label, back);
  };
  if (job->state == queue::JobState::failed || job->state == queue::JobState::cancelled) {
    form("retry", "Retry");
  }
  if (job->state == queue::JobState::available || job->state == queue::JobState::running) {
    form("cancel", "Cancel");
  }
  if (job->state == queue::JobState::available) form("run-now", "Run now");
  if (job->state == queue::JobState::succeeded || job->state == queue::JobState::failed ||
      job->state == queue::JobState::cancelled) {
    form("delete", "Delete");
  }
  std::string body;
  if (!actions.empty()) body += "<div class=\"actions\">" + actions + "</div>\n";
  body += dl;
  return page("Job " + std::to_string(id), body, ctx);
}

}  // namespace daap::worker::console
