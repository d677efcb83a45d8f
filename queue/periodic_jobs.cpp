#include "queue/periodic_jobs.h"

#include <algorithm>

#include "queue/queries.h"

namespace daap::queue {
namespace {

Instant from_epoch_us(std::int64_t us) { return Instant(std::chrono::microseconds(us)); }

std::optional<Instant> optional_instant(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return from_epoch_us(f.as<std::int64_t>());
}

// Every query returns the same columns (sql/get_periodic_job.sql), timestamps as epoch µs.
PeriodicJob read_job(const pqxx::row& row) {
  PeriodicJob j;
  j.name = row["name"].as<std::string>();
  j.schedule = row["schedule"].as<std::string>();
  j.time_zone = row["time_zone"].as<std::string>();
  j.kind = row["kind"].as<std::string>();
  j.payload = nlohmann::json::parse(row["payload"].as<std::string>());
  j.queue = row["queue"].as<std::string>();
  j.priority = row["priority"].as<int>();
  j.max_attempts = row["max_attempts"].as<int>();
  j.enabled = row["enabled"].as<bool>();
  j.schedule_from = from_epoch_us(row["schedule_from_us"].as<std::int64_t>());
  j.last_scheduled_at = optional_instant(row["last_scheduled_at_us"]);
  j.last_enqueued_at = optional_instant(row["last_enqueued_at_us"]);
  j.last_job_id = row["last_job_id"].as<std::optional<JobId>>();
  j.last_error = row["last_error"].as<std::optional<std::string>>();
  j.created_at = from_epoch_us(row["created_at_us"].as<std::int64_t>());
  j.updated_at = from_epoch_us(row["updated_at_us"].as<std::int64_t>());
  return j;
}

// The server's message without "ERROR:  " and the PL/pgSQL context lines after it.
std::string message_of(const pqxx::sql_error& e) {
  std::string text = e.what();
  text = text.substr(0, text.find('\n'));
  constexpr std::string_view kPrefix = "ERROR:  ";
  if (text.rfind(kPrefix, 0) == 0) text.erase(0, kPrefix.size());
  return text;
}

// Runs a statement of the SQL API, turning its refusals into typed errors.
template <typename Body>
auto refusals_typed(Body body) {
  try {
    return body();
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "22023") throw std::invalid_argument(message_of(e));
    if (e.sqlstate() == "P0002") throw PeriodicJobNotFound(message_of(e));
    if (e.sqlstate() == "23505") throw PeriodicJobExists(message_of(e));
    throw;
  }
}

constexpr std::string_view kHex = "0123456789abcdef";

// Opaque to callers: the last name of the page, hex-encoded.
std::string encode_cursor(const std::string& name) {
  std::string out;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    out += kHex[byte >> 4U];
    out += kHex[byte & 0xfU];
  }
  return out;
}

std::string decode_cursor(const std::string& cursor) {
  const auto bad = [] {
    return std::invalid_argument("cursor: not a cursor printed by a previous page");
  };
  if (cursor.empty() || cursor.size() % 2 != 0) throw bad();
  std::string name;
  for (std::size_t i = 0; i < cursor.size(); i += 2) {
    const auto hi = kHex.find(cursor[i]);
    const auto lo = kHex.find(cursor[i + 1]);
    if (hi == std::string_view::npos || lo == std::string_view::npos) throw bad();
    name += static_cast<char>((hi << 4U) | lo);
  }
  return name;
}

nlohmann::json optional_time(const std::optional<Instant>& t) {
  return t ? nlohmann::json(format_instant(*t)) : nlohmann::json(nullptr);
}

}  // namespace

std::string format_instant(Instant t) { return date::format("%FT%TZ", t); }

NextRun next_run(const PeriodicJob& job) {
  try {
    const CronSchedule schedule(job.schedule);
    const auto& zone = find_time_zone(job.time_zone);
    const auto from = std::max(job.schedule_from, job.last_scheduled_at.value_or(Instant{}));
    const auto at = schedule.next_after(from, zone);
    if (!at) return {std::nullopt, "the schedule does not fire within 50 years"};
    return {at, std::nullopt};
  } catch (const InvalidSchedule& e) {
    return {std::nullopt, e.what()};
  }
}

