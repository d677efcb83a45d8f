#include "queue/periodic_runs.h"

#include <string_view>

#include "queue/cron_schedule.h"
#include "queue/queries.h"

namespace daap::queue {
namespace {

std::string first_line(std::string_view text) {
  return std::string(text.substr(0, text.find('\n')));
}

}  // namespace

PeriodicPass enqueue_due_runs(pqxx::dbtransaction& tx) {
  PeriodicPass pass;
  for (const auto& row : tx.exec(sql::lock_enabled_periodic_jobs)) {
    const auto name = row["name"].as<std::string>();
    const auto last_error = row["last_error"].as<std::optional<std::string>>();
    const Instant from(std::chrono::microseconds(row["from_us"].as<std::int64_t>()));
    const Instant now(std::chrono::microseconds(row["now_us"].as<std::int64_t>()));
    std::optional<std::string> error;
    std::optional<PeriodicRun> run;
    try {
      const CronSchedule schedule(row["schedule"].as<std::string>());
      const auto& zone = find_time_zone(row["time_zone"].as<std::string>());
      if (const auto first = schedule.next_after(from, zone); !first) {
        error = "the schedule does not fire within 50 years";
      } else if (*first <= now) {
        run = PeriodicRun{name, latest_fire_time(schedule, zone, *first, now), *first, 0};
      }
    } catch (const InvalidSchedule& e) {
      error = e.what();  // the table's CHECK and this parser disagree, or the zone is unknown
    }
    bool recorded = false;  // the enqueue clears last_error itself
    if (run) {
      const auto at = format_utc(run->scheduled_at);
      // In a savepoint: a run the server refuses becomes this job's last_error, and the other
      // periodic jobs (and the rest of the leader's pass) go on.
      try {
        pqxx::subtransaction one(tx, "periodic run");
        const auto id = one.exec(sql::enqueue_periodic_run,
                                 pqxx::params{name, at, "periodic:" + name + ":" + at});
        one.commit();
        if (!id.empty()) {  // else: enqueued already (a row written by hand can say so)
          run->job_id = id[0][0].as<JobId>();
          pass.enqueued.push_back(*run);
          recorded = true;
        }
      } catch (const pqxx::broken_connection&) {
        throw;
      } catch (const pqxx::sql_error& e) {
        error = std::string("enqueueing its run failed: ") + first_line(e.what());
      }
    }
    if (error != last_error) {
      if (!recorded) tx.exec(sql::set_periodic_job_error, pqxx::params{name, error});
      pass.changed.push_back({name, error});
    }
  }
  return pass;
}

}  // namespace daap::queue
