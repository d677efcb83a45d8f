// daapctl jobs: list, show, retry and cancel jobs (queue/admin.h).
#include <algorithm>
#include <iostream>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "queue/admin.h"
#include "worker/daapctl/commands.h"

namespace po = boost::program_options;

namespace daap::worker::daapctl {
namespace {

constexpr const char* kUsage =
    "daapctl jobs list [--state S] [--kind K] [--queue Q] [--limit N] [--output table|json]\n"
    "       daapctl jobs show ID [--output table|json]\n"
    "       daapctl jobs retry ID\n"
    "       daapctl jobs cancel ID";

constexpr std::size_t kErrorColumnWidth = 60;

std::string or_dash(const std::optional<std::string>& value) { return value.value_or("-"); }

// One line, at most `width` characters: listings stay one row per job.
std::string one_line(const std::string& text, std::size_t width) {
  std::string line;
  for (const char c : text) line += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (line.size() > width) line = line.substr(0, width - 3) + "...";
  return line;
}

std::string attempts(const queue::JobRow& job) {
  return std::to_string(job.attempt) + "/" + std::to_string(job.max_attempts);
}

std::string not_found(queue::JobId id) { return "job " + std::to_string(id) + " not found"; }

// Runs `body` and turns the queue's refusals into exit status 1 with one line on stderr.
template <typename Body>
int report_refusals(Body body) {
  try {
    return body();
  } catch (const queue::JobNotFound& e) {
    std::cerr << "daapctl jobs: " << e.what() << "\n";
  } catch (const queue::WrongJobState& e) {
    std::cerr << "daapctl jobs: " << e.what() << "\n";
  }
  return 1;
}

int list(const po::variables_map& vm, OutputFormat output, pqxx::connection& conn) {
  queue::JobFilter filter;
  if (vm.count("state") != 0U) {
    try {
      filter.state = queue::parse_job_state(vm["state"].as<std::string>());
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--state: ") + e.what());
    }
  }
  if (vm.count("kind") != 0U) filter.kind = vm["kind"].as<std::string>();
  if (vm.count("queue") != 0U) filter.queue = vm["queue"].as<std::string>();
  filter.limit = vm["limit"].as<int>();
  if (filter.limit < 1 || filter.limit > 1000) {
    throw UsageError("--limit must be between 1 and 1000, got " + std::to_string(filter.limit));
  }
  pqxx::read_transaction tx(conn);
  const auto jobs = queue::list_jobs(tx, filter);
  if (output == OutputFormat::json) {
    auto items = nlohmann::json::array();
    for (const auto& job : jobs) items.push_back(queue::to_json(job));
    std::cout << nlohmann::json{{"jobs", items}}.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& job : jobs) {
    rows.push_back({std::to_string(job.id), job.kind, job.queue,
                    std::string(queue::to_string(job.state)), std::to_string(job.priority),
                    attempts(job), job.run_at, job.created_at,
                    one_line(job.last_error.value_or(""), kErrorColumnWidth)});
  }
  print_table(
      std::cout,
      {"ID", "KIND", "QUEUE", "STATE", "PRIORITY", "ATTEMPT", "RUN_AT", "CREATED_AT", "LAST_ERROR"},
      rows);
  return 0;
}

int show(queue::JobId id, OutputFormat output, pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  const auto job = queue::get_job(tx, id);
  if (!job) throw queue::JobNotFound(not_found(id));
  if (output == OutputFormat::json) {
    std::cout << queue::to_json(*job).dump(2) << "\n";
    return 0;
  }
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"id", std::to_string(job->id)},
      {"kind", job->kind},
      {"queue", job->queue},
      {"state", std::string(queue::to_string(job->state))},
      {"priority", std::to_string(job->priority)},
      {"attempt", attempts(*job)},
      {"payload", job->payload.dump()},
      {"run_at", job->run_at},
      {"created_at", job->created_at},
      {"started_at", or_dash(job->started_at)},
      {"finished_at", or_dash(job->finished_at)},
      {"locked_by", or_dash(job->locked_by)},
      {"lease_expires_at", or_dash(job->lease_expires_at)},
      {"cancel_requested_at", or_dash(job->cancel_requested_at)},
      {"unique_key", or_dash(job->unique_key)},
      {"database_id", or_dash(job->database_id)},
      {"result", job->result.is_null() ? "-" : job->result.dump()},
      {"last_error", or_dash(job->last_error)},
  };
  std::size_t width = 0;
  for (const auto& field : fields) width = std::max(width, field.first.size() + 1);
  for (const auto& [name, value] : fields) {
    std::cout << name << ":" << std::string(width - name.size() + 1, ' ') << value << "\n";
  }

