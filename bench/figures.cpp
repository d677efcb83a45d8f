#include "bench/figures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <thread>

namespace daap::bench {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  if (n == 0) return 0;
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank =
      static_cast<std::size_t>(std::ceil(p / 100 * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string list_text(const std::vector<double>& values, int decimals) {
  std::string text;
  for (const auto v : values) text += (text.empty() ? "" : ", ") + fixed(v, decimals);
  return text;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one_minute;
  return in >> one_minute ? one_minute : "unknown";
}

std::string Conditions::text(const std::string& load_before) const {
  return "PostgreSQL " + postgres_version + ", fsync=" + fsync +
         ", synchronous_commit=" + synchronous_commit + ", " + std::to_string(cores) +
         " cores, load " + load_before + " before, " + load_average() + " after";
}

Conditions read_conditions(pqxx::connection& conn) {
  pqxx::nontransaction tx(conn);
  const auto row = tx.exec(
                         "SELECT current_setting('server_version'), current_setting('fsync'), "
                         "current_setting('synchronous_commit')")
                       .one_row();
  Conditions c;
  const auto version = row[0].as<std::string>();
  c.postgres_version = version.substr(0, version.find(' '));
  c.fsync = row[1].as<std::string>();
  c.synchronous_commit = row[2].as<std::string>();
  c.cores = std::thread::hardware_concurrency();
  return c;
}

}  // namespace daap::bench
