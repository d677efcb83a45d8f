// daapctl stats and daapctl workers: what the queue holds and who works on it.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "queue/admin.h"
#include "worker/daapctl/commands.h"

namespace po = boost::program_options;

namespace daap::worker::daapctl {
namespace {

// Parses the options of a command that takes nothing but --output; false after --help.
bool parse_output_only(const Args& args, const std::string& usage, OutputFormat& output,
                       po::variables_map& vm) {
  po::options_description options("options");
  add_output_option(options);
  if (!parse_command_line(args, usage, options, {}, vm)) return false;
  output = read_output_format(vm);
  return true;
}

}  // namespace

int stats_command(const Args& args) {
  OutputFormat output{};
  po::variables_map vm;
  if (!parse_output_only(args, "daapctl stats [--output table|json]", output, vm)) return 0;
  const auto database_url = read_database_url(vm);
  pqxx::connection conn(database_url);
  pqxx::read_transaction tx(conn);
  const auto stats = queue::job_stats(tx);
  if (output == OutputFormat::json) {
    auto items = nlohmann::json::array();
    for (const auto& s : stats) {
      items.push_back(
          {{"queue", s.queue},
           {"kind", s.kind},
           {"state", s.state},
           {"count", s.count},
           {"due", s.due},
           {"scheduled", s.scheduled},
           {"oldest_available_age_seconds", s.oldest_available_age_seconds
                                                ? nlohmann::json(*s.oldest_available_age_seconds)
                                                : nlohmann::json()}});
    }
    std::cout << nlohmann::json{{"items", items}, {"next_cursor", nullptr}}.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : stats) {
    const bool available = s.state == "available";
    rows.push_back({s.queue, s.kind, s.state, std::to_string(s.count),
                    available ? std::to_string(s.due) : "-",
                    available ? std::to_string(s.scheduled) : "-",
                    duration_text(s.oldest_available_age_seconds)});
  }
  print_table(std::cout, {"QUEUE", "KIND", "STATE", "COUNT", "DUE", "SCHEDULED", "OLDEST_DUE_AGE"},
              rows);
  return 0;
}

int workers_command(const Args& args) {
  OutputFormat output{};
  po::variables_map vm;
  if (!parse_output_only(args, "daapctl workers [--output table|json]", output, vm)) return 0;
  const auto database_url = read_database_url(vm);
  pqxx::connection conn(database_url);
  pqxx::read_transaction tx(conn);
  const auto workers = queue::list_workers(tx);
  if (output == OutputFormat::json) {
    auto items = nlohmann::json::array();
    for (const auto& w : workers) {
      items.push_back({{"id", w.id},
                       {"hostname", w.hostname},
                       {"pid", w.pid},
                       {"version", w.version},
                       {"queues", w.queues},
                       {"concurrency", w.concurrency},
                       {"started_at", w.started_at},
                       {"heartbeat_at", w.heartbeat_at}});
    }
    std::cout << nlohmann::json{{"items", items}, {"next_cursor", nullptr}}.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  const auto now = now_seconds();
  for (const auto& w : workers) {
    std::string queues;
    for (const auto& q : w.queues) queues += (queues.empty() ? "" : ",") + q;
    rows.push_back({w.id, w.hostname, std::to_string(w.pid), w.version, queues,
                    std::to_string(w.concurrency), relative_text(w.started_at, now),
                    relative_text(w.heartbeat_at, now)});
  }
  print_table(
      std::cout,
      {"ID", "HOSTNAME", "PID", "VERSION", "QUEUES", "CONCURRENCY", "STARTED_AT", "HEARTBEAT_AT"},
      rows, {"ID"});  // the id whole: jobs.locked_by names it
  return 0;
}

}  // namespace daap::worker::daapctl
