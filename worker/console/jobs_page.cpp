// GET /jobs: the filter form, a page of jobs newest first (sql/list_jobs, keyset by `before`)
// and the bulk form that acts on everything the filter selects.
#include "queue/admin.h"
#include "worker/console/html.h"
#include "worker/console/pages.h"

namespace daap::worker::console {
namespace {

constexpr int kPageSize = 50;
// The error column shows this many characters; the job's page shows all.
constexpr std::size_t kErrorChars = 160;

std::string filter_form(const Params& query) {
  std::string out = "<form id=\"filter\" method=\"get\" action=\"/jobs\">";
  out += "<label>state<select name=\"state\"><option value=\"\">any</option>";
  for (const char* state : {"available", "running", "succeeded", "failed", "cancelled"}) {
    out += "<option value=\"" + std::string(state) + "\"" +
           (param(query, "state") == state ? " selected" : "") + ">" + state + "</option>";
  }
  out += "</select></label>";
  const std::vector<std::pair<std::string, std::string>> inputs = {
      {"kind", "kind"},
      {"queue", "queue"},
      {"database", "database (id or name)"},
      {"since", "since (time or 24h)"},
      {"until", "until"},
      {"error", "error contains"}};
  for (const auto& [name, label] : inputs) {
    out += "<label>" + escape(label) + "<input type=\"text\" name=\"" + name + "\" value=\"" +
           escape(param(query, name)) + "\"></label>";
  }
  out += "<button type=\"submit\">Filter</button> <a href=\"/jobs\">clear</a></form>\n";
  return out;
}

std::string bulk_form(const Params& query, const PageContext& ctx) {
  if (ctx.read_only) return "";
  std::string out =
      "<form id=\"bulk\" method=\"post\" action=\"/jobs/bulk\">" + hidden_input("csrf", ctx.csrf);
  for (const auto& name : kJobFilterParams) {
    if (!param(query, name).empty()) out += hidden_input(name, param(query, name));
  }
  out +=
      "<label>Everything this filter selects: <select name=\"action\">"
      "<option value=\"retry\">retry</option><option value=\"cancel\">cancel</option>"
      "<option value=\"run-now\">run now</option><option value=\"delete\">delete</option>"
      "</select></label> <button type=\"submit\">Count and confirm…</button></form>\n";
  return out;
}

}  // namespace

std::string jobs_table(const std::vector<queue::JobRow>& jobs) {
  std::string out =
      "<table id=\"jobs\"><thead><tr><th>id</th><th>kind</th><th>queue</th><th>state</th>"
      "<th>attempt</th><th>run at</th><th>finished at</th><th>last error</th></tr></thead>"
      "<tbody>\n";
  for (const auto& job : jobs) {
    const auto id = std::to_string(job.id);
    auto error = job.last_error.value_or("");
    if (error.size() > kErrorChars) error = error.substr(0, kErrorChars) + "…";
    out += "<tr data-job-id=\"" + id + "\"><td data-col=\"id\"><a href=\"/jobs/" + id + "\">" + id +
           "</a></td>" + cell("kind", job.kind) + cell("queue", job.queue) +
           cell("state", queue::to_string(job.state)) +
           cell("attempt", std::to_string(job.attempt)) + cell("run_at", job.run_at) +
           cell("finished_at", job.finished_at.value_or("")) + cell("error", error) + "</tr>\n";
  }
  out += "</tbody></table>\n";
  if (jobs.empty()) out += "<p class=\"muted\">No job matches.</p>\n";
  return out;
}

std::string jobs_page(pqxx::connection& conn, const Params& query, const PageContext& ctx) {
  const auto selection = read_job_filter(conn, query);
  std::optional<queue::JobId> before;
  if (const auto text = param(query, "before"); !text.empty()) {
    try {
      std::size_t used = 0;
      before = std::stoll(text, &used);
      if (used != text.size()) throw std::invalid_argument(text);
    } catch (const std::exception&) {
      throw BadRequest("before must be a job id, got '" + text + "'");
    }
  }
  pqxx::read_transaction tx(conn);
  limit_statements(tx);
  queue::JobFilter filter;
  filter.state = selection.state;
  filter.kind = selection.kind;
  filter.queue = selection.queue;
  filter.database_id = selection.database_id;
  filter.since = selection.since;
  filter.until = selection.until;
  filter.error_contains = selection.error_contains;
  filter.before = before;
  filter.limit = kPageSize + 1;
  auto jobs = queue::list_jobs(tx, filter);
  std::string next;
  if (jobs.size() > static_cast<std::size_t>(kPageSize)) {
    jobs.resize(static_cast<std::size_t>(kPageSize));
    std::vector<std::pair<std::string, std::string>> params;
    for (const auto& name : kJobFilterParams) params.emplace_back(name, param(query, name));
    params.emplace_back("before", std::to_string(jobs.back().id));
    next = "<a rel=\"next\" href=\"/jobs" + escape(query_string(params)) + "\">older jobs →</a>\n";
  }
  const auto body = filter_form(query) + bulk_form(query, ctx) + jobs_table(jobs) + next;
  return page("Jobs", body, ctx);
}

}  // namespace daap::worker::console
