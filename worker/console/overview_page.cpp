// GET /: per queue what it holds and what it did (daap.queue_overview and sql/finished_counts),
// the last hour's throughput (sql/throughput) and the live replicas (sql/list_workers).
#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "queue/leadership.h"
#include "queue/queues.h"
#include "worker/console/html.h"
#include "worker/console/pages.h"
#include "worker/console/queries.h"
#include "worker/console/throughput_chart.h"

namespace daap::worker::console {
namespace {

struct Finished {
  std::int64_t succeeded_1h = 0, failed_1h = 0, succeeded_24h = 0, failed_24h = 0;
};

std::string seconds_text(std::optional<double> seconds) {
  if (!seconds) return "";
  return std::to_string(static_cast<std::int64_t>(std::floor(std::max(0.0, *seconds))));
}

std::string queues_table(const std::vector<queue::QueueOverview>& queues,
                         const std::map<std::string, Finished>& finished, const PageContext& ctx) {
  std::string out =
      "<table id=\"queues\"><thead><tr><th>queue</th><th>due</th><th>scheduled</th>"
      "<th>running</th><th>succeeded 1h</th><th>failed 1h</th><th>succeeded 24h</th>"
      "<th>failed 24h</th><th>oldest due (s)</th><th>paused</th><th>limit</th>";
  if (!ctx.read_only) out += "<th>actions</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& q : queues) {
    const auto& name = q.controls.name;
    const auto it = finished.find(name);
    const Finished f = it == finished.end() ? Finished{} : it->second;
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
           cell("paused", q.controls.paused_at ? "yes" : "no") +
           cell("max_running",
                q.controls.max_running ? std::to_string(*q.controls.max_running) : "none");
    if (!ctx.read_only) {
      const auto base = "/queues/" + url_encode(name) + "/";
      out += "<td data-col=\"actions\">";
      out += q.controls.paused_at ? action_form(ctx, base + "resume", "resume", "Resume", "/")
                                  : action_form(ctx, base + "pause", "pause", "Pause", "/");
      const auto limit =
          q.controls.max_running ? std::to_string(*q.controls.max_running) : std::string();
      out += action_form(ctx, base + "limit", "limit", "Set limit", "/",
                         "<input type=\"number\" min=\"1\" name=\"max_running\" value=\"" +
                             escape(limit) + "\" placeholder=\"none\" aria-label=\"limit\">");
      out += "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";
  if (queues.empty()) out += "<p class=\"muted\">No queue yet: enqueue a job.</p>\n";
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

std::string overview_page(pqxx::connection& conn, const PageContext& ctx) {
  pqxx::read_transaction tx(conn);
  limit_statements(tx);
  const auto now = tx.query_value<std::string>("SELECT to_jsonb(now()) #>> '{}'");
  const auto queues = queue::queue_overview(tx);
  std::map<std::string, Finished> finished;
  for (const auto& row : tx.exec(sql::finished_counts)) {
    finished[row["queue"].as<std::string>()] = {
        row["succeeded_1h"].as<std::int64_t>(), row["failed_1h"].as<std::int64_t>(),
        row["succeeded_24h"].as<std::int64_t>(), row["failed_24h"].as<std::int64_t>()};
  }
  std::vector<MinuteCounts> minutes;
  for (const auto& row : tx.exec(sql::throughput)) {
    minutes.push_back({row["succeeded"].as<std::int64_t>(), row["failed"].as<std::int64_t>()});
  }
  std::string body = "<p class=\"as-of\">as of <time>" + escape(now) + "</time></p>\n";
  body += "<h2>Queues</h2>\n" + queues_table(queues, finished, ctx);
  body += "<h2>Throughput, last hour</h2>\n" + throughput_chart(minutes) + "\n";
  body += "<h2>Replicas</h2>\n" + workers_table(tx);
  return page("Overview", body, ctx);
}

}  // namespace daap::worker::console
