// The job filter of GET /jobs and POST /jobs/bulk: the parameters daapctl jobs' FILTER flags
// take, read the way daapctl reads them (worker/admin/bulk_jobs.h).
#include "worker/admin/bulk_jobs.h"
#include "worker/console/pages.h"

namespace daap::worker::console {

const std::vector<std::string> kJobFilterParams = {"state", "kind",  "queue", "database",
                                                   "since", "until", "error"};

std::string param(const Params& params, const std::string& name) {
  const auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

bool has_job_filter(const Params& params) {
  for (const auto& name : kJobFilterParams) {
    if (!param(params, name).empty()) return true;
  }
  return false;
}

queue::JobSelection read_job_filter(pqxx::connection& conn, const Params& params) {
  queue::JobSelection s;
  const auto text = [&](const std::string& name) -> std::optional<std::string> {
    auto value = param(params, name);
    if (value.empty()) return std::nullopt;
    return value;
  };
  if (const auto state = text("state")) {
    try {
      s.state = queue::parse_job_state(*state);
    } catch (const std::invalid_argument& e) {
      throw BadRequest(std::string("state: ") + e.what());
    }
  }
  s.kind = text("kind");
  s.queue = text("queue");
  s.error_contains = text("error");
  try {
    if (const auto since = text("since")) s.since = admin::read_time_bound(conn, "since", *since);
    if (const auto until = text("until")) s.until = admin::read_time_bound(conn, "until", *until);
  } catch (const std::invalid_argument& e) {
    throw BadRequest(e.what());
  }
  if (const auto key = text("database")) {
    s.database_id = admin::find_database_id(conn, *key);
    if (!s.database_id) {
      throw BadRequest("database: no database record with id or active name '" + *key + "'");
    }
  }
  return s;
}

}  // namespace daap::worker::console
