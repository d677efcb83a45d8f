// How long the real claim (queue::claim) takes with a large backlog of available jobs.
#pragma once

#include "bench/fresh_context.h"

namespace daap::bench {

// Fills a fresh table with options.claim_table available jobs (one INSERT, then VACUUM ANALYZE,
// as autovacuum would leave a backlog that has waited a while), then times
// options.claim_samples claims of options.claim_size, each released again so the backlog stays
// the same; prints p50, p99 and max.
void measure_claim_latency(const FreshContext& context);

}  // namespace daap::bench
