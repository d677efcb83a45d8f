// The overview's chart: jobs that succeeded and failed per minute over the last hour, as an
// SVG drawn on the server (no script, no inline style: the CSP allows neither).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace daap::worker::console {

// One minute of the last hour.
struct MinuteCounts {
  std::int64_t succeeded = 0;
  std::int64_t failed = 0;
};

// `svg#throughput` with a stacked bar per minute, oldest first (60 minutes expected).
std::string throughput_chart(const std::vector<MinuteCounts>& minutes);

}  // namespace daap::worker::console
