// daapctl migrate: golang-migrate compatible up/down/goto/force/version.
#include <cstdlib>
#include <iostream>

#include <pqxx/pqxx>

#include "migrate/database_url.h"
#include "migrate/migrator.h"
#include "worker/daapctl/commands.h"

namespace po = boost::program_options;

namespace daap::worker::daapctl {
namespace {

constexpr const char* kUsage =
    "daapctl migrate up [N] | down N | down --all | goto V | force V | version";

std::int64_t parse_number(const std::string& text, const std::string& what) {
  try {
    std::size_t used = 0;
    const auto value = std::stoll(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw UsageError(what + " must be a whole number, got '" + text + "'");
}

std::string describe(const migrate::VersionState& state) {
  if (!state.version) return "no migration applied";
  return std::to_string(*state.version) + (state.dirty ? " (dirty)" : "");
}

// golang-migrate fails `up N` / `down N` that cannot move N steps (its ErrShortLimit, or "file
// does not exist" when it cannot move at all), after moving as far as it could; so does this.
// Returns the exit status.
int check_steps(const std::string& action, std::optional<int> steps, int ran,
                migrate::Migrator& migrator) {
  if (!steps || ran >= *steps) return 0;
  std::cerr << "daapctl migrate: " << action << " " << *steps << ": ";
  if (action == "up") {
    std::cerr << (ran == 0 ? std::string("no migration was left to apply")
                           : "only " + std::to_string(ran) + " migration(s) were left to apply")
              << "; the database is at the latest version, " << migrator.latest_version()
              << " (`daapctl migrate up` without N applies whatever is pending)\n";
  } else {
    std::cerr << (ran == 0 ? std::string("no migration is applied, there was nothing to revert")
                           : "only " + std::to_string(ran) +
                                 " migration(s) were applied; none is applied now")
              << " (`daapctl migrate down --all` reverts whatever is applied)\n";
  }
  return 1;
}

void warn_if_stray_history(migrate::Migrator& migrator) {
  if (auto stray = migrator.stray_history()) {
    std::cerr << "daapctl migrate: warning: " << *stray << "\n";
  }
}

}  // namespace

int migrate_command(const Args& args) {
  po::options_description options("migrate options");
  std::string migrations_dir;
  options.add_options()("all", "with down: revert every migration")(
      "migrations-dir", po::value<std::string>(&migrations_dir),
      "directory of NNN_name.up.sql/.down.sql files (env MIGRATIONS_DIR; default: the "
      "source tree's migrations/)")(
      "action", po::value<std::string>(), "up, down, goto, force or version")(
      "argument", po::value<std::string>(), "N or V");
  po::positional_options_description positional;
  positional.add("action", 1).add("argument", 1);
  po::variables_map vm;
  if (!parse_command_line(args, kUsage, options, positional, vm)) return 0;
  if (vm.count("action") == 0U) throw UsageError("missing action");

  const std::string action = vm["action"].as<std::string>();
  const std::optional<std::string> argument =
      vm.count("argument") != 0U ? std::optional(vm["argument"].as<std::string>()) : std::nullopt;
  const bool all = vm.count("all") != 0U;

  const auto dir = read_string_setting(vm, "migrations-dir", "MIGRATIONS_DIR",
                                       DAAP_MIGRATIONS_DIR);
  const auto database_url = read_database_url(vm);
  auto migrations = migrate::load_migrations(dir);
  std::string conninfo;
  try {
    conninfo = migrate::libpq_conninfo(database_url);
  } catch (const migrate::DatabaseUrlError& e) {
    throw ConfigError("--database-url / DATABASE_URL", e.what());
  }
  pqxx::connection conn(conninfo);
  // The same lock as golang-migrate given the same URL, whatever form the URL takes.
  migrate::Migrator migrator(conn, std::move(migrations),
                             migrate::lock_database_name(database_url, conn));

  try {
    if (action == "version") {
      std::cout << describe(migrator.version()) << "\n";
      warn_if_stray_history(migrator);
    } else if (action == "up") {
      std::optional<int> steps;
      if (argument) steps = static_cast<int>(parse_number(*argument, "N"));
      if (steps && *steps <= 0) throw UsageError("N must be positive");
      const int ran = migrator.up(steps);
      std::cout << (ran == 0 ? "no change" : "applied " + std::to_string(ran) + " migration(s)")
                << "; version " << describe(migrator.version()) << "\n";
      return check_steps(action, steps, ran, migrator);
    } else if (action == "down") {
      if (all == argument.has_value()) throw UsageError("down needs N or --all");
      std::optional<int> steps;
      if (argument) steps = static_cast<int>(parse_number(*argument, "N"));
      if (steps && *steps <= 0) throw UsageError("N must be positive");
      const int ran = migrator.down(steps);
      std::cout << (ran == 0 ? "no change" : "reverted " + std::to_string(ran) + " migration(s)")
                << "; version " << describe(migrator.version()) << "\n";
      return check_steps(action, steps, ran, migrator);
    } else if (action == "goto" || action == "force") {
      if (!argument) throw UsageError(action + " needs a version V");
      const auto version = parse_number(*argument, "V");
      if (action == "goto") {
        migrator.go_to(version);
      } else {
        migrator.force(version);
      }
      std::cout << "version " << describe(migrator.version()) << "\n";
      if (action == "force") warn_if_stray_history(migrator);
    } else {
      throw UsageError("unknown action '" + action + "'");
    }
  } catch (const migrate::DirtyError& e) {
    std::cerr << "daapctl migrate: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace daap::worker::daapctl
