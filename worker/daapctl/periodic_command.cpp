// daapctl periodic: list, add, remove, enable, disable and run-now periodic jobs
// (queue/periodic_jobs.h, over the daap.*_periodic_job SQL functions).
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "queue/periodic_jobs.h"
#include "worker/daapctl/commands.h"

namespace po = boost::program_options;

namespace daap::worker::daapctl {
namespace {

constexpr const char* kUsage =
    "daapctl periodic list [--limit N] [--cursor C] [--output table|json]\n"
    "       daapctl periodic add NAME --schedule 'M H DOM MON DOW' --kind K [--payload JSON]\n"
    "                            [--time-zone Z] [--queue Q] [--priority P] [--max-attempts N]\n"
    "                            [--disabled] [--replace]\n"
    "       daapctl periodic remove|enable|disable|run-now NAME";

// Flags that only `add` takes.
const std::vector<std::string> kAddFlags = {"schedule",     "kind",     "payload",
                                            "time-zone",    "queue",    "priority",
                                            "max-attempts", "disabled", "replace"};
const std::vector<std::string> kListFlags = {"limit", "cursor"};

std::string or_dash(const std::optional<std::string>& value) { return value.value_or("-"); }

void refuse_flags(const po::variables_map& vm, const std::vector<std::string>& flags,
                  const std::string& which) {
  for (const auto& flag : flags) {
    if (vm.count(flag) != 0U && !vm[flag].defaulted()) {
      throw UsageError("--" + flag + " applies to " + which + " only");
    }
  }
}

std::string next_run_text(const queue::PeriodicJob& job, std::chrono::sys_seconds now) {
  if (!job.enabled) return "- (disabled)";
  const auto next = queue::next_run(job);
  if (!next.at) return "- (" + next.error.value_or("unschedulable") + ")";
  const auto at = std::chrono::floor<std::chrono::seconds>(*next.at);
  return utc_text(at) + " (" + relative_text(at, now) + ")";
}

int list(const po::variables_map& vm, OutputFormat output, pqxx::connection& conn) {
  const int limit = vm["limit"].as<int>();
  std::optional<std::string> cursor;
  if (vm.count("cursor") != 0U) cursor = vm["cursor"].as<std::string>();
  pqxx::read_transaction tx(conn);
  queue::PeriodicJobPage page;
  try {
    page = queue::list_periodic_jobs(tx, limit, cursor);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--") + e.what());
  }
  if (output == OutputFormat::json) {
    auto items = nlohmann::json::array();
    for (const auto& job : page.items) items.push_back(queue::to_json(job, page.now));
    const nlohmann::json out{
        {"items", items},
        {"next_cursor", page.next_cursor ? nlohmann::json(*page.next_cursor) : nullptr}};
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (page.items.empty()) {
    std::cout << "no periodic jobs\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  const auto now = now_seconds();
  for (const auto& job : page.items) {
    rows.push_back(
        {job.name, job.schedule, job.time_zone, job.kind, job.queue, job.enabled ? "yes" : "no",
         next_run_text(job, now),
         job.last_enqueued_at
             ? relative_text(std::chrono::floor<std::chrono::seconds>(*job.last_enqueued_at), now)
             : "-",
         or_dash(job.last_error)});
  }
  print_table(std::cout,
              {"NAME", "SCHEDULE", "TIME_ZONE", "KIND", "QUEUE", "ENABLED", "NEXT_RUN_AT",
               "LAST_ENQUEUED", "LAST_ERROR"},
              rows, {"NEXT_RUN_AT"});
  if (page.next_cursor) std::cout << "next cursor: " << *page.next_cursor << "\n";
  return 0;
}

int add(const std::string& name, const po::variables_map& vm, pqxx::connection& conn) {
  if (vm.count("schedule") == 0U) throw UsageError("add needs --schedule");
  if (vm.count("kind") == 0U) throw UsageError("add needs --kind");
  queue::NewPeriodicJob job{.name = name,
                            .schedule = vm["schedule"].as<std::string>(),
                            .kind = vm["kind"].as<std::string>()};
  if (vm.count("payload") != 0U) {
    try {
      job.payload = nlohmann::json::parse(vm["payload"].as<std::string>());
    } catch (const nlohmann::json::parse_error&) {
      throw UsageError("--payload is not valid JSON");
    }
  }
  if (vm.count("time-zone") != 0U) job.time_zone = vm["time-zone"].as<std::string>();
  if (vm.count("queue") != 0U) job.queue = vm["queue"].as<std::string>();
  if (vm.count("priority") != 0U) job.priority = vm["priority"].as<int>();
  if (vm.count("max-attempts") != 0U) job.max_attempts = vm["max-attempts"].as<int>();
  job.enabled = vm.count("disabled") == 0U;
  pqxx::work tx(conn);
  const auto added = queue::add_periodic_job(tx, job, vm.count("replace") != 0U);
  tx.commit();
  std::cout << "periodic job " << added.name << ": " << added.schedule << " (" << added.time_zone
            << "), next run " << next_run_text(added, now_seconds()) << "\n";
  return 0;
}

int change(const std::string& action, const std::string& name, pqxx::connection& conn) {
  pqxx::work tx(conn);
  if (action == "remove") {
    queue::remove_periodic_job(tx, name);
    tx.commit();
    std::cout << "periodic job " << name << " removed (jobs it enqueued stay)\n";
  } else if (action == "run-now") {
    const auto id = queue::run_periodic_job_now(tx, name);
    tx.commit();
    std::cout << id << "\n";
  } else {
    const auto job = action == "enable" ? queue::enable_periodic_job(tx, name)
                                        : queue::disable_periodic_job(tx, name);
    tx.commit();
    std::cout << "periodic job " << name << " " << action << "d, next run " << next_run_text(job, now_seconds())
              << "\n";
  }
  return 0;
}

}  // namespace

int periodic_command(const Args& args) {
  po::options_description options("periodic options");
  options.add_options()("action", po::value<std::string>(),
                        "list, add, remove, enable, disable or run-now")(
      "name", po::value<std::string>(), "the periodic job's name")(
      "limit", po::value<int>()->default_value(100), "list: at most N (1..1000)")(
      "cursor", po::value<std::string>(), "list: the next page, as printed by the previous one")(
      "schedule", po::value<std::string>(),
      "add: five cron fields, minute hour day-of-month month day-of-week")(
      "kind", po::value<std::string>(), "add: the job kind each run enqueues")(
      "payload", po::value<std::string>(), "add: its JSON object payload (default {})")(
      "time-zone", po::value<std::string>(), "add: IANA time zone of the schedule (default UTC)")(
      "queue", po::value<std::string>(), "add: queue (default default)")(
      "priority", po::value<int>(), "add: priority (default 0)")(
      "max-attempts", po::value<int>(), "add: attempts per run (default 25)")(
      "disabled", "add: add it disabled")("replace", "add: change the one of that name");
  add_output_option(options);
  po::positional_options_description positional;
  positional.add("action", 1).add("name", 1);
  po::variables_map vm;
  if (!parse_command_line(args, kUsage, options, positional, vm)) return 0;
  if (vm.count("action") == 0U) {
    throw UsageError("missing action (list, add, remove, enable, disable, run-now)");
  }
  const auto action = vm["action"].as<std::string>();
  const auto output = read_output_format(vm);
  std::string name;
  if (action == "list") {
    if (vm.count("name") != 0U) throw UsageError("list takes no NAME");
    refuse_flags(vm, kAddFlags, "add");
  } else if (action == "add" || action == "remove" || action == "enable" || action == "disable" ||
             action == "run-now") {
    if (vm.count("name") == 0U) throw UsageError(action + " needs a NAME");
    name = vm["name"].as<std::string>();
    refuse_flags(vm, kListFlags, "list");
    if (action != "add") refuse_flags(vm, kAddFlags, "add");
  } else {
    throw UsageError("unknown action '" + action + "'");
  }

  pqxx::connection conn(read_database_url(vm));
  try {
    if (action == "list") return list(vm, output, conn);
    if (action == "add") return add(name, vm, conn);
    return change(action, name, conn);
  } catch (const std::invalid_argument& e) {
    std::cerr << "daapctl periodic " << action << ": " << e.what() << "\n";
  } catch (const queue::PeriodicJobNotFound& e) {
    std::cerr << "daapctl periodic " << action << ": " << e.what() << "\n";
  } catch (const queue::PeriodicJobExists& e) {
    std::cerr << "daapctl periodic " << action << ": " << e.what() << "\n";
  }
  return 1;
}

}  // namespace daap::worker::daapctl
