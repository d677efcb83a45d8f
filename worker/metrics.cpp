#include "worker/metrics.h"

#include <sstream>

#include <pqxx/version>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace daap::worker {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

const prometheus::Histogram::BucketBoundaries kDurationBounds = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
const prometheus::Histogram::BucketBoundaries kClaimBounds = {1,  2,   5,   10,  20,
                                                              50, 100, 200, 500, 1000};
const prometheus::Histogram::BucketBoundaries kAcquireBounds = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

// The table-wide gauges counted from the database: only the maintenance leader exports them.
void add_count_gauges(prometheus::Registry& r, const DatabaseSnapshot& db) {
  auto& jobs = BuildGauge()
                   .Name("daap_jobs")
                   .Help("Live jobs in daap.jobs by queue and state: 'due' (available, run_at "
                         "passed: the backlog), 'scheduled' (available, run_at ahead), "
                         "'running'. Exported by the maintenance leader only.")
                   .Register(r);
  auto& finished = BuildGauge()
                       .Name("daap_finished_jobs")
                       .Help("Finished jobs in daap.jobs (until pruned) by state, table-wide. "
                             "Exported by the maintenance leader only.")
                       .Register(r);
  auto& oldest = BuildGauge()
                     .Name("daap_oldest_due_job_age_seconds")
                     .Help("How long the oldest due job of a queue has waited past its run_at "
                           "(0 when none is due). Exported by the maintenance leader only.")
                     .Register(r);
  auto& databases = BuildGauge()
                        .Name("daap_databases")
                        .Help("Records in daap.databases by status (every known status, 0 when "
                              "none). Exported by the maintenance leader only.")
                        .Register(r);
  for (const auto& c : db.jobs.counts) {
    jobs.Add({{"queue", c.queue}, {"state", c.state}}).Set(static_cast<double>(c.count));
  }
  for (const auto& [state, count] : db.jobs.finished) {
    finished.Add({{"state", state}}).Set(static_cast<double>(count));
  }
  for (const auto& a : db.jobs.oldest_due) {
    oldest.Add({{"queue", a.queue}}).Set(a.oldest_due_seconds);
  }
  for (const auto& [status, count] : db.databases) {
    databases.Add({{"status", status}}).Set(static_cast<double>(count));
  }
  BuildGauge()
      .Name("daap_jobs_count_up")
      .Help("1 when the count queries behind daap_jobs and daap_databases succeeded. Exported "
            "by the maintenance leader only.")
      .Register(r)
      .Add({})
      .Set(db.ok ? 1 : 0);
}

