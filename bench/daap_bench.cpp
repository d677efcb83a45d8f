// daap-bench: throughput and latency of the job queue on a real PostgreSQL, each figure printed
// with the conditions it was measured under. Not a test: run it by hand (scripts/bench).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/program_options.hpp>
#include <pqxx/pqxx>

#include "bench/claim_latency.h"
#include "bench/figures.h"
#include "bench/fresh_drains.h"
#include "bench/graphile_peer.h"
#include "bench/options.h"
#include "bench/scratch_database.h"
#include "bench/worker_processes.h"
#include "queue/enqueue.h"
#include "worker/config.h"

namespace po = boost::program_options;

namespace daap::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;

constexpr auto kPollInterval = std::chrono::milliseconds(20);
constexpr int kBulkBatch = 1000;
// Records the bench creates in daap.databases carry this owner team, so it deletes only its own.
constexpr const char* kBenchTeam = "daap-bench";

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, separator);) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

std::vector<int> parse_int_list(const std::string& text, const std::string& flag) {
  std::vector<int> values;
  for (const auto& part : split(text, ',')) {
    try {
      std::size_t used = 0;
      const int v = std::stoi(part, &used);
      if (used == part.size() && v >= 1) {
        values.push_back(v);
        continue;
      }
    } catch (const std::exception&) {
    }
    throw worker::ConfigError("--" + flag,
                              "expected positive whole numbers separated by commas, "
                              "got '" +
                                  text + "'");
  }
  if (values.empty()) throw worker::ConfigError("--" + flag, "is empty");
  return values;
}

// The worker next to this build: <build>/bench/daap-bench -> <build>/worker/daap_worker/.
std::string default_worker_bin() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "daap-worker";
  return (self.parent_path() / ".." / "worker" / "daap_worker" / "daap-worker")
      .lexically_normal()
      .string();
}

// Refuses a database that is not migrated, or that holds jobs or live workers the bench did not
// start (it truncates daap.jobs, and foreign workers would take its jobs).
void check_database(pqxx::connection& conn, bool force) {
  pqxx::nontransaction tx(conn);
  if (!tx.query_value<bool>("SELECT to_regclass('daap.jobs') IS NOT NULL AND "
                            "to_regclass('daap.workers') IS NOT NULL AND "
                            "EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n "
                            "  ON n.oid = p.pronamespace "
                            "  WHERE n.nspname = 'daap' AND p.proname = 'enqueue')")) {
    throw std::runtime_error("the database is not migrated: run `daapctl migrate up` first");
  }
  if (force) return;
  const auto jobs = tx.query_value<std::int64_t>("SELECT count(*) FROM daap.jobs");
  const auto workers = tx.query_value<std::int64_t>(
      "SELECT count(*) FROM daap.workers WHERE heartbeat_at > now() - interval '1 minute'");
  if (jobs > 0 || workers > 0) {
    throw std::runtime_error(
        "daap.jobs holds " + std::to_string(jobs) + " job(s) and " + std::to_string(workers) +
        " worker(s) are live: the bench truncates daap.jobs and needs the queue to itself; "
        "use a throwaway database, or --force");
  }
}

// Removes what a run created: every job, and the records of the bench's owner team.
void clean(pqxx::connection& conn) {
  pqxx::work tx(conn);
  tx.exec("TRUNCATE daap.jobs");
  tx.exec("DELETE FROM daap.databases WHERE owner_team = $1", pqxx::params{kBenchTeam});
  tx.commit();
}

// Pre-enqueues n jobs of `kind` with one INSERT (database.update: after n records).
void pre_enqueue(pqxx::connection& conn, const std::string& kind, int n) {
  pqxx::work tx(conn);
  if (kind == "database.update") {
    tx.exec(
        "INSERT INTO daap.databases (name, owner_team, status, host, port, secret_name) "
        "SELECT 'bench-' || g, $1, 'ready', 'bench.invalid', 5432, 'bench-' || g "
        "FROM generate_series(1, $2) g",
        pqxx::params{kBenchTeam, n});
    tx.exec(
        "INSERT INTO daap.jobs (kind, payload, database_id) "
        "SELECT 'database.update', "
        "  jsonb_build_object('database_id', id, 'purpose', 'bench'), id "
        "FROM daap.databases WHERE owner_team = $1 AND deleted_at IS NULL",
        pqxx::params{kBenchTeam});
  } else {
    tx.exec("INSERT INTO daap.jobs (kind) SELECT $1 FROM generate_series(1, $2)",
            pqxx::params{kind, n});
  }
  tx.commit();
  pqxx::nontransaction(conn).exec("ANALYZE daap.jobs");
}

