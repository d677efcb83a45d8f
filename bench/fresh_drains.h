// Drains on fresh tables, one worker process of concurrency 8: noop beside Graphile Worker,
// database.update, and noop while another session holds a snapshot open.
#pragma once

#include <map>

#include "bench/fresh_context.h"

namespace daap::bench {

// Graphile's median noop drain rate (jobs/s) per N, measured in this run.
using PeerRates = std::map<int, double>;

// For each N of options.sizes, `repeat` noop drains of ours, each followed by one of Graphile's
// with --compare graphile (interleaved pairs); prints every run, the medians and the median of
// the per-pair ratios ours/theirs. Returns Graphile's medians (empty without the comparison).
PeerRates measure_fresh_drains(const FreshContext& context);

// `repeat` database.update drains of options.jobs records and jobs; prints their median and its
// ratio to Graphile's noop median of the same N from `peer`, when there is one.
void measure_update_drain(const FreshContext& context, const PeerRates& peer);

// `repeat` pairs of noop drains of options.jobs: without, then with a second session holding a
// REPEATABLE READ snapshot open for the whole drain; prints both medians and the ratio.
void measure_snapshot_drain(const FreshContext& context);

}  // namespace daap::bench
