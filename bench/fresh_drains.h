// Drains on fresh tables, one worker process of concurrency 8: noop, database.update, and noop
// while another session holds a snapshot open.
#pragma once

#include "bench/fresh_context.h"

namespace daap::bench {

// For each N of options.sizes, `repeat` noop drains; prints every run and the median.
void measure_fresh_drains(const FreshContext& context);

// `repeat` database.update drains of options.jobs records and jobs; prints their median.
void measure_update_drain(const FreshContext& context);

// `repeat` pairs of noop drains of options.jobs: without, then with a second session holding a
// REPEATABLE READ snapshot open for the whole drain; prints both medians and the ratio.
void measure_snapshot_drain(const FreshContext& context);

}  // namespace daap::bench
