#include "bench/fresh_drains.h"

#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "bench/graphile_peer.h"
#include "bench/queries.h"
#include "bench/worker_processes.h"

namespace daap::bench {
namespace {

enum class Fill { noop, update };

// The single value of a named query, outside a transaction.
template <typename T>
T value_of(pqxx::connection& conn, std::string_view query, const pqxx::params& params = {}) {
  return pqxx::nontransaction(conn).exec(query, params).one_field().as<T>();
}

// How our side runs, for the summary lines.
std::string our_setup(const Options& options) {
  std::string text = "ours: one daap-worker --concurrency " +
                     std::to_string(kSideBySideConcurrency) + " --log-level warn";
  for (const auto& arg : options.worker_args) text += " " + arg;
  return text + ", timed from its start to the last finished_at";
}

std::string fresh_setup(const FreshContext& context) {
  return std::string("each run on a freshly created table, never analyzed") +
         (context.checkpoint ? ", CHECKPOINT before the clock starts" : "");
}

std::string rate_text(double jobs, double seconds) {
  return fixed(jobs / seconds, 0) + " jobs/s (" + fixed(seconds, 2) + " s)";
}

// One of our drains: the scratch database created and migrated again, `jobs` jobs put in with
// one statement, then one daap-worker timed from its start to the last finished_at. With
// `hold_snapshot`, a second session holds a REPEATABLE READ snapshot, taken after the fill,
// open until the drain is over. Returns the seconds.
double our_drain(const FreshContext& context, Fill fill, int jobs, bool hold_snapshot) {
  auto& scratch = context.scratch;
  scratch.recreate(true);
  pqxx::connection conn(scratch.conninfo());
  {
    pqxx::work tx(conn);
    tx.exec(fill == Fill::noop ? sql::fill_noop_jobs : sql::fill_update_jobs, pqxx::params{jobs});
    tx.commit();
  }
  if (context.checkpoint) pqxx::nontransaction(conn).exec("CHECKPOINT");

  std::optional<pqxx::connection> holder_conn;
  std::optional<pqxx::transaction<pqxx::isolation_level::repeatable_read>> holder;
  if (hold_snapshot) {
    holder_conn.emplace(scratch.conninfo());
    holder.emplace(*holder_conn);
    holder->exec("SELECT count(*) FROM daap.jobs");  // takes the transaction's snapshot
    if (!value_of<bool>(conn, sql::snapshot_held, pqxx::params{holder_conn->backendpid()})) {
      throw std::logic_error("the second session holds no snapshot: the measure would be wrong");
    }
  }

  const auto start =
      pqxx::nontransaction(conn).query_value<std::string>("SELECT clock_timestamp()::text");
  {
    WorkerProcesses workers(context.options, 1, kSideBySideConcurrency, scratch.conninfo());
    wait_for_succeeded(conn, jobs, workers, context.options.timeout);
  }  // the worker stops (SIGTERM) outside the measured time
  if (holder) holder->commit();
  const auto seconds = value_of<double>(conn, sql::drain_seconds, pqxx::params{start});
  if (fill == Fill::update) {
    const auto updated = value_of<int>(conn, sql::updated_records);
    if (updated != jobs) {
      throw std::runtime_error("database.update succeeded " + std::to_string(jobs) +
                               " times but changed " + std::to_string(updated) + " records");
    }
  }
  return seconds;
}

}  // namespace

PeerRates measure_fresh_drains(const FreshContext& context) {
  const auto& options = context.options;
  PeerRates peer;
  for (const int n : options.sizes) {
    const auto load_before = load_average();
    std::cout << "noop drain, fresh table, N=" << n
              << (options.compare_graphile ? ", pairs ours then Graphile Worker's" : "")
              << ", concurrency " << kSideBySideConcurrency << ", one process\n";
    std::vector<double> ours, theirs, ratios;
    GraphileDrain last;
    for (int run = 1; run <= options.repeat; ++run) {
      const double our_seconds = our_drain(context, Fill::noop, n, false);
      ours.push_back(n / our_seconds);
      std::cout << "  " << (options.compare_graphile ? "pair " : "run ") << run << ": ours "
                << rate_text(n, our_seconds) << std::flush;
      if (options.compare_graphile) {
        context.scratch.recreate(false);
        last = run_graphile_drain(options, context.scratch, n, context.checkpoint);
        theirs.push_back(n / last.seconds);
        ratios.push_back(ours.back() / theirs.back());
        std::cout << "; theirs " << rate_text(n, last.seconds) << "; ours/theirs "
                  << fixed(ratios.back(), 3);
      }
      std::cout << "\n";
    }
    std::cout << "  => noop drain, fresh table, N=" << n << ": ours median "
              << fixed(median(ours), 0) << " jobs/s [" << list_text(ours, 0) << "]";
    if (options.compare_graphile) {
      peer[n] = median(theirs);
      std::cout << "; Graphile Worker " << last.version << " median " << fixed(peer[n], 0)
                << " jobs/s [" << list_text(theirs, 0) << "]; ours/theirs median of the "
                << ratios.size() << " pair ratios " << fixed(median(ratios), 3) << " ["
                << list_text(ratios, 3) << "]";
    }
    std::cout << " | " << our_setup(options);
    if (options.compare_graphile) {
      std::cout << "; theirs: graphile-worker " << last.version << " on Node " << last.node
                << ", concurrentJobs " << kSideBySideConcurrency
                << ", perfTest batching (localQueue size 500, refetchDelay 10ms, "
                   "completeJobBatchDelay 0, failJobBatchDelay 0), NO_LOG_SUCCESS, timed from "
                   "run() to its last completion, its jobs added with one add_jobs()";
    }
    std::cout << " | " << fresh_setup(context) << " | " << context.conditions.text(load_before)
              << "\n";
  }
  return peer;
}

void measure_update_drain(const FreshContext& context, const PeerRates& peer) {
  const auto& options = context.options;
  const int n = options.jobs;
  const auto load_before = load_average();
  std::cout << "database.update drain, fresh tables, N=" << n << " records and jobs, concurrency "
            << kSideBySideConcurrency << ", one process\n";
  std::vector<double> rates;
  for (int run = 1; run <= options.repeat; ++run) {
    const double seconds = our_drain(context, Fill::update, n, false);
    rates.push_back(n / seconds);
    std::cout << "  run " << run << ": " << rate_text(n, seconds) << "\n";
  }
  std::cout << "  => database.update drain, fresh tables, N=" << n << ": median "
            << fixed(median(rates), 0) << " jobs/s [" << list_text(rates, 0) << "]";
  if (const auto it = peer.find(n); it != peer.end()) {
    std::cout << "; ratio to Graphile Worker's noop drain of N=" << n << " in this run (median "
              << fixed(it->second, 0) << " jobs/s): " << fixed(median(rates) / it->second, 3);
  } else if (options.compare_graphile) {
    std::cout << "; no Graphile Worker noop drain of N=" << n
              << " in this run to compare with (add it to --sizes)";
  }
  std::cout << " | each job changes one record's owner_team and purpose in the job's transaction"
               " (the worker groups such jobs, up to 50 per commit); "
            << our_setup(options) << " | " << fresh_setup(context) << " | "
            << context.conditions.text(load_before) << "\n";
}

void measure_snapshot_drain(const FreshContext& context) {
  const auto& options = context.options;
  const int n = options.jobs;
  const auto load_before = load_average();
  std::cout << "noop drain, fresh table, N=" << n
            << ", pairs without then with a REPEATABLE READ snapshot held open, concurrency "
            << kSideBySideConcurrency << ", one process\n";
  std::vector<double> normal, held, ratios;
  for (int run = 1; run <= options.repeat; ++run) {
    const double normal_seconds = our_drain(context, Fill::noop, n, false);
    normal.push_back(n / normal_seconds);
    std::cout << "  pair " << run << ": normal " << rate_text(n, normal_seconds) << std::flush;
    const double held_seconds = our_drain(context, Fill::noop, n, true);
    held.push_back(n / held_seconds);
    ratios.push_back(held.back() / normal.back());
    std::cout << "; snapshot held " << rate_text(n, held_seconds) << "; held/normal "
              << fixed(ratios.back(), 3) << "\n";
  }
  std::cout << "  => noop drain, fresh table, N=" << n << ", snapshot held: median "
            << fixed(median(held), 0) << " jobs/s [" << list_text(held, 0) << "]; normal median "
            << fixed(median(normal), 0) << " jobs/s [" << list_text(normal, 0)
            << "]; held/normal median of the " << ratios.size() << " pair ratios "
            << fixed(median(ratios), 3) << " [" << list_text(ratios, 3) << "]"
            << " | a second session in REPEATABLE READ ran one SELECT after the fill and stayed "
               "open until the last job finished, so no row the drain updates can be pruned; "
            << our_setup(options) << " | " << fresh_setup(context) << " | "
            << context.conditions.text(load_before) << "\n";
}

}  // namespace daap::bench
