// daap-worker: claims and runs jobs from daap.jobs until SIGTERM/SIGINT.
//
// Signals: SIGTERM, SIGINT (and an internal SIGUSR1) are blocked in every thread before any
// is created and handled here with sigwait: the first stops claiming and drains, a second
// exits at once with status 1. SIGUSR1 tells this thread that the runner returned.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "migrate/migrator.h"
#include "worker/handlers/handlers.h"
#include "worker/http_server.h"
#include "worker/logging.h"
#include "worker/metrics.h"
#include "worker/pool.h"
#include "worker/provisioners/provisioners.h"
#include "worker/runtime/runner.h"
#include "worker/worker_config.h"

namespace po = boost::program_options;
using daap::worker::log;
using spdlog::level::level_enum;

namespace {

constexpr const char* kUsage =
    "usage: daap-worker [OPTIONS]\n"
    "\n"
    "Claims jobs from daap.jobs and runs them. Every option can also be given as the\n"
    "environment variable named in its help; a flag beats the variable.\n";

[[noreturn]] void exit_now(int status) {
  spdlog::default_logger_raw()->flush();
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(status);
}

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);
  return set;
}

// Parses the command line and environment; exits 0 (help) or 2 (invalid).
daap::worker::WorkerConfig read_config(int argc, char** argv) {
  po::options_description options("options");
  options.add_options()("help,h", "show this help")("version", "print the version");
  daap::worker::add_worker_options(options);
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "daap-worker: " << daap::worker::redact_url(e.what()) << " (see --help)\n";
    std::exit(2);
  }
  if (vm.count("help") != 0U) {
    std::cout << kUsage << "\n" << options << "\n";
    std::exit(0);
  }
  if (vm.count("version") != 0U) {
    std::cout << "daap-worker " << DAAP_VERSION << "\n";
    std::exit(0);
  }
  try {
    return daap::worker::read_worker_config(vm);
  } catch (const daap::worker::ConfigError& e) {
    std::cerr << "daap-worker: " << e.what() << "\n";
    std::exit(2);
  }
}

std::int64_t latest_migration(const std::string& dir) {
  try {
    const auto migrations = daap::migrate::load_migrations(dir);
    return migrations.empty() ? 0 : migrations.back().version;
  } catch (const std::exception& e) {
    std::cerr << "daap-worker: --migrations-dir / MIGRATIONS_DIR: cannot read migrations from '"
              << dir << "': " << e.what() << "\n";
    std::exit(2);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the mask.
  const sigset_t signals = handled_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  const auto config = read_config(argc, argv);
  const auto latest = latest_migration(config.migrations_dir);
  daap::worker::setup_logging(config.log_format, config.log_level);
  auto settings = daap::worker::describe(config);
  settings["version"] = DAAP_VERSION;
  settings["latest_migration"] = latest;
  log(level_enum::info, "daap-worker starting", settings);

  daap::worker::HandlerRegistry handlers;
  daap::worker::handlers::register_builtin_handlers(handlers,
                                                    daap::worker::provisioners::make(config));

  daap::worker::PoolConfig pool_config;
  pool_config.url = config.database.url;
  pool_config.max_conns = config.database.max_conns;
  pool_config.min_conns = config.database.min_conns;
  pool_config.max_conn_lifetime = config.database.max_conn_lifetime;
  pool_config.max_conn_idle_time = config.database.max_conn_idle_time;
  pool_config.acquire_timeout = std::chrono::seconds(10);
  daap::worker::Metrics metrics;
  metrics.set_concurrency(config.concurrency);
  pool_config.on_acquire = [&metrics](std::chrono::duration<double> waited, bool acquired) {
    metrics.pool_acquired(waited, acquired);
  };
  daap::worker::ConnectionPool pool(pool_config);
  daap::worker::runtime::Runner runner(config, handlers, pool, metrics);

  std::unique_ptr<daap::worker::HttpServer> http;
  if (config.http.enabled) {
    http = std::make_unique<daap::worker::HttpServer>(config.http, pool, metrics, latest,
                                                      [&runner] { return runner.stopping(); });
    try {
      http->start();
    } catch (const std::exception& e) {
      log(level_enum::critical, "cannot start the HTTP endpoint", {{"error", e.what()}});
      exit_now(1);
    }
  }

  std::atomic<bool> finished{false};
  int status = 1;
  std::thread worker([&] {
    try {
      status = runner.run();
    } catch (const std::exception& e) {
      log(level_enum::critical, "worker failed", {{"error", daap::worker::redact_url(e.what())}});
      status = 1;
    }
    finished = true;
    ::kill(::getpid(), SIGUSR1);  // wake the sigwait below
  });

  int stop_signals = 0;
  while (!finished) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0 || sig == SIGUSR1) continue;
    if (++stop_signals == 1) {
      log(level_enum::info, "signal received: draining (send it again to exit at once)",
          {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      runner.request_stop();
    } else {
      log(level_enum::warn,
          "second signal: exiting at once; running jobs will be rescued "
          "when their leases expire");
      exit_now(1);
    }
  }
  worker.join();
  if (http) http->stop();
  if (runner.abandoned_threads()) exit_now(status);  // handlers still hold the runner
  spdlog::default_logger_raw()->flush();
  return status;
}
