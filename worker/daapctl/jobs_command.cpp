// daapctl jobs: list and show jobs (queue/admin.h); retry, cancel, run now or delete many at
// once, by ids or by a filter, in batches (queue/bulk.h).
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "queue/admin.h"
#include "queue/bulk.h"
#include "worker/admin/bulk_jobs.h"
#include "worker/daapctl/commands.h"

namespace po = boost::program_options;

namespace daap::worker::daapctl {
namespace {

constexpr const char* kUsage =
    "daapctl jobs list [--state S] [--kind K] [--queue Q] [--limit N] [--cursor C] "
    "[--output table|json]\n"
    "       daapctl jobs show ID [--output table|json]\n"
    "       daapctl jobs retry|cancel|run-now|delete ID... [--dry-run] [--output table|json]\n"
    "       daapctl jobs retry|cancel|run-now|delete FILTER... [--dry-run | --yes] "
    "[--output table|json]\n"
    "         FILTER: --state S --kind K --queue Q --database ID|NAME --since T --until T\n"
    "                 --error-contains TEXT   (T: RFC 3339 time, or a DURATION meaning that "
    "long ago)";

// Flags that select jobs for a bulk action, and those only a bulk action takes.
const std::vector<std::string> kBulkOnlyFlags = {"database",       "since",   "until",
                                                 "error-contains", "dry-run", "yes"};
const std::vector<std::string> kFilterFlags = {"state", "kind",  "queue",         "database",
                                               "since", "until", "error-contains"};
// How many matching jobs a dry run or a confirmation shows.
constexpr int kSampleSize = 10;
// Skipped jobs printed one per line before the rest are only counted (the JSON lists all).
constexpr std::size_t kMaxSkippedLines = 100;

std::string or_dash(const std::optional<std::string>& value) { return value.value_or("-"); }

std::string attempts(const queue::JobRow& job) {
  return std::to_string(job.attempt) + "/" + std::to_string(job.max_attempts);
}

// An absolute time in the UTC style, with how long ago (or ahead) it is: "... (3m ago)".
std::string time_and_age(const std::optional<std::string>& postgres_text,
                         std::chrono::sys_seconds now) {
  if (!postgres_text || postgres_text->empty()) return "-";
  if (!parse_timestamp(*postgres_text)) return *postgres_text;
  return utc_text(*postgres_text) + " (" + relative_text(*postgres_text, now) + ")";
}

bool finished(queue::JobState state) {
  return state == queue::JobState::succeeded || state == queue::JobState::failed ||
         state == queue::JobState::cancelled;
}

// One row of a job listing, with the times a person reads for the job's state: RUN_AT while
// it waits, STARTED_AT and LOCKED_BY while it runs, FINISHED_AT once finished.
std::vector<std::string> job_row(const queue::JobRow& job, std::chrono::sys_seconds now) {
  const auto when = [&](bool shown, const std::optional<std::string>& t) {
    return shown && t ? relative_text(*t, now) : std::string("-");
  };
  const bool running = job.state == queue::JobState::running;
  return {std::to_string(job.id),
          job.kind,
          job.queue,
          std::string(queue::to_string(job.state)),
          attempts(job),
          relative_text(job.created_at, now),
          when(job.state == queue::JobState::available, job.run_at),
          when(running, job.started_at),
          running ? or_dash(job.locked_by) : "-",
          when(finished(job.state), job.finished_at),
          job.last_error.value_or("-")};
}

const std::vector<std::string> kJobListHeader = {
    "ID",     "KIND",       "QUEUE",     "STATE",       "ATTEMPT",   "CREATED",
    "RUN_AT", "STARTED_AT", "LOCKED_BY", "FINISHED_AT", "LAST_ERROR"};

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
  const int limit = vm["limit"].as<int>();
  if (limit < 1 || limit > 1000) {
    throw UsageError("--limit must be between 1 and 1000, got " + std::to_string(limit));
  }
  for (const auto& flag : kBulkOnlyFlags) {
    if (vm.count(flag) != 0U) throw UsageError("--" + flag + " does not apply to list");
  }
  if (vm.count("cursor") != 0U)
    filter.before = parse_id(vm["cursor"].as<std::string>(), "--cursor");
  // One more than the page: whether there is a next page.
  filter.limit = limit + 1;
  pqxx::read_transaction tx(conn);
  auto jobs = queue::list_jobs(tx, filter);
  std::optional<std::string> next_cursor;
  if (jobs.size() > static_cast<std::size_t>(limit)) {
    jobs.resize(static_cast<std::size_t>(limit));
    next_cursor = std::to_string(jobs.back().id);
  }
  if (output == OutputFormat::json) {
    auto items = nlohmann::json::array();
    for (const auto& job : jobs) items.push_back(queue::to_json(job));
    std::cout << nlohmann::json{{"items", items},
                                {"next_cursor",
                                 next_cursor ? nlohmann::json(*next_cursor) : nlohmann::json()}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  const auto now = now_seconds();
  for (const auto& job : jobs) rows.push_back(job_row(job, now));
  print_table(std::cout, kJobListHeader, rows);
  if (next_cursor) std::cout << "next cursor: " << *next_cursor << "\n";
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
  const auto now = now_seconds();
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"id", std::to_string(job->id)},
      {"kind", job->kind},
      {"queue", job->queue},
      {"state", std::string(queue::to_string(job->state))},
      {"priority", std::to_string(job->priority)},
      {"attempt", attempts(*job)},
      {"payload", job->payload.dump()},
      {"run_at", time_and_age(job->run_at, now)},
      {"created_at", time_and_age(job->created_at, now)},
      {"started_at", time_and_age(job->started_at, now)},
      {"finished_at", time_and_age(job->finished_at, now)},
      {"locked_by", or_dash(job->locked_by)},
      {"lease_expires_at", time_and_age(job->lease_expires_at, now)},
      {"cancel_requested_at", time_and_age(job->cancel_requested_at, now)},
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
    rows.push_back({overall == "-" ? text("attempt") : overall, text("attempt"),
                    utc_text(text("at")), text("error")});
  }
  print_table(std::cout, {"ATTEMPT", "OF_BUDGET", "AT", "ERROR"}, rows, {"AT"});
  return 0;
}

std::optional<std::string> optional_flag(const po::variables_map& vm, const std::string& name) {
  if (vm.count(name) == 0U) return std::nullopt;
  return vm[name].as<std::string>();
}

// --since/--until: an RFC 3339 time, or a duration meaning that long ago ("24h").
std::string read_time_flag(pqxx::connection& conn, const std::string& flag,
                           const std::string& text) {
  try {
    return admin::read_time_bound(conn, "--" + flag, text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

// The jobs a filtered action takes; UsageError for a bad flag, JobNotFound for an unknown
// database.
queue::JobSelection read_selection(const po::variables_map& vm, pqxx::connection& conn) {
  queue::JobSelection s;
  if (const auto state = optional_flag(vm, "state")) {
    try {
      s.state = queue::parse_job_state(*state);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--state: ") + e.what());
    }
  }
  s.kind = optional_flag(vm, "kind");
  s.queue = optional_flag(vm, "queue");
  s.error_contains = optional_flag(vm, "error-contains");
  if (const auto since = optional_flag(vm, "since"))
    s.since = read_time_flag(conn, "since", *since);
  if (const auto until = optional_flag(vm, "until"))
    s.until = read_time_flag(conn, "until", *until);
  if (const auto key = optional_flag(vm, "database")) {
    s.database_id = admin::find_database_id(conn, *key);
    if (!s.database_id)
      throw queue::JobNotFound("--database: no database with id or active name '" + *key + "'");
  }
  return s;
}

std::string verb(queue::BulkAction action) {
  switch (action) {
    case queue::BulkAction::retry:
      return "retried";
    case queue::BulkAction::cancel:
      return "cancelled";
    case queue::BulkAction::run_now:
      return "run now";
    case queue::BulkAction::remove:
      return "deleted";
  }
  return "done";
}

// One line for a job the action was done to.
std::string done_line(const queue::BulkOutcome& o) {
  const auto from = o.old_state.value_or("?");
  const auto to = o.new_state.value_or("?");
  const auto job = "job " + std::to_string(o.id);
  if (from == "running" && to == "running") {
    return job + " is running: cancellation requested; its worker ends it cancelled";
  }
  if (from == to) return job + ": " + from + ", due now";
  if (to == "available")
    return job + ": " + from + " -> available (attempt reset to 0, error history kept)";
  return job + ": " + from + " -> " + to;
}

nlohmann::json to_json(const queue::BulkOutcome& o) {
  const auto text = [](const std::optional<std::string>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json();
  };
  return {{"id", o.id},
          {"old_state", text(o.old_state)},
          {"new_state", text(o.new_state)},
          {"reason", text(o.reason)}};
}

// --dry-run: how many jobs the action would take, and the first few.
int dry_run(queue::BulkAction action, const queue::JobSelection& selection, OutputFormat output,
            pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  const auto size = queue::measure(tx, selection);
  const auto sample = queue::select_jobs(tx, selection, 0, size.max_id, kSampleSize);
  if (output == OutputFormat::json) {
    auto items = nlohmann::json::array();
    for (const auto& job : sample) items.push_back(queue::to_json(job));
    std::cout << nlohmann::json{{"action", std::string(queue::to_string(action))},
                                {"dry_run", true},
                                {"count", size.count},
                                {"sample", items}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << "dry run: " << queue::to_string(action) << " would take " << size.count << " job(s)";
  if (size.count > 0) std::cout << "; the first " << sample.size() << ":";
  std::cout << "\n";
  std::vector<std::vector<std::string>> rows;
  const auto now = now_seconds();
  for (const auto& job : sample) rows.push_back(job_row(job, now));
  if (!rows.empty()) print_table(std::cout, kJobListHeader, rows);
  std::cout << "nothing was changed\n";
  return 0;
}

// Asks on the terminal before acting on a filtered set; without one, refuses.
bool confirmed(queue::BulkAction action, std::int64_t count) {
  if (isatty(STDIN_FILENO) == 0) {
    throw UsageError(std::string(queue::to_string(action)) + " would take " +
                     std::to_string(count) +
                     " job(s) and no terminal can confirm it: pass --yes to go ahead (see them "
                     "first with --dry-run)");
  }
  std::cerr << queue::to_string(action) << " " << count << " job(s)? [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

// Runs `action` over the ids (given, or selected by the filter up to max_id) in keyset batches
// of at most kBulkBatchSize, one transaction each, and reports per job.
int bulk(queue::BulkAction action, const po::variables_map& vm, OutputFormat output,
         pqxx::connection& conn) {
  std::vector<queue::JobId> given;
  if (vm.count("id") != 0U) {
    for (const auto& text : vm["id"].as<std::vector<std::string>>()) {
      given.push_back(parse_id(text, "ID"));
    }
  }
  const bool filtered = std::any_of(kFilterFlags.begin(), kFilterFlags.end(),
                                    [&](const std::string& f) { return vm.count(f) != 0U; });
  const auto name = std::string(queue::to_string(action));
  if (!given.empty() && filtered) throw UsageError(name + " takes job ids or a filter, not both");
  if (given.empty() && !filtered) {
    throw UsageError(name +
                     " needs job ids or a filter (--state, --kind, --queue, --database, "
                     "--since, --until, --error-contains)");
  }
  const bool dry = vm.count("dry-run") != 0U;
  if (dry && vm.count("yes") != 0U) throw UsageError("--dry-run and --yes exclude each other");

  queue::JobSelection selection;
  if (filtered) {
    selection = read_selection(vm, conn);
  } else {
    std::sort(given.begin(), given.end());
    given.erase(std::unique(given.begin(), given.end()), given.end());
    selection.ids = given;
  }
  if (dry) return dry_run(action, selection, output, conn);

  std::int64_t total = static_cast<std::int64_t>(given.size());
  queue::JobId up_to = given.empty() ? 0 : given.back();
  if (filtered) {
    queue::SelectionSize size;
    {
      pqxx::read_transaction tx(conn);
      size = queue::measure(tx, selection);
    }
    total = size.count;
    up_to = size.max_id;
    if (total == 0) {
      if (output == OutputFormat::json) {
        std::cout << nlohmann::json{{"items", nlohmann::json::array()}, {"done", 0}, {"skipped", 0}}
                         .dump(2)
                  << "\n";
      } else {
        std::cout << "no jobs match: nothing to " << name << "\n";
      }
      return 0;
    }
    if (vm.count("yes") == 0U && !confirmed(action, total)) {
      std::cerr << "daapctl jobs " << name << ": not confirmed; nothing was changed\n";
      return 1;
    }
  }

  const auto progress = [&](const admin::BulkResult& so_far) {
    if (total > queue::kBulkBatchSize) {
      std::cerr << name << ": " << (so_far.done + so_far.skipped) << "/" << total << " ("
                << so_far.done << " done, " << so_far.skipped << " skipped)\n";
    }
  };
  const auto result = filtered ? admin::run_bulk(conn, action, selection, up_to, progress)
                               : admin::run_bulk(conn, action, given, progress);
  const auto& outcomes = result.outcomes;
  const auto done = result.done;
  const auto skipped = result.skipped;

  if (output == OutputFormat::json) {
    auto items = nlohmann::json::array();
    for (const auto& o : outcomes) items.push_back(to_json(o));
    std::cout << nlohmann::json{{"items", items}, {"done", done}, {"skipped", skipped}}.dump(2)
              << "\n";
    return skipped == 0 ? 0 : 1;
  }
  const bool each = outcomes.size() <= 20;
  std::size_t skipped_lines = 0;
  for (const auto& o : outcomes) {
    if (o.done()) {
      if (each) std::cout << done_line(o) << "\n";
    } else if (skipped_lines++ < kMaxSkippedLines) {
      std::cerr << "daapctl jobs " << name << ": job " << o.id << " not " << verb(action) << ": "
                << *o.reason << "\n";
    }
  }
  if (skipped_lines > kMaxSkippedLines) {
    std::cerr << "daapctl jobs " << name << ": " << (skipped_lines - kMaxSkippedLines)
              << " more skipped (--output json lists every job)\n";
  }
  if (outcomes.size() > 1) {
    std::cout << name << ": " << done << " done, " << skipped << " skipped\n";
  }
  return skipped == 0 ? 0 : 1;
}

}  // namespace

int jobs_command(const Args& args) {
  po::options_description options("jobs options");
  options.add_options()("state", po::value<std::string>(),
                        "list, filter: available, running, succeeded, failed or cancelled")(
      "kind", po::value<std::string>(), "list, filter: only this kind")(
      "queue", po::value<std::string>(), "list, filter: only this queue")(
      "database", po::value<std::string>(), "filter: only jobs of this databases record (ID|NAME)")(
      "since", po::value<std::string>(),
      "filter: finished (or, unfinished, created) at or after T: RFC 3339, or a DURATION ago")(
      "until", po::value<std::string>(), "filter: ... before T")(
      "error-contains", po::value<std::string>(),
      "filter: last_error contains TEXT (case-insensitive, taken literally)")(
      "dry-run", "bulk: print how many jobs would be taken and the first few; change nothing")(
      "yes,y", "bulk: act on a filter's jobs without asking")(
      "limit", po::value<int>()->default_value(50), "list: at most N jobs per page (1..1000)")(
      "cursor", po::value<std::string>(), "list: the next cursor the previous page printed")(
      "action", po::value<std::string>(), "list, show, retry, cancel, run-now or delete")(
      "id", po::value<std::vector<std::string>>(), "job ids");
  add_output_option(options);
  po::positional_options_description positional;
  positional.add("action", 1).add("id", -1);
  const std::vector<std::string> bulk_options = {"state", "kind",    "queue", "database",
                                                 "since", "until",   "error-contains",
                                                 "dry-run", "yes",   "output"};
  const auto bulk_help = [&](const std::string& what) {
    return ActionHelp{"daapctl jobs " + what, bulk_options};
  };
  const ActionHelps actions = {
      {"list",
       {"daapctl jobs list [--state S] [--kind K] [--queue Q] [--limit N] [--cursor C] "
        "[--output table|json]",
        {"state", "kind", "queue", "limit", "cursor", "output"}}},
      {"show", {"daapctl jobs show ID [--output table|json]   all fields and the error history",
                {"output"}}},
      {"retry", bulk_help("retry ID...|FILTER   failed or cancelled -> available")},
      {"cancel",
       bulk_help("cancel ID...|FILTER   available -> cancelled; running -> cancellation requested")},
      {"run-now", bulk_help("run-now ID...|FILTER   a scheduled or backing-off job runs now")},
      {"delete", bulk_help("delete ID...|FILTER   finished jobs only")},
  };
  po::variables_map vm;
  if (!parse_command_line(args, kUsage, options, positional, vm, actions)) return 0;
  if (vm.count("action") == 0U) {
    throw UsageError("missing action (list, show, retry, cancel, run-now, delete)");
  }
  const auto action = vm["action"].as<std::string>();
  const auto output = read_output_format(vm);
  const auto ids =
      vm.count("id") != 0U ? vm["id"].as<std::vector<std::string>>() : std::vector<std::string>{};

  std::optional<queue::BulkAction> bulk_action;
  std::optional<queue::JobId> id;
  if (action == "list") {
    if (!ids.empty()) throw UsageError("list takes no ID");
  } else if (action == "show") {
    if (ids.size() != 1) throw UsageError("show needs one job ID");
    id = parse_id(ids[0], "ID");
  } else if (action == "retry") {
    bulk_action = queue::BulkAction::retry;
  } else if (action == "cancel") {
    bulk_action = queue::BulkAction::cancel;
  } else if (action == "run-now") {
    bulk_action = queue::BulkAction::run_now;
  } else if (action == "delete") {
    bulk_action = queue::BulkAction::remove;
  } else {
    throw UsageError("unknown action '" + action + "'");
  }
  if (!bulk_action && action != "list") {
    for (const auto& flag : kBulkOnlyFlags) {
      if (vm.count(flag) != 0U) throw UsageError("--" + flag + " does not apply to " + action);
    }
  }
  if (bulk_action) {
    for (const auto* flag : {"limit", "cursor"}) {
      if (!vm[flag].defaulted() && vm.count(flag) != 0U) {
        throw UsageError(std::string("--") + flag + " applies to list only");
      }
    }
    // Ids are checked before connecting: a typo is a usage error.
    for (const auto& text : ids) parse_id(text, "ID");
  }

  const auto database_url = read_database_url(vm);
  pqxx::connection conn(database_url);
  return report_refusals([&] {
    if (action == "list") return list(vm, output, conn);
    if (action == "show") return show(*id, output, conn);
    return bulk(*bulk_action, vm, output, conn);
  });
}

}  // namespace daap::worker::daapctl