  const auto& errors = job->errors.is_array() ? job->errors : nlohmann::json::array();
  std::cout << "\nerror history (" << errors.size() << "):\n";
  if (errors.empty()) return 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : errors) {
    const auto text = [&](const char* key) {
      if (!e.contains(key) || e[key].is_null()) return std::string("-");
      return e[key].is_string() ? e[key].get<std::string>() : e[key].dump();
    };
    // Counting across retries when recorded; the attempt within its budget beside it.
    const auto overall = text("overall_attempt");
    rows.push_back({overall == "-" ? text("attempt") : overall, text("attempt"), text("at"),
                     text("error")});
  }
  print_table(std::cout, {"ATTEMPT", "OF_BUDGET", "AT", "ERROR"}, rows);
  return 0;
}

int retry(queue::JobId id, pqxx::connection& conn) {
  pqxx::work tx(conn);
  const auto before = queue::get_job(tx, id);
  if (!before) throw queue::JobNotFound(not_found(id));
  if (before->state != queue::JobState::failed && before->state != queue::JobState::cancelled) {
    throw queue::WrongJobState("job " + std::to_string(id) + " is " +
                               std::string(queue::to_string(before->state)) +
                               ": only failed or cancelled jobs can be retried");
  }
  queue::retry_job(tx, id);
  tx.commit();
  const auto history = before->errors.is_array() ? before->errors.size() : 0U;
  std::cout << "job " << id << ": " << queue::to_string(before->state)
            << " -> available; attempt reset to 0 (was " << attempts(*before) << "), " << history
            << " error(s) kept in its history\n";
  return 0;
}

int cancel(queue::JobId id, pqxx::connection& conn) {
  pqxx::work tx(conn);
  const auto before = queue::get_job(tx, id);
  if (!before) throw queue::JobNotFound(not_found(id));
  if (before->state != queue::JobState::available && before->state != queue::JobState::running) {
    throw queue::WrongJobState("job " + std::to_string(id) + " is already " +
                               std::string(queue::to_string(before->state)) +
                               ": only available or running jobs can be cancelled");
  }
  const auto after = queue::cancel_job(tx, id);
  tx.commit();
  if (after == queue::JobState::cancelled) {
    std::cout << "job " << id << ": " << queue::to_string(before->state) << " -> cancelled\n";
  } else {
    std::cout << "job " << id << " is " << queue::to_string(after)
              << ": cancellation requested; its worker ends it cancelled\n";
  }
  return 0;
}

}  // namespace

int jobs_command(const Args& args) {
  po::options_description options("jobs options");
  options.add_options()("state", po::value<std::string>(),
                        "list: available, running, succeeded, failed or cancelled")(
      "kind", po::value<std::string>(), "list: only this kind")("queue", po::value<std::string>(),
                                                                "list: only this queue")(
      "limit", po::value<int>()->default_value(50), "list: at most N jobs (1..1000)")(
      "action", po::value<std::string>(), "list, show, retry or cancel")(
      "id", po::value<std::string>(), "job id");
  add_output_option(options);
  po::positional_options_description positional;
  positional.add("action", 1).add("id", 1);
  const ActionHelps actions = {
      {"list",
       {"daapctl jobs list [--state S] [--kind K] [--queue Q] [--limit N] [--output table|json]",
        {"state", "kind", "queue", "limit", "output"}}},
      {"show", {"daapctl jobs show ID [--output table|json]   all fields and the error history",
                {"output"}}},
      {"retry", {"daapctl jobs retry ID   failed or cancelled -> available", {}}},
      {"cancel",
       {"daapctl jobs cancel ID   available -> cancelled; running -> cancellation requested",
        {}}},
  };
  po::variables_map vm;
  if (!parse_command_line(args, kUsage, options, positional, vm, actions)) return 0;
  if (vm.count("action") == 0U) throw UsageError("missing action (list, show, retry, cancel)");
  const auto action = vm["action"].as<std::string>();
  const auto output = read_output_format(vm);

  std::optional<queue::JobId> id;
  if (action == "list") {
    if (vm.count("id") != 0U) throw UsageError("list takes no ID");
  } else if (action == "show" || action == "retry" || action == "cancel") {
    if (vm.count("id") == 0U) throw UsageError(action + " needs a job ID");
    id = parse_id(vm["id"].as<std::string>(), "ID");
  } else {
    throw UsageError("unknown action '" + action + "'");
  }

  const auto db = read_database_config(vm);
  pqxx::connection conn(db.url);
  return report_refusals([&] {
    if (action == "list") return list(vm, output, conn);
    if (action == "show") return show(*id, output, conn);
    if (action == "retry") return retry(*id, conn);
    return cancel(*id, conn);
  });
}

}  // namespace daap::worker::daapctl
