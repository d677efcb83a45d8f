#include "bench/claim_latency.h"

#include <chrono>
#include <iostream>
#include <stdexcept>
#include <vector>

#include <pqxx/pqxx>

#include "bench/queries.h"
#include "queue/executor_sql.h"

namespace daap::bench {
namespace {

// Claims before the timed ones, so that caches and the connection are warm.
constexpr int kWarmUpClaims = 10;
constexpr auto kLease = std::chrono::minutes(5);
constexpr const char* kWorkerId = "daap-bench-claim";

}  // namespace

void measure_claim_latency(const FreshContext& context) {
  const auto& options = context.options;
  const int table = options.claim_table;
  const int size = options.claim_size;
  const auto load_before = load_average();
  std::cout << "claim of " << size << " with " << table << " available jobs, "
            << options.claim_samples << " claims\n";
  context.scratch.recreate(true);
  pqxx::connection conn(context.scratch.conninfo());
  const auto fill_start = std::chrono::steady_clock::now();
  {
    pqxx::work tx(conn);
    tx.exec(sql::fill_noop_jobs, pqxx::params{table});
    tx.commit();
  }
  pqxx::nontransaction(conn).exec("VACUUM ANALYZE daap.jobs");
  const std::chrono::duration<double> fill = std::chrono::steady_clock::now() - fill_start;
  std::cout << "  filled and vacuumed in " << fixed(fill.count(), 1) << " s\n";

  std::vector<double> ms;
  for (int i = -kWarmUpClaims; i < options.claim_samples; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const auto jobs = queue::claim(conn, kWorkerId, {"default"}, size, kLease);
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    if (static_cast<int>(jobs.size()) != size) {
      throw std::runtime_error("a claim of " + std::to_string(size) + " got " +
                               std::to_string(jobs.size()) + " jobs");
    }
    std::vector<queue::JobLease> leases;
    for (const auto& job : jobs) leases.push_back(job.lease());
    pqxx::work tx(conn);
    queue::release(tx, leases);  // available again, at the end of the order (run_at = now)
    tx.commit();
    if (i >= 0) ms.push_back(took.count());
  }
  const auto available = pqxx::nontransaction(conn).query_value<int>(
      "SELECT count(*) FROM daap.jobs WHERE state = 'available'");
  if (available != table) {
    throw std::runtime_error(std::to_string(available) + " jobs are available after the claims, " +
                             "not " + std::to_string(table) + ": a release went wrong");
  }
  std::cout << "  => claim of " << size << " with " << table << " available jobs: p50 "
            << fixed(percentile(ms, 50), 2) << " ms, p99 " << fixed(percentile(ms, 99), 2)
            << " ms, max " << fixed(percentile(ms, 100), 2) << " ms over " << ms.size()
            << " claims | queue::claim (one statement and commit) on one connection after "
            << kWarmUpClaims << " warm-up claims, each claim released again so " << table
            << " stay available | the table filled by one INSERT, then VACUUM ANALYZE | "
            << context.conditions.text(load_before) << "\n";
}

}  // namespace daap::bench
