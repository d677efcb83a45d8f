// Graphile Worker run beside daap-worker: bench/graphile/graphile_drain.mjs under Node 24, as
// installed by scripts/install-graphile.
#pragma once

#include <string>

#include "bench/options.h"
#include "bench/scratch_database.h"

namespace daap::bench {

// One Graphile drain, as its script reports it.
struct GraphileDrain {
  double seconds = 0;   // from run() until the last job's completion committed
  std::string version;  // graphile-worker's
  std::string node;     // Node's
};

// Throws worker::ConfigError unless --node, --graphile-dir and the script are there.
void check_graphile_peer(const Options& options);

// In a fresh graphile_worker schema of `scratch`, adds `jobs` no-op jobs with one add_jobs()
// call, CHECKPOINTs when `checkpoint`, then times one worker (concurrentJobs
// kSideBySideConcurrency, Graphile's perfTest batching) until all are done.
GraphileDrain run_graphile_drain(const Options& options, const ScratchDatabase& scratch, int jobs,
                                 bool checkpoint);

}  // namespace daap::bench
