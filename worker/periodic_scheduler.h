// The maintenance leader's periodic-jobs pass (queue/periodic_runs.h), called by the
// maintainer inside its lease-fenced transaction, and the log lines it gives once committed.
#pragma once

#include <pqxx/pqxx>

#include "queue/periodic_runs.h"

namespace daap::worker {

// Enqueues every due periodic run in `tx`; nothing of it stays unless `tx` commits.
queue::PeriodicPass schedule_periodic_jobs(pqxx::dbtransaction& tx);

// One line per run enqueued, and per job that became unschedulable or schedulable again.
void log_periodic_pass(const queue::PeriodicPass& pass);

}  // namespace daap::worker
