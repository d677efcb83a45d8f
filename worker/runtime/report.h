// The one place a job's outcome becomes a metric and a log line.
#pragma once

#include <string>

#include <spdlog/common.h>

#include "worker/metrics.h"
#include "worker/runtime/in_flight.h"
#include "worker/runtime/outcome.h"

namespace daap::worker::runtime {

// Counts the outcome and logs it at `level` with the job's id, kind, queue, attempt, duration
// (from its start, or its claim if it never started) and the error, if any. Call once per job:
// after InFlightRegistry::finish() said true, or for the jobs lose()/take_unstarted() returned.
void report_outcome(Metrics& metrics, const InFlightJob& job, Outcome outcome,
                    const std::string& error, spdlog::level::level_enum level);

}  // namespace daap::worker::runtime
