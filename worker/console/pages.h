// The console's pages, one file each. A page reads what it shows through the queue's and the
// schema's functions (or a named query of sql/) in a read transaction whose statements are
// limited by kStatementTimeout, and returns the whole document.
#pragma once

#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "queue/bulk.h"
#include "worker/console/layout.h"

namespace daap::worker::console {

// A console statement that runs longer is cancelled; the request gets an error page.
inline constexpr std::chrono::milliseconds kStatementTimeout{5000};
// SET LOCAL statement_timeout = kStatementTimeout for the rest of `tx`.
void limit_statements(pqxx::transaction_base& tx);

// No such job or record: the server answers 404 with the message.
class NotFound : public std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A parameter the page cannot use (names it): the server answers 400 with the message.
class BadRequest : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A request's query or form parameters.
using Params = std::map<std::string, std::string>;

struct OverviewCounts;
// GET /: queues (their counts from `counts`, their controls now), the last hour's throughput,
// live replicas.
std::string overview_page(pqxx::connection& conn, const OverviewCounts& counts,
                          const PageContext& ctx);
// GET /jobs: the filtered list, newest first, keyset-paginated by `before`.
std::string jobs_page(pqxx::connection& conn, const Params& query, const PageContext& ctx);
// GET /jobs/ID.
std::string job_page(pqxx::connection& conn, std::int64_t id, const PageContext& ctx);
// GET /databases: the records by daapctl databases list's filters.
std::string databases_page(pqxx::connection& conn, const Params& query, const PageContext& ctx);
// GET /databases/ID: the record and its newest jobs.
std::string database_page(pqxx::connection& conn, const std::string& id, const PageContext& ctx);
// GET /periodic.
std::string periodic_page(pqxx::connection& conn, const PageContext& ctx);

// The job filter's parameters, in form order: state, kind, queue, database, since, until, error.
extern const std::vector<std::string> kJobFilterParams;
// The jobs the filter parameters select; since/until may be durations ago ("24h"), database an
// id or an active name. Throws BadRequest naming the parameter.
queue::JobSelection read_job_filter(pqxx::connection& conn, const Params& params);
// Whether any filter parameter is set.
bool has_job_filter(const Params& params);

// POST /jobs/bulk without confirm=yes: `#confirm` with how many jobs the action would take now,
// and `form#confirm-form` to go ahead (its up_to keeps later jobs out).
std::string bulk_confirm_page(pqxx::connection& conn, const Params& form, const PageContext& ctx);
// POST /jobs/bulk with confirm=yes: runs it; returns the flash line (done and skipped counts).
std::string run_bulk_action(pqxx::connection& conn, const Params& form);

// `table#jobs`, one `tr[data-job-id]` per job, in the order given.
std::string jobs_table(const std::vector<queue::JobRow>& jobs);

// The value of `name` in `params`, "" when absent.
std::string param(const Params& params, const std::string& name);

}  // namespace daap::worker::console
