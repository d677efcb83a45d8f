// What the measures on fresh tables share: the options, the scratch database they re-create for
// every run, the conditions they print, and whether they may CHECKPOINT before timing.
#pragma once

#include "bench/figures.h"
#include "bench/options.h"
#include "bench/scratch_database.h"

namespace daap::bench {

struct FreshContext {
  const Options& options;
  ScratchDatabase& scratch;
  const Conditions& conditions;
  // CHECKPOINT after each fill, before the clock starts, so that no run pays for an earlier
  // one's dirty pages (needs superuser or pg_checkpoint; off when refused).
  bool checkpoint = false;
};

}  // namespace daap::bench