// The snapshot's and the pool's gauges, registered afresh for each scrape so that a queue or
// state that disappeared from the table disappears from the exposition too.
void add_scrape_gauges(prometheus::Registry& r, const DatabaseSnapshot& db, const PoolStats& pool) {
  if (db.counted) add_count_gauges(r, db);

  const auto pool_gauge = [&](const char* name, const char* help, int value) {
    BuildGauge().Name(name).Help(help).Register(r).Add({}).Set(value);
  };
  pool_gauge("daap_pool_connections_open", "Connections the pool holds open (idle and in use).",
             pool.open);
  pool_gauge("daap_pool_connections_in_use", "Connections checked out of the pool.",
             pool.in_use);
  pool_gauge("daap_pool_connections_max", "The pool's size limit (POOL_MAX_CONNS).", pool.max);
  pool_gauge("daap_pool_acquires_waiting",
             "acquire() calls waiting for a connection to be released.", pool.waiting);

  BuildGauge()
      .Name("daap_build_info")
      .Help("Always 1; labels: this binary's version, its libpqxx, the PostgreSQL server's "
            "version.")
      .Register(r)
      .Add({{"version", DAAP_VERSION},
            {"libpqxx", PQXX_VERSION},
            {"postgres_server", db.server_version}})
      .Set(1);
}

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      jobs_total_(BuildCounter()
                      .Name("daap_jobs_total")
                      .Help("Jobs this process finished executing, by kind and outcome.")
                      .Register(*registry_)),
      durations_(BuildHistogram()
                     .Name("daap_job_duration_seconds")
                     .Help("Time from the start of a job's execution to its recorded outcome.")
                     .Register(*registry_)),
      claim_sizes_(BuildHistogram()
                       .Name("daap_claim_batch_size")
                       .Help("Jobs taken by one non-empty claim.")
                       .Register(*registry_)
                       .Add({}, kClaimBounds)),
      acquire_wait_(BuildHistogram()
                        .Name("daap_pool_acquire_wait_seconds")
                        .Help("How long acquiring a pooled connection took (timeouts included).")
                        .Register(*registry_)
                        .Add({}, kAcquireBounds)),
      acquire_timeouts_(BuildCounter()
                            .Name("daap_pool_acquire_timeouts_total")
                            .Help("Acquires that got no connection within POOL_ACQUIRE_TIMEOUT.")
                            .Register(*registry_)
                            .Add({})),
      running_gauge_(BuildGauge()
                         .Name("daap_jobs_running")
                         .Help("Jobs executing in this process.")
                         .Register(*registry_)
                         .Add({})),
      concurrency_(BuildGauge()
                       .Name("daap_worker_concurrency")
                       .Help("Jobs this process may execute at once (CONCURRENCY).")
                       .Register(*registry_)
                       .Add({})),
      leader_(BuildGauge()
                  .Name("daap_maintenance_leader")
                  .Help("1 while this process holds the maintenance lease.")
                  .Register(*registry_)
                  .Add({})),
      rescued_(BuildCounter()
                   .Name("daap_rescued_jobs_total")
                   .Help("Jobs with expired leases this process rescued as maintenance leader, by "
                         "result (available again, failed, cancelled).")
                   .Register(*registry_)),
      pruned_jobs_(BuildCounter()
                       .Name("daap_pruned_jobs_total")
                       .Help("Finished jobs past their retention this process deleted.")
                       .Register(*registry_)
                       .Add({})),
      pruned_workers_(BuildCounter()
                          .Name("daap_pruned_workers_total")
                          .Help("Stale daap.workers rows this process deleted.")
                          .Register(*registry_)
                          .Add({})) {
  for (const char* result : {"available", "failed", "cancelled"}) {
    rescued_.Add({{"result", result}});
  }
}

Metrics::~Metrics() = default;

void Metrics::job_finished(const std::string& kind, const std::string& outcome,
                           std::chrono::duration<double> duration) {
  jobs_total_.Add({{"kind", kind}, {"outcome", outcome}}).Increment();
  durations_.Add({{"kind", kind}}, kDurationBounds).Observe(duration.count());
}

void Metrics::claimed(int size) { claim_sizes_.Observe(size); }

void Metrics::pool_acquired(std::chrono::duration<double> waited, bool acquired) {
  acquire_wait_.Observe(waited.count());
  if (!acquired) acquire_timeouts_.Increment();
}

void Metrics::set_concurrency(int slots) { concurrency_.Set(slots); }

void Metrics::set_maintenance_leader(bool leading) {
  leading_ = leading;
  leader_.Set(leading ? 1 : 0);
}

void Metrics::maintained(std::int64_t made_available, std::int64_t failed,
                         std::int64_t cancelled, std::int64_t pruned_jobs,
                         std::int64_t pruned_workers) {
  rescued_.Add({{"result", "available"}}).Increment(static_cast<double>(made_available));
  rescued_.Add({{"result", "failed"}}).Increment(static_cast<double>(failed));
  rescued_.Add({{"result", "cancelled"}}).Increment(static_cast<double>(cancelled));
  pruned_jobs_.Increment(static_cast<double>(pruned_jobs));
  pruned_workers_.Increment(static_cast<double>(pruned_workers));
}

std::string Metrics::render(const DatabaseSnapshot& database, const PoolStats& pool) const {
  running_gauge_.Set(running.load());
  auto families = registry_->Collect();
  prometheus::Registry scrape;
  add_scrape_gauges(scrape, database, pool);
  auto more = scrape.Collect();
  families.insert(families.end(), std::make_move_iterator(more.begin()),
                  std::make_move_iterator(more.end()));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace daap::worker
