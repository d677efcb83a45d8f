// GET /: per queue its controls (now) and what it holds and did (the cached counts of
// overview_cache.h), the last hour's throughput and the live replicas (sql/list_workers, now).
#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "queue/leadership.h"
#include "queue/queues.h"
#include "worker/console/html.h"
#include "worker/console/overview_cache.h"
#include "worker/console/pages.h"
#include "worker/console/queries.h"
#include "worker/console/throughput_chart.h"

namespace daap::worker::console {
namespace {

std::string seconds_text(std::optional<double> seconds) {
  if (!seconds) return "";
  return std::to_string(static_cast<std::int64_t>(std::floor(std::max(0.0, *seconds))));
}

std::string queues_table(const std::vector<queue::QueueControls>& controls,
                         const OverviewCounts& counts, const PageContext& ctx) {
  std::string out =
      "<table id=\"queues\"><thead><tr><th>queue</th><th>due</th><th>scheduled</th>"
      "<th>running</th><th>succeeded 1h</th><th>failed 1h</th><th>succeeded 24h</th>"
      "<th>failed 24h</th><th>oldest due (s)</th><th>paused</th><th>limit</th>";
  if (!ctx.read_only) out += "<th>actions</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& c : controls) {
    const auto& name = c.name;
    const auto it = counts.finished.find(name);
    const FinishedCounts f = it == counts.finished.end() ? FinishedCounts{} : it->second;
    const auto held = counts.queues.find(name);
    const queue::QueueOverview q = held == counts.queues.end()
                                       ? queue::QueueOverview{c, 0, 0, 0, 0, std::nullopt}
                                       : held->second;
    const auto jobs_link = "/jobs" + query_string({{"queue", name}});
    out += "<tr data-queue=\"" + escape(name) + "\"><td data-col=\"name\"><a href=\"" +
           escape(jobs_link) + "\">" + escape(name) + "</a></td>" +
           cell("due", std::to_string(q.due)) + cell("scheduled", std::to_string(q.scheduled)) +
           cell("running", std::to_string(q.running)) +
           cell("succeeded_1h", std::to_string(f.succeeded_1h)) +
           cell("failed_1h", std::to_string(f.failed_1h)) +
           cell("succeeded_24h", std::to_string(f.succeeded_24h)) +
           cell("failed_24h", std::to_string(f.failed_24h)) +
           cell("oldest_due_age", seconds_text(q.oldest_due_age_seconds)) +
           cell("paused", c.paused_at ? "yes" : "no") +
           cell("max_running", c.max_running ? std::to_string(*c.max_running) : "none");
    if (!ctx.read_only) {
      const auto base = "/queues/" + url_encode(name) + "/";
      out += "<td data-col=\"actions\">";
      out += c.paused_at ? action_form(ctx, base + "resume", "resume", "Resume", "/")
                         : action_form(ctx, base + "pause", "pause", "Pause", "/");
      const auto limit = c.max_running ? std::to_string(*c.max_running) : std::string();
      out += action_form(ctx, base + "limit", "limit", "Set limit", "/",
                         "<input type=\"number\" min=\"1\" name=\"max_running\" value=\"" +
                             escape(limit) + "\" placeholder=\"none\" aria-label=\"limit\">");
      out += "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";
  if (controls.empty()) out += "<p class=\"muted\">No queue yet: enqueue a job.</p>\n";
  return out;
}

std::string workers_table(pqxx::transaction_base& tx) {
  std::string out =
      "<table id=\"workers\"><thead><tr><th>id</th><th>host</th><th>version</th><th>queues</th>"
      "<th>concurrency</th><th>heartbeat age (s)</th><th>running</th><th>leader</th>"
      "</tr></thead><tbody>\n";
  const auto rows = tx.exec(sql::list_workers, pqxx::params{queue::kMaintenanceLeadership});
  for (const auto& row : rows) {
    std::string queues;
    const auto list = nlohmann::json::parse(row["queues"].view(), nullptr, false);
    if (list.is_array()) {
      for (const auto& q : list) {
        if (!queues.empty()) queues += ", ";
        queues += q.is_string() ? q.get<std::string>() : q.dump();
      }
    }
    const auto id = row["id"].as<std::string>();
    out += "<tr data-worker-id=\"" + escape(id) + "\">" + cell("id", id) +
           cell("host", row["hostname"].as<std::string>()) +
           cell("version", row["version"].as<std::string>()) + cell("queues", queues) +
           cell("concurrency", row["concurrency"].as<std::string>()) +
           cell("heartbeat_age", seconds_text(row["heartbeat_age_seconds"].as<double>())) +
           cell("running", row["running"].as<std::string>()) +
           cell("leader", row["leader"].as<bool>() ? "yes" : "") + "</tr>\n";
  }
  out += "</tbody></table>\n";
  if (rows.empty()) out += "<p class=\"muted\">No live replica.</p>\n";
  return out;
}

}  // namespace

std::string overview_page(pqxx::connection& conn, const OverviewCounts& counts,
                          const PageContext& ctx) {
  pqxx::read_transaction tx(conn);
  limit_statements(tx);
  std::vector<queue::QueueControls> controls;
  for (const auto& row : tx.exec(sql::queue_controls)) {
    controls.push_back({row["name"].as<std::string>(), row["paused_at"].get<std::string>(),
                        row["max_running"].get<int>()});
  }
  std::string body = "<p class=\"as-of\">counts as of <time id=\"as-of\">" + escape(counts.as_of) +
                     "</time></p>\n";
  body += "<h2>Queues</h2>\n" + queues_table(controls, counts, ctx);
  body += "<h2>Throughput, last hour</h2>\n" + throughput_chart(counts.minutes) + "\n";
  body += "<h2>Replicas</h2>\n" + workers_table(tx);
  return page("Overview", body, ctx);
}

}  // namespace daap::worker::console
