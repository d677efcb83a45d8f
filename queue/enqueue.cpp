#include "queue/enqueue.h"

#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <string>

#include "queue/queries.h"

namespace daap::queue {
namespace {

// Exact to the microsecond, whatever the session's DateStyle.
std::string to_timestamptz_text(Clock::time_point t) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch());
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(us);
  auto frac = us - secs;
  if (frac.count() < 0) {
    secs -= std::chrono::seconds(1);
    frac += std::chrono::seconds(1);
  }
  const std::time_t tt = secs.count();
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac.count()));
  return buf;
}

// Fails before the statement (so the caller's transaction stays usable) with the same wording
// as daap.enqueue's own checks.
void check(const NewJob& job, const std::string& prefix) {
  auto bad = [&](const std::string& what) { throw std::invalid_argument(prefix + what); };
  if (job.kind.find_first_not_of(' ') == std::string::npos) {
    bad("kind must be a non-empty text");
  }
  if (!job.payload.is_object()) {
    bad("payload must be a JSON object, got " + std::string(job.payload.type_name()));
  }
  if (job.queue.find_first_not_of(' ') == std::string::npos) {
    bad("queue must be a non-empty text");
  }
  if (job.priority < -32768 || job.priority > 32767) {
    bad("priority must be an integer between -32768 and 32767, got " +
        std::to_string(job.priority));
  }
  if (job.max_attempts < 1) {
    bad("max_attempts must be at least 1, got " + std::to_string(job.max_attempts));
  }
  if (job.unique_key && job.unique_key->empty()) {
    bad("unique_key must be null or a non-empty text");
  }
  if (job.timeout && (*job.timeout < std::chrono::seconds(1) || *job.timeout > std::chrono::hours(24 * 30))) {
    bad("timeout must be between 1 second and 30 days, got " + std::to_string(job.timeout->count()) +
        " ms");
  }
}

template <typename F>
auto translating_sql_errors(F&& f) {
  try {
    return f();
  } catch (const pqxx::sql_error& e) {
    // 22023: daap.enqueue's validation; 22P02: a database_id that is not a uuid.
    if (e.sqlstate() == "22023" || e.sqlstate() == "22P02") {
      throw std::invalid_argument(e.what());
    }
    throw;
  }
}

}  // namespace

JobId enqueue(pqxx::transaction_base& tx, const NewJob& job) {
  check(job, "daap.enqueue: ");
  std::optional<std::string> run_at;
  if (job.run_at) run_at = to_timestamptz_text(*job.run_at);
  std::optional<std::int64_t> timeout_ms;
  if (job.timeout) timeout_ms = job.timeout->count();
  return translating_sql_errors([&] {
    return tx
        .exec(sql::enqueue_job,
              pqxx::params{job.kind, job.payload.dump(), job.queue, job.priority, run_at,
                           job.max_attempts, job.unique_key, job.database_id, timeout_ms})
        .one_field()
        .as<JobId>();
  });
}

std::vector<JobId> enqueue_many(pqxx::transaction_base& tx, const std::vector<NewJob>& jobs) {
  if (jobs.empty()) return {};
  auto array = nlohmann::json::array();
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const NewJob& job = jobs[i];
    check(job, "daap.enqueue_many: jobs[" + std::to_string(i) + "].");
    nlohmann::json j{{"kind", job.kind},
                     {"payload", job.payload},
                     {"queue", job.queue},
                     {"priority", job.priority},
                     {"max_attempts", job.max_attempts}};
    if (job.run_at) j["run_at"] = to_timestamptz_text(*job.run_at);
    if (job.unique_key) j["unique_key"] = *job.unique_key;
    if (job.database_id) j["database_id"] = *job.database_id;
    if (job.timeout) j["timeout"] = std::to_string(job.timeout->count()) + " milliseconds";
    array.push_back(std::move(j));
  }
  return translating_sql_errors([&] {
    std::vector<JobId> ids;
    ids.reserve(jobs.size());
    for (const auto& row : tx.exec(sql::enqueue_jobs, pqxx::params{array.dump()})) {
      ids.push_back(row[0].as<JobId>());
    }
    return ids;
  });
}

}  // namespace daap::queue