// (a) Drain: N pre-enqueued jobs, P worker processes of concurrency C, start to all succeeded.
void bench_drain(const Options& options, pqxx::connection& conn, const Conditions& conditions) {
  for (const auto& kind : options.kinds) {
    for (const int processes : options.processes) {
      for (const int concurrency : options.concurrency) {
        const std::string setup = "N=" + std::to_string(options.jobs) +
                                  " concurrency=" + std::to_string(concurrency) +
                                  " processes=" + std::to_string(processes);
        const auto load_before = load_average();
        std::cout << "drain " << kind << " " << setup << "\n";
        std::vector<double> wall_rates, db_rates;
        for (int run = 1; run <= options.repeat; ++run) {
          clean(conn);
          pre_enqueue(conn, kind, options.jobs);
          const auto start = SteadyClock::now();
          Seconds wall{};
          {
            WorkerProcesses workers(options, processes, concurrency, options.database_url);
            wait_for_succeeded(conn, options.jobs, workers, options.timeout);
            wall = SteadyClock::now() - start;
          }  // the workers stop (SIGTERM) outside the measured time
          const auto in_db = pqxx::nontransaction(conn).query_value<double>(
              "SELECT extract(epoch FROM max(finished_at) - min(started_at)) FROM daap.jobs");
          const Seconds until_done = std::chrono::duration<double>(in_db);
          wall_rates.push_back(options.jobs / wall.count());
          db_rates.push_back(options.jobs / until_done.count());
          std::cout << "  run " << run << ": " << fixed(wall_rates.back(), 0) << " jobs/s wall ("
                    << fixed(wall.count(), 2) << " s, from starting the workers to all succeeded); "
                    << fixed(db_rates.back(), 0) << " jobs/s in the database ("
                    << fixed(until_done.count(), 2) << " s, first started_at to last "
                    << "finished_at)\n";
        }
        clean(conn);
        std::cout << "  => drain " << kind << ": median " << fixed(median(wall_rates), 0)
                  << " jobs/s wall, " << fixed(median(db_rates), 0)
                  << " jobs/s in the database, of " << options.repeat << " runs ["
                  << list_text(wall_rates, 0) << "] | " << setup << " | "
                  << conditions.text(load_before) << "\n";
      }
    }
  }
}

// (b) Enqueue rate: one daap.enqueue() per transaction, and bulk batches in one statement.
void bench_enqueue(const Options& options, pqxx::connection& conn, const Conditions& conditions) {
  const std::string setup = "N=" + std::to_string(options.jobs) + ", one connection, no workers";
  conn.prepare("bench_enqueue_one", "SELECT daap.enqueue($1, $2::jsonb)");
  std::vector<double> single, bulk;
  const auto load_before = load_average();
  std::cout << "enqueue " << setup << "\n";
  for (int run = 1; run <= options.repeat; ++run) {
    clean(conn);
    auto start = SteadyClock::now();
    for (int i = 0; i < options.jobs; ++i) {
      pqxx::work tx(conn);
      tx.exec(pqxx::prepped{"bench_enqueue_one"}, pqxx::params{"noop", "{}"});
      tx.commit();
    }
    Seconds elapsed = SteadyClock::now() - start;
    single.push_back(options.jobs / elapsed.count());
    std::cout << "  run " << run << ": single " << fixed(single.back(), 0) << " jobs/s ("
              << fixed(elapsed.count(), 2) << " s)";

    clean(conn);
    queue::NewJob noop;
    noop.kind = "noop";
    std::vector<queue::NewJob> batch;
    start = SteadyClock::now();
    for (int done = 0; done < options.jobs; done += static_cast<int>(batch.size())) {
      batch.assign(static_cast<std::size_t>(std::min(kBulkBatch, options.jobs - done)), noop);
      pqxx::work tx(conn);
      queue::enqueue_many(tx, batch);
      tx.commit();
    }
    elapsed = SteadyClock::now() - start;
    bulk.push_back(options.jobs / elapsed.count());
    std::cout << "; bulk " << fixed(bulk.back(), 0) << " jobs/s (" << fixed(elapsed.count(), 2)
              << " s)\n";
  }
  clean(conn);
  std::cout << "  => enqueue single (SELECT daap.enqueue, one transaction each): median "
            << fixed(median(single), 0) << " jobs/s of " << options.repeat << " runs ["
            << list_text(single, 0) << "] | " << setup << " | " << conditions.text(load_before)
            << "\n";
  std::cout << "  => enqueue bulk (queue::enqueue_many, " << kBulkBatch
            << " per statement and transaction): median " << fixed(median(bulk), 0) << " jobs/s of "
            << options.repeat << " runs [" << list_text(bulk, 0) << "] | " << setup << " | "
            << conditions.text(load_before) << "\n";
}

