// daapctl enqueue: adds one job through queue::enqueue and prints its id (or, with --output json,
// the job's id and state, and whether a unique key made it an existing job).
#include <cstdio>
#include <ctime>
#include <iostream>
#include <regex>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "queue/enqueue.h"
#include "worker/daapctl/commands.h"

namespace po = boost::program_options;

namespace daap::worker::daapctl {
namespace {

constexpr const char* kUsage =
    "daapctl enqueue KIND JSON [--queue Q] [--priority P] [--run-at RFC3339|+DURATION] "
    "[--max-attempts N] [--unique-key K] [--timeout DURATION] [--output table|json]";

// RFC 3339: 2025-01-31T12:00:00Z, 2025-01-31 12:00:00.25+02:00 (a space for T is accepted).
std::optional<queue::Clock::time_point> parse_rfc3339(const std::string& text) {
  static const std::regex kPattern(
      R"(^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$)");
  std::smatch m;
  if (!std::regex_match(text, m, kPattern)) return std::nullopt;
  const auto number = [&](int i) { return std::stoi(m[i].str()); };
  const std::chrono::year_month_day date{std::chrono::year(number(1)),
                                         std::chrono::month(static_cast<unsigned>(number(2))),
                                         std::chrono::day(static_cast<unsigned>(number(3)))};
  if (!date.ok() || number(4) > 23 || number(5) > 59 || number(6) > 60) return std::nullopt;
  auto t = std::chrono::sys_days(date) + std::chrono::hours(number(4)) +
           std::chrono::minutes(number(5)) + std::chrono::seconds(number(6));
  std::chrono::microseconds fraction{0};
  if (m[7].matched) {
    std::string digits = m[7].str().substr(1);
    digits.resize(6, '0');
    fraction = std::chrono::microseconds(std::stol(digits));
  }
  if (m[9].matched) {
    if (number(10) > 23 || number(11) > 59) return std::nullopt;
    const auto offset = std::chrono::hours(number(10)) + std::chrono::minutes(number(11));
    t += m[9].str() == "+" ? -offset : offset;
  }
  return std::chrono::time_point_cast<queue::Clock::duration>(t + fraction);
}

queue::Clock::time_point parse_run_at(const std::string& text) {
  if (!text.empty() && text[0] == '+') {
    try {
      return queue::Clock::now() + parse_duration(text.substr(1));
    } catch (const std::invalid_argument& e) {
      throw UsageError("--run-at '" + text + "': " + e.what());
    }
  }
  if (const auto t = parse_rfc3339(text)) return *t;
  throw UsageError(
      "--run-at must be an RFC 3339 time (2025-01-31T12:00:00Z) or +DURATION "
      "(+90s, +30m, +1h), got '" +
      text + "'");
}

}  // namespace

int enqueue_command(const Args& args) {
  po::options_description options("enqueue options");
  options.add_options()("queue", po::value<std::string>()->default_value("default"), "queue name")(
      "priority", po::value<int>()->default_value(0), "lower runs first")(
      "run-at", po::value<std::string>(), "RFC 3339 time or +DURATION (default: now)")(
      "max-attempts", po::value<int>()->default_value(25), "attempt budget (>= 1)")(
      "unique-key", po::value<std::string>(),
      "no two unfinished jobs share one; the existing job's id is printed")(
      "timeout", po::value<std::string>(),
      "time limit of each attempt, 1s to 30 days (default: the kind's)")(
      "kind", po::value<std::string>(), "job kind (database.create, ...)")(
      "json", po::value<std::string>(), "payload: a JSON object");
  add_output_option(options);
  po::positional_options_description positional;
  positional.add("kind", 1).add("json", 1);
  po::variables_map vm;
  if (!parse_command_line(args, kUsage, options, positional, vm)) return 0;
  if (vm.count("kind") == 0U) throw UsageError("missing KIND");
  if (vm.count("json") == 0U) throw UsageError("missing JSON payload");
  const auto output = read_output_format(vm);

  queue::NewJob job;
  job.kind = vm["kind"].as<std::string>();
  const auto& text = vm["json"].as<std::string>();
  try {
    job.payload = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw UsageError("JSON payload is not valid JSON (" + std::string(e.what()) + "): '" + text +
                     "'");
  }
  if (!job.payload.is_object()) {
    throw UsageError("JSON payload must be a JSON object, got " +
                     std::string(job.payload.type_name()) + ": '" + text + "'");
  }
  job.queue = vm["queue"].as<std::string>();
  job.priority = vm["priority"].as<int>();
  job.max_attempts = vm["max-attempts"].as<int>();
  if (job.max_attempts < 1) {
    throw UsageError("--max-attempts must be at least 1, got " + std::to_string(job.max_attempts));
  }
  if (vm.count("run-at") != 0U) job.run_at = parse_run_at(vm["run-at"].as<std::string>());
  if (vm.count("unique-key") != 0U) job.unique_key = vm["unique-key"].as<std::string>();
  if (vm.count("timeout") != 0U) {
    try {
      job.timeout = parse_duration(vm["timeout"].as<std::string>());
    } catch (const std::invalid_argument& e) {
      throw UsageError("--timeout: " + std::string(e.what()));
    }
  }

  const auto database_url = read_database_url(vm);
  pqxx::connection conn(database_url);
  pqxx::work tx(conn);
  queue::JobId id = 0;
  try {
    id = queue::enqueue(tx, job);
  } catch (const pqxx::argument_error&) {
    throw;
  } catch (const std::invalid_argument& e) {  // the queue names the bad field
    throw UsageError(e.what());
  }
  // A row this transaction inserted carries its xid; any other is the unfinished job that holds
  // the unique key.
  const auto row = tx.exec(
                         "SELECT state, xmin = pg_current_xact_id()::xid AS inserted "
                         "FROM daap.jobs WHERE id = $1",
                         pqxx::params{id})
                       .one_row();
  tx.commit();
  if (output == OutputFormat::json) {
    std::cout << nlohmann::json{{"id", id},
                                {"state", row["state"].as<std::string>()},
                                {"deduplicated", !row["inserted"].as<bool>()}}
                     .dump()
              << "\n";
  } else {
    std::cout << id << "\n";
  }
  return 0;
}

}  // namespace daap::worker::daapctl
