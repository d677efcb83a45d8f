// daap-bench is not a test and no figure of it is asserted: these check that it starts, explains
// itself, prints every figure it promises (with its conditions), and keeps its hands off
// databases that are not its own. The Graphile comparison needs npm: it is not run here.
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <pqxx/pqxx>

#include "tests/support/run_program.h"
#include "tests/support/test_database.h"

namespace daap::test {
namespace {

using ::testing::HasSubstr;

// The numbers captured by `pattern` on the first line of `out` that matches it, which must
// end with the conditions of the figure; empty (and a failure) when no line matches.
std::vector<double> figures_of(const std::string& out, const std::string& pattern) {
  const std::regex conditions(
      R"(\| PostgreSQL \d+(\.\d+)*, fsync=\w+, synchronous_commit=\w+, \d+ cores, )"
      R"(load [0-9.]+ before, [0-9.]+ after$)");
  const std::regex figure(pattern);
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, figure)) continue;
    EXPECT_TRUE(std::regex_search(line, conditions)) << "no conditions on: " << line;
    std::vector<double> values;
    for (std::size_t i = 1; i < m.size(); ++i) values.push_back(std::stod(m[i].str()));
    return values;
  }
  ADD_FAILURE() << "no line matches " << pattern << " in:\n" << out;
  return {};
}

bool database_exists(const std::string& name) {
  pqxx::connection conn(server_url());
  return pqxx::nontransaction(conn).query_value<bool>(
      "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", pqxx::params{name});
}

TEST(DaapBenchTest, HelpExitsZeroAndNamesTheOptions) {
  const auto r = run_program(built_binary("bench/daap-bench"), {"--help"}, "");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("--concurrency"));
  EXPECT_THAT(r.out, HasSubstr("--only"));
}

TEST(DaapBenchTest, FreshTableMeasuresPrintEveryFigurePositiveWithItsConditions) {
  FreshDatabase db;
  const auto r = run_program(built_binary("bench/daap-bench"),
                             {"--only",          "fresh,update,latency,claim,snapshot",
                              "--sizes",         "150",
                              "--jobs",          "120",
                              "--repeat",        "1",
                              "--claim-table",   "500",
                              "--claim-size",    "10",
                              "--claim-samples", "5",
                              "--latency-jobs",  "5",
                              "--latency-gap",   "5ms",
                              "--timeout",       "2m"},
                             db.url());
  ASSERT_EQ(r.status, 0) << r.out << r.err;

  const std::string rate = R"(([0-9.]+) jobs/s)";
  const std::string ms = R"(([0-9.]+) ms)";
  const std::vector<std::string> patterns = {
      "=> noop drain, fresh table, N=150: ours median " + rate,
      "=> database.update drain, fresh tables, N=120: median " + rate,
      "=> enqueue-to-start latency: p50 " + ms + ", p90 " + ms + ", p99 " + ms,
      "=> claim of 10 with 500 available jobs: p50 " + ms + ", p99 " + ms,
      "=> noop drain, fresh table, N=120, snapshot held: median " + rate +
          R"( \[[^\]]*\]; normal median )" + rate +
          R"( \[[^\]]*\]; held/normal median of the 1 pair ratios ([0-9.]+))",
  };
  for (const auto& pattern : patterns) {
    const auto values = figures_of(r.out, pattern);
    for (const auto v : values) EXPECT_GT(v, 0) << pattern;
  }
  EXPECT_FALSE(database_exists(db.name() + "_bench")) << "the scratch database was left behind";
}

TEST(DaapBenchTest, RefusesToDropADatabaseOfItsScratchNameThatIsNotItsOwn) {
  FreshDatabase db;
  const std::string foreign = db.name() + "_bench";
  pqxx::connection admin(server_url());
  pqxx::nontransaction(admin).exec("CREATE DATABASE " + admin.quote_name(foreign));

  const auto r = run_program(built_binary("bench/daap-bench"),
                             {"--only", "fresh", "--sizes", "10", "--repeat", "1"}, db.url());

  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_THAT(r.err, HasSubstr("a database named " + foreign + " exists"));
  EXPECT_TRUE(database_exists(foreign));
  pqxx::nontransaction(admin).exec("DROP DATABASE " + admin.quote_name(foreign));
}

TEST(DaapBenchTest, CompareGraphileWithoutNodeExitsTwoSayingHowToGetIt) {
  const auto r = run_program(built_binary("bench/daap-bench"), {"--compare", "graphile"}, "");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_THAT(r.err, HasSubstr("--node"));
  EXPECT_THAT(r.err, HasSubstr("scripts/bench --compare graphile"));
}

}  // namespace
}  // namespace daap::test
