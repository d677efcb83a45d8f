// daapctl's tables through the real binary: every listing fits 120 columns, times read as
// ages ("3m ago", "in 2h") or as UTC with Z, and the JSON keeps absolute timestamps.
#include <regex>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/daapctl_fixture.h"

namespace daap::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class TablesCommandTest : public DaapctlTest {};

// Terminal columns of a line: its UTF-8 code points.
std::size_t columns(const std::string& line) {
  std::size_t n = 0;
  for (const char c : line) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The line of `text` that holds `needle`, or "" when none does.
std::string line_with(const std::string& text, const std::string& needle) {
  for (const auto& line : lines_of(text)) {
    if (line.find(needle) != std::string::npos) return line;
  }
  return {};
}

// The table row whose first column is `id`.
std::string row_of(const std::string& text, std::int64_t id) {
  const auto first = std::to_string(id) + " ";
  for (const auto& line : lines_of(text)) {
    if (line.rfind(first, 0) == 0) return line;
  }
  return {};
}

void expect_fits_120_columns(const ProgramResult& r) {
  ASSERT_EQ(r.status, 0) << r.err;
  for (const auto& line : lines_of(r.out)) EXPECT_LE(columns(line), 120U) << line << "\n" << r.out;
}

// PostgreSQL's own timestamp text (an offset like +00:00 or +00) never reaches a table.
const std::regex kPostgresOffset(R"(\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d)");

TEST_F(TablesCommandTest, JobsListShowsEachStatesTimesAsAgesAndFits120Columns) {
  const auto waiting = insert_job({.kind = "database.create", .minutes_ago = 3});
  exec("UPDATE daap.jobs SET run_at = now() + interval '2 hours 1 minute' WHERE id = $1",
       pqxx::params{waiting});
  const auto running = insert_job({.state = "running", .minutes_ago = 7});
  const auto done = insert_job({.state = "succeeded", .minutes_ago = 90});
  const auto failed = insert_job({.kind = std::string(50, 'k'), .state = "failed"});
  exec("UPDATE daap.jobs SET last_error = repeat('connection refused; ', 20) WHERE id = $1",
       pqxx::params{failed});

  const auto r = daapctl({"jobs", "list"});
  expect_fits_120_columns(r);
  const auto header = lines_of(r.out).at(0);
  for (const char* column : {"RUN_AT", "STARTED_AT", "LOCKED_BY", "FINISHED_AT", "LAST_ERROR"}) {
    EXPECT_THAT(header, HasSubstr(column));
  }
  EXPECT_THAT(line_with(r.out, "database.create"), HasSubstr("in 2h")) << r.out;
  EXPECT_THAT(line_with(r.out, "database.create"), HasSubstr("3m ago")) << r.out;
  const auto running_line = row_of(r.out, running);
  EXPECT_THAT(running_line, HasSubstr("test-worker")) << r.out;
  EXPECT_THAT(running_line, HasSubstr("7m ago")) << r.out;
  EXPECT_THAT(row_of(r.out, done), HasSubstr("1h ago")) << r.out;
  const auto failed_line = row_of(r.out, failed);
  EXPECT_THAT(failed_line, HasSubstr("connection ref")) << r.out;
  EXPECT_THAT(failed_line, HasSubstr("…")) << "the long error is cut\n" << r.out;
  EXPECT_FALSE(std::regex_search(r.out, kPostgresOffset)) << r.out;
  // The running job's columns: started and locked, not finished; the finished one's: finished.
  EXPECT_THAT(row_of(r.out, done), Not(HasSubstr("test-worker"))) << r.out;
  EXPECT_THAT(running_line, Not(HasSubstr("1h ago"))) << r.out;
}

TEST_F(TablesCommandTest, JobsShowPrintsUtcTimestampsWithZAndTheirAges) {
  const auto id = insert_failed_job(2);
  exec("UPDATE daap.jobs SET created_at = now() - interval '3 minutes 10 seconds' WHERE id = $1",
       pqxx::params{id});
  const auto r = daapctl({"jobs", "show", std::to_string(id)});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex(R"(created_at: +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(3m ago\)\n)")))
      << r.out;
  EXPECT_TRUE(
      std::regex_search(r.out, std::regex(R"(\n2 +2 +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +boom 2\n)")))
      << r.out;
  EXPECT_FALSE(std::regex_search(r.out, kPostgresOffset)) << r.out;
}