PeriodicJob add_periodic_job(pqxx::transaction_base& tx, const NewPeriodicJob& job, bool replace) {
  return refusals_typed([&] {
    return read_job(
        tx.exec(sql::add_periodic_job,
                pqxx::params{job.name, job.schedule, job.kind, job.payload.dump(), job.time_zone,
                             job.queue, job.priority, job.max_attempts, job.enabled, replace})
            .one_row());
  });
}

void remove_periodic_job(pqxx::transaction_base& tx, const std::string& name) {
  refusals_typed([&] { return tx.exec(sql::remove_periodic_job, pqxx::params{name}); });
}

PeriodicJob enable_periodic_job(pqxx::transaction_base& tx, const std::string& name) {
  return refusals_typed(
      [&] { return read_job(tx.exec(sql::enable_periodic_job, pqxx::params{name}).one_row()); });
}

PeriodicJob disable_periodic_job(pqxx::transaction_base& tx, const std::string& name) {
  return refusals_typed(
      [&] { return read_job(tx.exec(sql::disable_periodic_job, pqxx::params{name}).one_row()); });
}

JobId run_periodic_job_now(pqxx::transaction_base& tx, const std::string& name) {
  return refusals_typed([&] {
    return tx.exec(sql::run_periodic_job_now, pqxx::params{name}).one_field().as<JobId>();
  });
}

std::optional<PeriodicJob> get_periodic_job(pqxx::transaction_base& tx, const std::string& name) {
  const auto rows = tx.exec(sql::get_periodic_job, pqxx::params{name});
  if (rows.empty()) return std::nullopt;
  return read_job(rows[0]);
}

PeriodicJobPage list_periodic_jobs(pqxx::transaction_base& tx, int limit,
                                   const std::optional<std::string>& cursor) {
  if (limit < 1 || limit > kMaxPeriodicListLimit) {
    throw std::invalid_argument("limit: must be between 1 and " +
                                std::to_string(kMaxPeriodicListLimit) + ", got " +
                                std::to_string(limit));
  }
  const std::optional<std::string> after =
      cursor ? std::optional<std::string>(decode_cursor(*cursor)) : std::nullopt;
  PeriodicJobPage page;
  // One more than asked: whether another page follows.
  const auto rows = tx.exec(sql::list_periodic_jobs, pqxx::params{after, limit + 1});
  for (const auto& row : rows) {
    page.now = from_epoch_us(row["now_us"].as<std::int64_t>());
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_cursor = encode_cursor(page.items.back().name);
      break;
    }
    page.items.push_back(read_job(row));
  }
  if (rows.empty()) {
    page.now = from_epoch_us(
        tx.query_value<std::int64_t>("SELECT (extract(epoch FROM now()) * 1000000)::bigint"));
  }
  return page;
}

nlohmann::json to_json(const PeriodicJob& job, Instant now) {
  const auto next = next_run(job);
  return {
      {"name", job.name},
      {"schedule", job.schedule},
      {"time_zone", job.time_zone},
      {"kind", job.kind},
      {"payload", job.payload},
      {"queue", job.queue},
      {"priority", job.priority},
      {"max_attempts", job.max_attempts},
      {"enabled", job.enabled},
      {"next_run_at", next.at ? nlohmann::json(format_utc(*next.at)) : nlohmann::json(nullptr)},
      {"due", job.enabled && next.at && *next.at <= now},
      {"schedule_error", next.error ? nlohmann::json(*next.error) : nlohmann::json(nullptr)},
      {"schedule_from", format_instant(job.schedule_from)},
      {"last_scheduled_at", optional_time(job.last_scheduled_at)},
      {"last_enqueued_at", optional_time(job.last_enqueued_at)},
      {"last_job_id", job.last_job_id ? nlohmann::json(*job.last_job_id) : nlohmann::json(nullptr)},
      {"last_error", job.last_error ? nlohmann::json(*job.last_error) : nlohmann::json(nullptr)},
      {"created_at", format_instant(job.created_at)},
      {"updated_at", format_instant(job.updated_at)},
  };
}

}  // namespace daap::queue
