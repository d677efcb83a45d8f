// GET /periodic: the periodic jobs (queue::list_periodic_jobs), when each runs next, and
// enable/disable/run-now.
#include "queue/periodic_jobs.h"
#include "worker/console/html.h"
#include "worker/console/pages.h"

namespace daap::worker::console {

std::string periodic_page(pqxx::connection& conn, const PageContext& ctx) {
  pqxx::read_transaction tx(conn);
  limit_statements(tx);
  const auto page_of = queue::list_periodic_jobs(tx, queue::kMaxPeriodicListLimit, std::nullopt);
  std::string rows;
  for (const auto& p : page_of.items) {
    const auto next = queue::next_run(p);
    std::string next_text;
    if (next.at) {
      next_text = queue::format_instant(*next.at);
    } else if (next.error) {
      next_text = "cannot be scheduled: " + *next.error;
    }
    const auto base = "/periodic/" + url_encode(p.name) + "/";
    std::string actions =
        p.enabled ? action_form(ctx, base + "disable", "disable", "Disable", "/periodic")
                  : action_form(ctx, base + "enable", "enable", "Enable", "/periodic");
    actions += action_form(ctx, base + "run-now", "run-now", "Run now", "/periodic");
    rows += "<tr data-periodic=\"" + escape(p.name) + "\">" + cell("name", p.name) +
            cell("schedule", p.schedule + (p.time_zone == "UTC" ? "" : " (" + p.time_zone + ")")) +
            cell("kind", p.kind) + cell("queue", p.queue) +
            cell("enabled", p.enabled ? "yes" : "no") + cell("next_run_at", next_text) +
            cell("last_scheduled_at",
                 p.last_scheduled_at ? queue::format_instant(*p.last_scheduled_at) : "") +
            cell("last_error", p.last_error.value_or(""));
    if (!ctx.read_only) rows += "<td data-col=\"actions\">" + actions + "</td>";
    rows += "</tr>\n";
  }
  std::string body =
      "<table id=\"periodic\"><thead><tr><th>name</th><th>schedule</th><th>kind</th>"
      "<th>queue</th><th>enabled</th><th>next run</th><th>last scheduled</th>"
      "<th>last error</th>" +
      std::string(ctx.read_only ? "" : "<th>actions</th>") + "</tr></thead><tbody>\n" + rows +
      "</tbody></table>\n";
  if (page_of.items.empty()) {
    body += "<p class=\"muted\">No periodic job: add one with daapctl periodic add.</p>\n";
  }
  if (page_of.next_cursor) {
    body += "<p class=\"muted\">Only the first " + std::to_string(queue::kMaxPeriodicListLimit) +
            " by name are shown; daapctl periodic list pages through all.</p>\n";
  }
  return page("Periodic jobs", body, ctx);
}

}  // namespace daap::worker::console