// (c) Enqueue-to-start latency with one idle worker: started_at - created_at, same clock.
void bench_latency(const Options& options, pqxx::connection& conn, const Conditions& conditions) {
  const std::string setup = "M=" + std::to_string(options.latency_jobs) + " one at a time, " +
                            worker::format_duration(options.latency_gap) +
                            " apart, 1 worker process, default concurrency";
  const auto load_before = load_average();
  std::cout << "latency " << setup << "\n";
  conn.prepare("bench_enqueue_latency", "SELECT daap.enqueue($1, $2::jsonb)");
  clean(conn);
  WorkerProcesses workers(options, 1, std::nullopt, options.database_url);
  // Ready when registered; then give it a moment to LISTEN and go idle.
  const auto deadline = SteadyClock::now() + std::chrono::seconds(30);
  while (pqxx::nontransaction(conn).query_value<std::int64_t>(
             "SELECT count(*) FROM daap.workers") == 0) {
    workers.check_alive();
    if (SteadyClock::now() > deadline) throw std::runtime_error("the worker did not register");
    std::this_thread::sleep_for(kPollInterval);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (int i = 0; i < options.latency_jobs; ++i) {
    pqxx::nontransaction(conn).exec(pqxx::prepped{"bench_enqueue_latency"},
                                    pqxx::params{"noop", "{}"});
    std::this_thread::sleep_for(options.latency_gap);
  }
  wait_for_succeeded(conn, options.latency_jobs, workers, options.timeout);
  workers.stop();
  const auto row =
      pqxx::nontransaction(conn)
          .exec(
              "SELECT percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY ms), "
              "  max(ms), avg(ms) "
              "FROM (SELECT extract(epoch FROM started_at - created_at) * 1000 AS ms "
              "  FROM daap.jobs) latencies")
          .one_row();
  const auto percentiles = split(row[0].as<std::string>().substr(1), ',');  // "{a,b,c}"
  const auto ms = [](const std::string& text) { return fixed(std::stod(text), 2) + " ms"; };
  clean(conn);
  std::cout << "  => enqueue-to-start latency: p50 " << ms(percentiles.at(0)) << ", p90 "
            << ms(percentiles.at(1)) << ", p99 " << ms(percentiles.at(2)) << ", max "
            << ms(row[1].as<std::string>()) << ", mean " << ms(row[2].as<std::string>()) << " | "
            << setup << " | " << conditions.text(load_before) << "\n";
}

// The measures this program knows, in the order it runs them.
const std::vector<std::string> kMeasures = {"drain",   "enqueue", "fresh",   "update",
                                            "latency", "claim",   "snapshot"};
// Those that work in the scratch database (the others in DATABASE_URL's).
const std::set<std::string> kScratchMeasures = {"fresh", "update", "claim", "snapshot"};

Options parse_options(int argc, char** argv, bool& help) {
  Options o;
  std::string concurrency = "10", processes = "1", kinds = "noop,database.update",
              only = "drain,enqueue,latency", gap = "20ms", timeout = "30m", sizes = "20000,200000",
              compare = "none";
  po::options_description desc(
      "usage: daap-bench [options] [-- daap-worker flags]\n\n"
      "Measures the queue on the PostgreSQL of DATABASE_URL; each figure is printed with its\n"
      "conditions: PostgreSQL version, fsync, synchronous_commit, N, concurrency, processes,\n"
      "the machine's cores and its load before and after.\n"
      "drain, enqueue and latency work in DATABASE_URL's database (migrated; they TRUNCATE\n"
      "daap.jobs). fresh, update, claim and snapshot work in a scratch database on the same\n"
      "server, <database>_bench, dropped and created again for every run (the role needs\n"
      "CREATEDB) and dropped at the end. Flags after -- go to every daap-worker.\n\noptions");
  desc.add_options()("help,h", "show this help")(
      "jobs", po::value<int>(&o.jobs)->default_value(o.jobs),
      "N: jobs per drain/enqueue run, and of the update and snapshot drains")(
      "concurrency", po::value<std::string>(&concurrency)->default_value(concurrency),
      "drain: worker --concurrency; a comma list runs each")(
      "processes", po::value<std::string>(&processes)->default_value(processes),
      "drain: worker processes; a comma list runs each")(
      "repeat", po::value<int>(&o.repeat)->default_value(o.repeat),
      "runs per figure, or pairs where two are compared (each printed, then the medians)")(
      "kinds", po::value<std::string>(&kinds)->default_value(kinds),
      "drain: job kinds (noop, database.update)")(
      "only", po::value<std::string>(&only)->default_value(only),
      "which measurements (comma list): drain, enqueue, latency; and on fresh tables: fresh "
      "(noop drains of each --sizes), update (database.update drain), claim (claim latency "
      "with a large backlog), snapshot (drain while a snapshot is held open). With --compare "
      "graphile the default is fresh,update,latency,claim,snapshot")(
      "sizes", po::value<std::string>(&sizes)->default_value(sizes),
      "fresh: N of the noop drains (comma list)")(
      "compare", po::value<std::string>(&compare)->default_value(compare),
      "none, or graphile: each fresh drain is followed by Graphile Worker's of the same N "
      "(interleaved pairs); needs --node and --graphile-dir (scripts/bench --compare graphile "
      "installs them)")("node", po::value<std::string>(&o.node_bin),
                        "--compare graphile: Node >= 22.18")(
      "graphile-dir", po::value<std::string>(&o.graphile_dir),
      "--compare graphile: the folder whose node_modules holds graphile-worker and pg")(
      "graphile-script",
      po::value<std::string>(&o.graphile_script)->default_value(DAAP_GRAPHILE_DRAIN_SCRIPT),
      "--compare graphile: the script that runs one Graphile drain")(
      "claim-table", po::value<int>(&o.claim_table)->default_value(o.claim_table),
      "claim: available jobs in the table")(
      "claim-size", po::value<int>(&o.claim_size)->default_value(o.claim_size),
      "claim: jobs per claim")("claim-samples",
                               po::value<int>(&o.claim_samples)->default_value(o.claim_samples),
                               "claim: timed claims")(
      "latency-jobs", po::value<int>(&o.latency_jobs)->default_value(o.latency_jobs),
      "latency: jobs enqueued one at a time")(
      "latency-gap", po::value<std::string>(&gap)->default_value(gap),
      "latency: pause between two enqueues (the worker is idle at each)")(
      "timeout", po::value<std::string>(&timeout)->default_value(timeout),
      "give up on a run after this long")(
      "worker-bin", po::value<std::string>(&o.worker_bin)->default_value(default_worker_bin()),
      "the daap-worker binary")(
      "worker-arg", po::value<std::vector<std::string>>(&o.worker_args),
      "extra argument for every worker (repeatable), e.g. --worker-arg=--db-max-conns=60; "
      "or put them after --")(
      "force",
      "run even when daap.jobs is not empty or other workers are live (it truncates "
      "daap.jobs)");
  worker::add_database_options(desc);
  // Everything after "--" is for the workers.
  int own_argc = argc;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--") {
      own_argc = i;
      break;
    }
  }
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(own_argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw worker::ConfigError("command line", e.what());
  }
  if (vm.count("help") != 0U) {
    std::cout << desc << "\n";
    help = true;
    return o;
  }
  for (int i = own_argc + 1; i < argc; ++i) o.worker_args.emplace_back(argv[i]);
  o.force = vm.count("force") != 0U;
  o.concurrency = parse_int_list(concurrency, "concurrency");
  o.processes = parse_int_list(processes, "processes");
  o.sizes = parse_int_list(sizes, "sizes");
  o.kinds = split(kinds, ',');
  for (const auto& k : o.kinds) {
    if (k != "noop" && k != "database.update") {
      throw worker::ConfigError("--kinds", "unknown kind '" + k + "' (noop, database.update)");
    }
  }
  if (compare != "none" && compare != "graphile") {
    throw worker::ConfigError("--compare", "expected none or graphile, got '" + compare + "'");
  }
  o.compare_graphile = compare == "graphile";
  if (o.compare_graphile && vm["only"].defaulted()) only = "fresh,update,latency,claim,snapshot";
  o.only.clear();
  for (const auto& m : split(only, ',')) {
    if (std::find(kMeasures.begin(), kMeasures.end(), m) == kMeasures.end()) {
      throw worker::ConfigError("--only", "unknown measurement '" + m +
                                              "' (drain, enqueue, latency, fresh, update, "
                                              "claim, snapshot)");
    }
    o.only.insert(m);
  }
  if (o.compare_graphile) check_graphile_peer(o);
  if (o.jobs < 1) throw worker::ConfigError("--jobs", "must be at least 1");
  if (o.repeat < 1) throw worker::ConfigError("--repeat", "must be at least 1");
  if (o.latency_jobs < 1) throw worker::ConfigError("--latency-jobs", "must be at least 1");
  if (o.claim_size < 1) throw worker::ConfigError("--claim-size", "must be at least 1");
  if (o.claim_table < o.claim_size) {
    throw worker::ConfigError("--claim-table", "must be at least --claim-size");
  }
  if (o.claim_samples < 1) throw worker::ConfigError("--claim-samples", "must be at least 1");
  try {
    o.latency_gap = worker::parse_duration(gap);
  } catch (const std::invalid_argument& e) {
    throw worker::ConfigError("--latency-gap", e.what());
  }
  try {
    o.timeout = worker::parse_duration(timeout);
  } catch (const std::invalid_argument& e) {
    throw worker::ConfigError("--timeout", e.what());
  }
  o.database_url = worker::read_database_config(vm).url;
  return o;
}

