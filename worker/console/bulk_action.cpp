// POST /jobs/bulk: an action on every job a filter selects, in two steps: count and confirm,
// then run in keyset batches up to the highest id that was counted (worker/admin/bulk_jobs.h).
#include "worker/admin/bulk_jobs.h"
#include "worker/console/html.h"
#include "worker/console/pages.h"

namespace daap::worker::console {
namespace {

queue::BulkAction read_action(const Params& form) {
  const auto text = param(form, "action");
  if (text == "retry") return queue::BulkAction::retry;
  if (text == "cancel") return queue::BulkAction::cancel;
  if (text == "run-now") return queue::BulkAction::run_now;
  if (text == "delete") return queue::BulkAction::remove;
  throw BadRequest("action must be retry, cancel, run-now or delete, got '" + text + "'");
}

// The filter again, checked: a bulk action never runs over every job by accident.
queue::JobSelection read_filter(pqxx::connection& conn, const Params& form) {
  if (!has_job_filter(form)) {
    throw BadRequest(
        "a bulk action needs a filter (state, kind, queue, database, since, until "
        "or error): filter the list first");
  }
  return read_job_filter(conn, form);
}

}  // namespace

std::string bulk_confirm_page(pqxx::connection& conn, const Params& form, const PageContext& ctx) {
  const auto action = read_action(form);
  const auto selection = read_filter(conn, form);
  queue::SelectionSize size;
  {
    pqxx::read_transaction tx(conn);
    limit_statements(tx);
    size = queue::measure(tx, selection);
  }
  const auto name = std::string(queue::to_string(action));
  std::string body = "<div id=\"confirm\"><p>" + escape(name) +
                     " would take <strong id=\"confirm-count\">" + std::to_string(size.count) +
                     "</strong> job(s) now";
  body += size.count > 0 ? " (ids up to " + std::to_string(size.max_id) +
                               "; jobs added later are left alone).</p>"
                         : ": nothing to do.</p>";
  std::vector<std::pair<std::string, std::string>> filter;
  for (const auto& p : kJobFilterParams) filter.emplace_back(p, param(form, p));
  if (size.count > 0) {
    body += "<form id=\"confirm-form\" method=\"post\" action=\"/jobs/bulk\">" +
            hidden_input("csrf", ctx.csrf) + hidden_input("action", name) +
            hidden_input("confirm", "yes") + hidden_input("up_to", std::to_string(size.max_id));
    for (const auto& [p, value] : filter) {
      if (!value.empty()) body += hidden_input(p, value);
    }
    body += "<button type=\"submit\">" + escape(name) + " " + std::to_string(size.count) +
            " job(s)</button></form>";
  }
  body +=
      "<p><a href=\"/jobs" + escape(query_string(filter)) + "\">back to the list</a></p></div>\n";
  return page("Confirm " + name, body, ctx);
}

std::string run_bulk_action(pqxx::connection& conn, const Params& form) {
  const auto action = read_action(form);
  const auto selection = read_filter(conn, form);
  queue::JobId up_to = 0;
  try {
    up_to = std::stoll(param(form, "up_to"));
  } catch (const std::exception&) {
    throw BadRequest("up_to must be the job id the confirmation counted up to");
  }
  const auto result = admin::run_bulk(conn, action, selection, up_to);
  return std::string(queue::to_string(action)) + ": " + std::to_string(result.done) + " changed, " +
         std::to_string(result.skipped) + " skipped";
}

}  // namespace daap::worker::console
