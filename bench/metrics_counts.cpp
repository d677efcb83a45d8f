// daap-bench-counts: what the /metrics count queries cost on a large daap.jobs, the one-scan
// query they replaced beside them. Not a test: run it by hand
// (scripts/with-postgres build/bench/daap-bench-counts, after daapctl migrate up).
// It fills daap.jobs (which must be empty) with generate_series, once per mix, and empties it
// again at the end.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <pqxx/pqxx>

#include "bench/figures.h"
#include "bench/queries.h"
#include "queue/job_counts.h"

namespace po = boost::program_options;

namespace daap::bench {
namespace {

using Seconds = std::chrono::duration<double>;

// Proportions per thousand jobs; the rest are due.
struct Mix {
  const char* name;
  int succeeded, failed, cancelled, running, scheduled;
};

const std::vector<Mix> kMixes = {
    // The mix the README's earlier figures were measured with: a large backlog.
    {"backlog: 60% succeeded, 2% failed, 1% cancelled, 0.1% running, 10% scheduled, ~27% due", 600,
     20, 10, 1, 100},
    // A queue keeping up: the finished jobs awaiting pruning are nearly all of the table.
    {"steady: 95% succeeded, 2% failed, 1% cancelled, 0.1% running, 1% scheduled, ~0.9% due", 950,
     20, 10, 1, 10},
};

template <typename F>
std::vector<double> time_runs(int runs, F&& run) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    run();
    ms.push_back(Seconds(std::chrono::steady_clock::now() - start).count() * 1000);
  }
  return ms;
}

std::string summary(const std::vector<double>& ms) {
  return "median " + fixed(median(ms), 1) + " ms (" + list_text(ms, 1) + ")";
}

int run(const std::string& url, int jobs, int runs) {
  pqxx::connection conn(url);
  {
    pqxx::nontransaction tx(conn);
    if (tx.query_value<long>("SELECT count(*) FROM (SELECT 1 FROM daap.jobs LIMIT 1) AS one") !=
        0) {
      std::cerr << "daap.jobs is not empty: point DATABASE_URL at a database to throw away\n";
      return 2;
    }
  }
  const auto conditions = read_conditions(conn);
  for (const auto& mix : kMixes) {
    {
      pqxx::work tx(conn);
      tx.exec(sql::fill_counted_jobs, pqxx::params{jobs, mix.succeeded, mix.failed, mix.cancelled,
                                                   mix.running, mix.scheduled});
      tx.commit();
    }
    pqxx::nontransaction(conn).exec("VACUUM ANALYZE daap.jobs");
    const auto load = load_average();
    // Each once untimed, so that both start from the same cache.
    const auto before = [&] {
      pqxx::read_transaction tx(conn);
      tx.exec(sql::count_jobs_before);
    };
    const auto after = [&] {
      pqxx::read_transaction tx(conn);
      queue::count_jobs(tx);
    };
    before();
    after();
    std::vector<double> old_ms, new_ms;
    for (int i = 0; i < runs; ++i) {  // interleaved, so load changes hit both alike
      old_ms.push_back(time_runs(1, before).front());
      new_ms.push_back(time_runs(1, after).front());
    }
    std::cout << jobs << " jobs, " << mix.name << "\n"
              << "  before (one scan, per queue and state): " << summary(old_ms) << "\n"
              << "  now (live per queue through the partial indexes, finished per state "
                 "index-only): "
              << summary(new_ms) << "\n"
              << "  " << conditions.text(load) << "\n";
    pqxx::nontransaction(conn).exec("TRUNCATE daap.jobs");
  }
  return 0;
}

}  // namespace
}  // namespace daap::bench

int main(int argc, char** argv) {
  po::options_description options("daap-bench-counts [options]");
  int jobs = 1'000'000;
  int runs = 7;
  std::string url;
  options.add_options()("help", "this help")("database-url", po::value(&url)->default_value(""),
                                             "default: DATABASE_URL")(
      "jobs", po::value(&jobs)->default_value(jobs), "rows of daap.jobs per mix")(
      "runs", po::value(&runs)->default_value(runs), "timed runs of each query per mix");
  po::variables_map vars;
  try {
    po::store(po::parse_command_line(argc, argv, options), vars);
    po::notify(vars);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n" << options;
    return 2;
  }
  if (vars.count("help")) {
    std::cout << options;
    return 0;
  }
  if (url.empty()) {
    const char* env = std::getenv("DATABASE_URL");
    if (!env) {
      std::cerr << "set DATABASE_URL or --database-url\n";
      return 2;
    }
    url = env;
  }
  try {
    return daap::bench::run(url, jobs, runs);
  } catch (const std::exception& e) {
    std::cerr << "daap-bench-counts: " << e.what() << "\n";
    return 1;
  }
}
