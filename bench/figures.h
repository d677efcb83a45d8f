// How daap-bench prints a figure: medians and percentiles, numbers, and the conditions each
// figure was measured under.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace daap::bench {

// The middle value (the mean of the two middle ones for an even count); 0 when empty.
double median(std::vector<double> values);

// Nearest-rank percentile (0 < p <= 100) of `values`; 0 when empty.
double percentile(std::vector<double> values, double p);

// `value` with `decimals` digits after the point.
std::string fixed(double value, int decimals);

// "a, b, c", each with `decimals` digits.
std::string list_text(const std::vector<double>& values, int decimals);

// The machine's 1-minute load average, from /proc/loadavg ("unknown" when unreadable).
std::string load_average();

// What a figure depends on besides the code: printed next to every figure.
struct Conditions {
  std::string postgres_version, fsync, synchronous_commit;
  unsigned cores = 0;
  // "PostgreSQL 15.18, fsync=on, synchronous_commit=on, 2 cores, load 1.20 before, 1.43 after":
  // the machine may be shared, so its load when the figure's runs began and now.
  std::string text(const std::string& load_before) const;
};

// Reads the server's version and durability settings, and the machine's cores.
Conditions read_conditions(pqxx::connection& conn);

}  // namespace daap::bench
