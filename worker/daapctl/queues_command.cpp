// daapctl queues: what each queue holds, and pausing, resuming and limiting it (queue/queues.h).
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "queue/queues.h"
#include "worker/daapctl/commands.h"

namespace po = boost::program_options;

namespace daap::worker::daapctl {
namespace {

constexpr const char* kUsage =
    "daapctl queues list [--output table|json]\n"
    "       daapctl queues pause NAME [--output table|json]\n"
    "       daapctl queues resume NAME [--output table|json]\n"
    "       daapctl queues limit NAME N|none [--output table|json]";

template <typename T>
nlohmann::json or_null(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json();
}

nlohmann::json to_json(const queue::QueueControls& q) {
  return {{"name", q.name},
          {"paused", q.paused_at.has_value()},
          {"paused_at", or_null(q.paused_at)},
          {"max_running", or_null(q.max_running)}};
}

std::string limit_text(const std::optional<int>& max_running) {
  return max_running ? std::to_string(*max_running) : "none";
}

int list(OutputFormat output, pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  const auto queues = queue::queue_overview(tx);
  if (output == OutputFormat::json) {
    auto items = nlohmann::json::array();
    for (const auto& q : queues) {
      auto item = to_json(q.controls);
      item["due"] = q.due;
      item["scheduled"] = q.scheduled;
      item["running"] = q.running;
      item["failed_24h"] = q.failed_24h;
      item["oldest_due_age_seconds"] = or_null(q.oldest_due_age_seconds);
      items.push_back(std::move(item));
    }
    std::cout << nlohmann::json{{"items", items}, {"next_cursor", nullptr}}.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  const auto now = now_seconds();
  for (const auto& q : queues) {
    rows.push_back({q.controls.name, std::to_string(q.due), std::to_string(q.scheduled),
                    std::to_string(q.running), std::to_string(q.failed_24h),
                    duration_text(q.oldest_due_age_seconds),
                    q.controls.paused_at
                        ? "paused since " + relative_text(*q.controls.paused_at, now)
                        : "no",
                    limit_text(q.controls.max_running)});
  }
  print_table(
      std::cout,
      {"QUEUE", "DUE", "SCHEDULED", "RUNNING", "FAILED_24H", "OLDEST_DUE", "PAUSED", "LIMIT"},
      rows);
  return 0;
}

// Prints a queue's controls after a change.
int print_controls(const queue::QueueControls& q, OutputFormat output) {
  if (output == OutputFormat::json) {
    std::cout << to_json(q).dump(2) << "\n";
    return 0;
  }
  std::cout << "queue " << q.name << ": "
            << (q.paused_at ? "paused since " + utc_text(*q.paused_at) : std::string("running"))
            << ", limit "
            << limit_text(q.max_running) << "\n";
  return 0;
}

}  // namespace

int queues_command(const Args& args) {
  po::options_description options("queues options");
  options.add_options()("action", po::value<std::string>(), "list, pause, resume or limit")(
      "name", po::value<std::string>(), "the queue")("limit", po::value<std::string>(),
                                                     "limit: N (at least 1) or none");
  add_output_option(options);
  po::positional_options_description positional;
  positional.add("action", 1).add("name", 1).add("limit", 1);
  po::variables_map vm;
  if (!parse_command_line(args, kUsage, options, positional, vm)) return 0;
  if (vm.count("action") == 0U) throw UsageError("missing action (list, pause, resume, limit)");
  const auto action = vm["action"].as<std::string>();
  const auto output = read_output_format(vm);
  std::string name;
  std::optional<int> max_running;
  if (action == "list") {
    if (vm.count("name") != 0U) throw UsageError("list takes no NAME");
  } else if (action == "pause" || action == "resume" || action == "limit") {
    if (vm.count("name") == 0U) throw UsageError(action + " needs a queue NAME");
    name = vm["name"].as<std::string>();
    if (action == "limit") {
      if (vm.count("limit") == 0U) throw UsageError("limit needs N (at least 1) or none");
      const auto text = vm["limit"].as<std::string>();
      if (text != "none") {
        max_running = static_cast<int>(parse_id(text, "N"));
      }
    } else if (vm.count("limit") != 0U) {
      throw UsageError(action + " takes only a queue NAME");
    }
  } else {
    throw UsageError("unknown action '" + action + "'");
  }

  const auto database_url = read_database_url(vm);
  pqxx::connection conn(database_url);
  if (action == "list") return list(output, conn);
  pqxx::work tx(conn);
  queue::QueueControls controls;
  if (action == "pause") controls = queue::pause_queue(tx, name);
  if (action == "resume") controls = queue::resume_queue(tx, name);
  if (action == "limit") controls = queue::set_queue_limit(tx, name, max_running);
  tx.commit();
  return print_controls(controls, output);
}

}  // namespace daap::worker::daapctl