// Whether this role may CHECKPOINT (superuser, or pg_checkpoint from PostgreSQL 15 on).
bool may_checkpoint(pqxx::connection& conn) {
  try {
    pqxx::nontransaction(conn).exec("CHECKPOINT");
    return true;
  } catch (const pqxx::insufficient_privilege&) {
    return false;
  }
}

int run(int argc, char** argv) {
  bool help = false;
  const auto options = parse_options(argc, argv, help);
  if (help) return 0;
  const auto selected = [&options](const std::string& m) { return options.only.count(m) != 0U; };
  const bool in_scratch = std::any_of(kScratchMeasures.begin(), kScratchMeasures.end(), selected);
  const bool in_database = selected("drain") || selected("enqueue") || selected("latency");

  pqxx::connection conn(options.database_url);
  if (in_database) check_database(conn, options.force);
  const auto conditions = read_conditions(conn);
  std::optional<ScratchDatabase> scratch;
  bool checkpoint = false;
  if (in_scratch) {
    scratch.emplace(conn, options.database_url);
    checkpoint = may_checkpoint(conn);
  }
  std::cout << "daap-bench: PostgreSQL " << conditions.postgres_version
            << ", fsync=" << conditions.fsync
            << ", synchronous_commit=" << conditions.synchronous_commit << ", " << conditions.cores
            << " cores, load " << load_average() << "; database "
            << worker::redact_url(options.database_url) << "; worker " << options.worker_bin;
  if (scratch) {
    std::cout << "; scratch database " << scratch->name()
              << (checkpoint ? "; CHECKPOINT before each timed drain"
                             : "; no CHECKPOINT before timed drains (the role may not)");
  }
  std::cout << "\n";
  try {
    std::optional<FreshContext> fresh;
    if (scratch) fresh.emplace(FreshContext{options, *scratch, conditions, checkpoint});
    PeerRates peer;
    if (selected("drain")) bench_drain(options, conn, conditions);
    if (selected("enqueue")) bench_enqueue(options, conn, conditions);
    if (selected("fresh")) peer = measure_fresh_drains(*fresh);
    if (selected("update")) measure_update_drain(*fresh, peer);
    if (selected("latency")) bench_latency(options, conn, conditions);
    if (selected("claim")) measure_claim_latency(*fresh);
    if (selected("snapshot")) measure_snapshot_drain(*fresh);
  } catch (const std::exception&) {
    // Leave the database as found, so the next run does not need --force.
    if (in_database) {
      try {
        clean(conn);
      } catch (const std::exception& e) {
        std::cerr << "daap-bench: could not clean up: " << e.what() << "\n";
      }
    }
    throw;
  }
  return 0;
}

}  // namespace
}  // namespace daap::bench

int main(int argc, char** argv) {
  try {
    return daap::bench::run(argc, argv);
  } catch (const daap::worker::ConfigError& e) {
    std::cerr << "daap-bench: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "daap-bench: " << daap::worker::redact_url(e.what()) << "\n";
    return 1;
  }
}
