// daapctl: the admin CLI (migrations, databases records, jobs).
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>

#include <pqxx/pqxx>

#include "worker/daapctl/commands.h"

namespace po = boost::program_options;

namespace daap::worker::daapctl {

namespace {

// The options of `all` a user types: none of the positional names, and when `only` is given
// just those (plus --help and --database-url).
po::options_description visible_options(const po::options_description& all,
                                        const po::positional_options_description& positional,
                                        const std::vector<std::string>* only) {
  po::options_description visible("options");
  for (const auto& option : all.options()) {
    const auto& name = option->long_name();
    // An unlimited last name ("id", -1) makes max_total_count() UINT_MAX; every position past
    // the named ones maps to that last name, so the first few positions cover every name.
    const unsigned positions = std::min(positional.max_total_count(), 16U);
    bool is_positional = false;
    for (unsigned i = 0; i < positions; ++i) {
      is_positional = is_positional || positional.name_for_position(i) == name;
    }
    if (is_positional) continue;
    if (only != nullptr && name != "help" && name != "database-url" &&
        std::find(only->begin(), only->end(), name) == only->end()) {
      continue;
    }
    visible.add(option);
  }
  return visible;
}

}  // namespace

bool parse_command_line(const Args& args, const std::string& usage,
                        po::options_description& options,
                        const po::positional_options_description& positional,
                        po::variables_map& vm, const ActionHelps& actions) {
  options.add_options()("help,h", "show this help");
  add_database_url_option(options);
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  if (vm.count("help") == 0U) return true;
  const auto action = vm.count("action") != 0U ? actions.find(vm["action"].as<std::string>())
                                              : actions.end();
  if (action != actions.end()) {
    std::cout << "usage: " << action->second.usage << "\n\n"
              << visible_options(options, positional, &action->second.options) << "\n";
  } else {
    std::cout << "usage: " << usage << "\n\n"
              << visible_options(options, positional, nullptr) << "\n";
  }
  return false;
}

void add_output_option(po::options_description& options) {
  options.add_options()("output,o", po::value<std::string>()->default_value("table"),
                        "table (aligned text) or json (one document)");
}

OutputFormat read_output_format(const po::variables_map& vm) {
  const auto& text = vm["output"].as<std::string>();
  if (text == "table") return OutputFormat::table;
  if (text == "json") return OutputFormat::json;
  throw UsageError("--output must be table or json, got '" + text + "'");
}

std::int64_t parse_id(const std::string& text, const std::string& what) {
  try {
    std::size_t used = 0;
    const auto value = std::stoll(text, &used);
    if (used == text.size() && value > 0) return value;
  } catch (const std::exception&) {
  }
  throw UsageError(what + " must be a positive whole number, got '" + text + "'");
}

}  // namespace daap::worker::daapctl

namespace {

constexpr const char* kUsage =
    "usage: daapctl COMMAND [ARGS] [--help]\n"
    "\n"
    "commands:\n"
    "  migrate up [N] | down N | down --all | goto V | force V | version\n"
    "  databases list [filters] | show ID|NAME | retry ID|NAME | reconcile [ID|NAME]\n"
    "  enqueue KIND JSON [--queue Q] [--priority P] [--run-at RFC3339|+DURATION]\n"
    "          [--max-attempts N] [--unique-key K]          prints the job id\n"
    "  jobs list [--state S] [--kind K] [--queue Q] [--limit N] [--cursor C] [--output ...]\n"
    "  jobs show ID [--output table|json]                 all fields and the error history\n"
    "  jobs retry|cancel|run-now|delete ID...|FILTER [--dry-run|--yes]\n"
    "                                                     many jobs at once (jobs --help)\n"
    "  queues list | pause NAME | resume NAME | limit NAME N|none\n"
    "                                                     see and steer queues\n"
    "  periodic list [--output table|json]                periodic jobs and their next runs\n"
    "  periodic add NAME --schedule CRON --kind K [--payload JSON] [--time-zone Z] [--replace]\n"
    "  periodic remove|enable|disable|run-now NAME\n"
    "  stats [--output table|json]                        daap.job_stats\n"
    "  workers [--output table|json]                      live worker replicas\n"
    "  console [--addr HOST:PORT] [--read-only]           the web console (CONSOLE_TOKEN)\n"
    "\n"
    "daapctl COMMAND --help shows a command's flags; daapctl jobs show --help one action's.\n"
    "daapctl --version prints this version, libpqxx's and the server's (DATABASE_URL).\n"
    "Every command reads DATABASE_URL (or --database-url).\n";

// This build, its libpqxx and the server DATABASE_URL names ("unreachable" when no
// connection can be had within a few seconds, or DATABASE_URL is not set).
int print_version() {
  std::cout << "daapctl " << DAAP_VERSION << "\nlibpqxx " << PQXX_VERSION << "\n";
  std::string server = "unreachable";
  try {
    const char* url = std::getenv("DATABASE_URL");
    if (url != nullptr && *url != '\0') {
      if (std::getenv("PGCONNECT_TIMEOUT") == nullptr) ::setenv("PGCONNECT_TIMEOUT", "5", 1);
      pqxx::connection conn(url);
      const int v = conn.server_version();
      server = std::to_string(v / 10000) + "." + std::to_string(v % 10000);
    }
  } catch (const std::exception&) {
  }
  std::cout << "PostgreSQL server " << server << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace daap::worker::daapctl;
  // One command per line.
  // clang-format off
  const std::map<std::string, int (*)(const Args&)> commands = {
      {"console", console_command},
      {"migrate", migrate_command},
      {"databases", databases_command},
      {"enqueue", enqueue_command},
      {"jobs", jobs_command},
      {"periodic", periodic_command},
      {"queues", queues_command},
      {"stats", stats_command},
      {"workers", workers_command},
  };
  // clang-format on
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  if (std::string(argv[1]) == "--version") return print_version();
  const auto command = commands.find(argv[1]);
  if (command == commands.end()) {
    std::cerr << "daapctl: unknown command '" << argv[1] << "'\n" << kUsage;
    return 2;
  }
  const Args args(argv + 2, argv + argc);
  try {
    return command->second(args);
  } catch (const UsageError& e) {
    std::cerr << "daapctl " << argv[1] << ": " << e.what() << " (see daapctl " << argv[1]
              << " --help)\n";
    return 2;
  } catch (const daap::worker::ConfigError& e) {
    std::cerr << "daapctl: " << e.what() << "\n";
    return 2;
  } catch (const pqxx::broken_connection& e) {
    std::cerr << "daapctl: cannot connect to the database: " << daap::worker::redact_url(e.what())
              << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "daapctl " << argv[1] << ": " << daap::worker::redact_url(e.what()) << "\n";
    return 1;
  }
}