TEST_F(TablesCommandTest, JsonOutputKeepsAbsoluteTimestamps) {
  insert_job({.state = "succeeded", .minutes_ago = 5});
  const auto r = daapctl({"jobs", "list", "--output", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto item = nlohmann::json::parse(r.out).at("items").at(0);
  const auto finished = item.at("finished_at").get<std::string>();
  EXPECT_TRUE(std::regex_search(finished, std::regex(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)")))
      << finished;
  EXPECT_THAT(r.out, Not(HasSubstr(" ago")));
}

TEST_F(TablesCommandTest, EveryOtherListingFits120ColumnsWithAgesAndNoPostgresOffsets) {
  const std::string long_name(70, 'q');
  insert_job({.queue = long_name, .minutes_ago = 20});
  exec(
      "INSERT INTO daap.workers (id, hostname, pid, version, queues, concurrency, started_at) "
      "VALUES ($1, $2, 42, '0.1.0', ARRAY['default', $3], 7, now() - interval '3 hours')",
      pqxx::params{std::string(45, 'w'), std::string(60, 'h'), long_name});
  exec(
      "INSERT INTO daap.databases (name, owner_team, status, created_at) VALUES "
      "('orders', $1, 'ready', now() - interval '2 days 1 hour')",
      pqxx::params{std::string(100, 't')});
  ASSERT_EQ(daapctl({"queues", "pause", long_name}).status, 0);
  ASSERT_EQ(daapctl({"periodic", "add", "nightly-" + std::string(60, 'n'), "--schedule",
                     "0 3 * * *", "--kind", "noop", "--time-zone", "Europe/Berlin"})
                .status,
            0);

  const auto workers = daapctl({"workers"});
  expect_fits_120_columns(workers);
  EXPECT_THAT(workers.out, HasSubstr("3h ago"));
  EXPECT_THAT(workers.out, HasSubstr(std::string(45, 'w'))) << "the id is never cut";
  const auto queues = daapctl({"queues", "list"});
  expect_fits_120_columns(queues);
  EXPECT_THAT(line_with(queues.out, "qqq"), HasSubstr("20m")) << queues.out;  // oldest due
  EXPECT_TRUE(
      std::regex_search(line_with(queues.out, "qqq"), std::regex("paused since (now|[0-9]+s ago)")))
      << queues.out;
  const auto stats = daapctl({"stats"});
  expect_fits_120_columns(stats);
  const auto periodic = daapctl({"periodic", "list"});
  expect_fits_120_columns(periodic);
  EXPECT_TRUE(
      std::regex_search(periodic.out, std::regex(R"(\d{4}-\d\d-\d\dT0[12]:00:00Z \(in \d+h\))")))
      << "03:00 in Berlin is 01:00 or 02:00 UTC\n"
      << periodic.out;
  const auto databases = daapctl({"databases", "list"});
  expect_fits_120_columns(databases);
  EXPECT_THAT(line_with(databases.out, "orders"), HasSubstr("2d ago")) << databases.out;
  const auto show = daapctl({"databases", "show", "orders"});
  expect_fits_120_columns(show);
  EXPECT_TRUE(std::regex_search(
      show.out, std::regex(R"(created_at: +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(2d ago\)\n)")))
      << show.out;
  for (const auto* r : {&workers, &queues, &stats, &periodic, &databases, &show}) {
    EXPECT_FALSE(std::regex_search(r->out, kPostgresOffset)) << r->out;
  }
}

}  // namespace
}  // namespace daap::test
