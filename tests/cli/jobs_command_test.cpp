// daapctl jobs list/show/retry/cancel against a real PostgreSQL.
#include <optional>
#include <sstream>

#include <gmock/gmock.h>
#include <nlohmann/json.hpp>

#include "tests/cli/daapctl_fixture.h"

namespace daap::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using JobsCommandTest = DaapctlTest;

// The ids of a `jobs list --output json` document, in printed order.
std::vector<std::int64_t> listed_ids(const ProgramResult& r) {
  EXPECT_EQ(r.status, 0) << r.err;
  std::vector<std::int64_t> ids;
  const auto doc = nlohmann::json::parse(r.out);
  for (const auto& job : doc.at("items")) {
    ids.push_back(job.at("id").get<std::int64_t>());
  }
  return ids;
}

TEST_F(JobsCommandTest, ListFiltersByStateKindAndQueue) {
  const auto available = insert_job({.kind = "noop", .state = "available"});
  const auto running = insert_job({.kind = "noop", .state = "running"});
  const auto failed = insert_job({.kind = "database.create", .state = "failed"});
  const auto other_queue = insert_job({.kind = "noop", .state = "available", .queue = "slow"});

  EXPECT_THAT(listed_ids(daapctl({"jobs", "list", "--state", "running", "--output", "json"})),
              ElementsAre(running));
  EXPECT_THAT(
      listed_ids(daapctl({"jobs", "list", "--kind", "database.create", "--output", "json"})),
      ElementsAre(failed));
  EXPECT_THAT(listed_ids(daapctl({"jobs", "list", "--queue", "slow", "--output", "json"})),
              ElementsAre(other_queue));
  EXPECT_THAT(listed_ids(daapctl({"jobs", "list", "--state", "available", "--queue", "default",
                                  "--output", "json"})),
              ElementsAre(available));
}

TEST_F(JobsCommandTest, ListIsNewestFirstAndHonoursTheLimit) {
  const auto first = insert_job({});
  const auto second = insert_job({});
  const auto third = insert_job({});
  EXPECT_THAT(listed_ids(daapctl({"jobs", "list", "--output", "json"})),
              ElementsAre(third, second, first));
  EXPECT_THAT(listed_ids(daapctl({"jobs", "list", "--limit", "2", "--output", "json"})),
              ElementsAre(third, second));
}

TEST_F(JobsCommandTest, ListJsonIsOneDocumentWithTheJobFields) {
  const auto id = insert_job({.kind = "database.update", .state = "succeeded"});
  const auto r = daapctl({"jobs", "list", "--output", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);  // throws unless exactly one document
  ASSERT_TRUE(doc.is_object());
  ASSERT_EQ(doc.at("items").size(), 1U);
  const auto& job = doc["items"][0];
  EXPECT_EQ(job.at("id"), id);
  EXPECT_EQ(job.at("kind"), "database.update");
  EXPECT_EQ(job.at("state"), "succeeded");
  EXPECT_EQ(job.at("queue"), "default");
  EXPECT_EQ(job.at("attempt"), 1);
  EXPECT_TRUE(job.at("payload").is_object());
  EXPECT_TRUE(job.at("errors").is_array());
  for (const char* field : {"priority", "max_attempts", "run_at", "created_at", "finished_at"}) {
    EXPECT_TRUE(job.contains(field)) << field;
  }
}

TEST_F(JobsCommandTest, ListTableHasAHeaderAndOneAlignedRowPerJob) {
  insert_job({.kind = "noop"});
  insert_job({.kind = "database.provision", .state = "running"});
  const auto r = daapctl({"jobs", "list"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3U) << r.out;
  EXPECT_EQ(lines[0].rfind("ID", 0), 0U);
  // Columns line up: STATE starts at the same offset on every line.
  const auto state_column = lines[0].find("STATE");
  EXPECT_EQ(lines[1].find("running"), state_column) << r.out;
  EXPECT_EQ(lines[2].find("available"), state_column) << r.out;
}

TEST_F(JobsCommandTest, ListRejectsAnUnknownStateNamingTheFlag) {
  const auto r = daapctl({"jobs", "list", "--state", "sleeping"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--state"));
  EXPECT_THAT(r.err, HasSubstr("sleeping"));
}

TEST_F(JobsCommandTest, ShowPrintsAllFieldsAndTheErrorHistory) {
  const auto id = insert_failed_job(3);
  const auto r = daapctl({"jobs", "show", std::to_string(id)});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* field : {"kind:", "database.create", "state:", "failed", "attempt:", "3/3",
                            "payload:", "created_at:", "finished_at:", "last_error:", "boom 3",
                            "error history (3)", "ATTEMPT", "boom 1", "boom 2"}) {
    EXPECT_THAT(r.out, HasSubstr(field));
  }
}

TEST_F(JobsCommandTest, ShowJsonHasTheErrorHistory) {
  const auto id = insert_failed_job(2);
  const auto r = daapctl({"jobs", "show", std::to_string(id), "--output", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto job = nlohmann::json::parse(r.out);
  EXPECT_EQ(job.at("id"), id);
  EXPECT_EQ(job.at("state"), "failed");
  ASSERT_EQ(job.at("errors").size(), 2U);
  EXPECT_EQ(job["errors"][0].at("attempt"), 1);
  EXPECT_EQ(job["errors"][0].at("error"), "boom 1");
  EXPECT_TRUE(job["errors"][0].contains("at"));
  EXPECT_EQ(job["errors"][1].at("error"), "boom 2");
}

TEST_F(JobsCommandTest, ShowOfAnUnknownIdExitsOneNamingIt) {
  const auto r = daapctl({"jobs", "show", "424242"});
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("424242"));
  EXPECT_THAT(r.err, HasSubstr("not found"));
}

TEST_F(JobsCommandTest, AnIdThatIsNotANumberExitsTwo) {
  const auto r = daapctl({"jobs", "show", "abc"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("'abc'"));
}

TEST_F(JobsCommandTest, RetryOfAFailedJobMakesItAvailableWithAFreshBudgetKeepingHistory) {
  const auto id = insert_failed_job(3);
  const auto r = daapctl({"jobs", "retry", std::to_string(id)});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("attempt reset to 0"));
  EXPECT_THAT(r.out, HasSubstr("failed -> available"));
  pqxx::work tx(conn());
  const auto row = tx.exec(
                         "SELECT state, attempt, jsonb_array_length(errors), finished_at IS NULL, "
                         "  run_at <= now() FROM daap.jobs WHERE id = $1",
                         pqxx::params{id})
                       .one_row();
  EXPECT_EQ(row[0].as<std::string>(), "available");
  EXPECT_EQ(row[1].as<int>(), 0);
  EXPECT_EQ(row[2].as<int>(), 3);
  EXPECT_TRUE(row[3].as<bool>());
  EXPECT_TRUE(row[4].as<bool>());
}

TEST_F(JobsCommandTest, RetryOfACancelledJobMakesItAvailable) {
  const auto id = insert_job({.state = "cancelled"});
  const auto r = daapctl({"jobs", "retry", std::to_string(id)});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(state_of(id), "available");
}

TEST_F(JobsCommandTest, RetryOfASucceededJobExitsOneNamingTheState) {
  const auto id = insert_job({.state = "succeeded"});
  const auto r = daapctl({"jobs", "retry", std::to_string(id)});
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("succeeded"));
  EXPECT_THAT(r.err, HasSubstr(std::to_string(id)));
  EXPECT_EQ(state_of(id), "succeeded");
}

TEST_F(JobsCommandTest, RetryOfAnUnknownIdExitsOneNamingIt) {
  const auto r = daapctl({"jobs", "retry", "777"});
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("777"));
}

TEST_F(JobsCommandTest, CancelOfAnAvailableJobCancelsItAtOnce) {
  const auto id = insert_job({.state = "available"});
  const auto r = daapctl({"jobs", "cancel", std::to_string(id)});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("cancelled"));
  EXPECT_EQ(state_of(id), "cancelled");
  EXPECT_TRUE(
      value<bool>("SELECT finished_at IS NOT NULL FROM daap.jobs WHERE id = $1", pqxx::params{id}));
}

TEST_F(JobsCommandTest, CancelOfARunningJobRequestsCancellation) {
  const auto id = insert_job({.state = "running"});
  const auto r = daapctl({"jobs", "cancel", std::to_string(id)});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("cancellation requested"));
  EXPECT_EQ(state_of(id), "running");
  EXPECT_TRUE(value<bool>("SELECT cancel_requested_at IS NOT NULL FROM daap.jobs WHERE id = $1",
                          pqxx::params{id}));
}

TEST_F(JobsCommandTest, CancelOfAFinishedJobExitsOneNamingTheState) {
  const auto id = insert_job({.state = "failed"});
  const auto r = daapctl({"jobs", "cancel", std::to_string(id)});
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("failed"));
  EXPECT_THAT(r.out, Not(HasSubstr("cancelled")));
  EXPECT_EQ(state_of(id), "failed");
}

TEST_F(JobsCommandTest, CancelOfAnUnknownIdExitsOneNamingIt) {
  const auto r = daapctl({"jobs", "cancel", "31337"});
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("31337"));
}

TEST_F(JobsCommandTest, AnyRowThatExistsCanBeListedShownCancelledAndRetried) {
  // Numbers PostgreSQL's jsonb holds but a double cannot, in every JSON column.
  const auto id = insert_job({});
  exec(R"(UPDATE daap.jobs SET payload = '{"n": 1e400}', errors = '[{"x": 1e400}]',
          result = '{"r": -1e400}' WHERE id = $1)",
       pqxx::params{id});
  const auto listed = daapctl({"jobs", "list", "--output", "json"});
  EXPECT_EQ(listed.status, 0) << listed.err;
  // PostgreSQL prints the number in full: shown as the column's text.
  EXPECT_THAT(listed.out, HasSubstr("100000000000000000000"));
  const auto table = daapctl({"jobs", "list"});
  EXPECT_EQ(table.status, 0) << table.err;
  const auto shown = daapctl({"jobs", "show", std::to_string(id)});
  EXPECT_EQ(shown.status, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("100000000000000000000"));
  const auto cancelled = daapctl({"jobs", "cancel", std::to_string(id)});
  EXPECT_EQ(cancelled.status, 0) << cancelled.err;
  EXPECT_EQ(state_of(id), "cancelled");
  const auto retried = daapctl({"jobs", "retry", std::to_string(id)});
  EXPECT_EQ(retried.status, 0) << retried.err;
  EXPECT_EQ(state_of(id), "available");
}

// Bulk actions: ids or a filter, dry runs, confirmation, batches (queue/bulk.h).

TEST_F(JobsCommandTest, ListPagesWithTheCursorItPrintsUntilTheLastPage) {
  std::vector<std::int64_t> failed;
  for (int i = 0; i < 5; ++i) failed.push_back(insert_job({.state = "failed"}));
  insert_job({.state = "succeeded"});
  std::vector<std::int64_t> seen;
  std::optional<std::string> cursor;
  int pages = 0;
  do {
    std::vector<std::string> args = {"jobs", "list", "--state", "failed", "--limit", "2",
                                     "--output", "json"};
    if (cursor) args.insert(args.end(), {"--cursor", *cursor});
    const auto r = daapctl(args);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    for (const auto& job : doc.at("items")) seen.push_back(job.at("id").get<std::int64_t>());
    cursor = doc.at("next_cursor").is_null()
                 ? std::nullopt
                 : std::optional<std::string>(doc["next_cursor"].get<std::string>());
    ++pages;
  } while (cursor && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(seen, ElementsAre(failed[4], failed[3], failed[2], failed[1], failed[0]));
}

TEST_F(JobsCommandTest, RetryByFilterTakesEveryMatchingJobInBatchesOfAThousand) {
  exec("INSERT INTO daap.jobs (kind, queue, state, attempt, finished_at, last_error) "
       "SELECT 'database.provision', 'provisioning', 'failed', 25, now(), 'timeout ' || g "
       "FROM generate_series(1, 2500) g");
  insert_job({.kind = "database.provision", .state = "succeeded"});
  insert_job({.kind = "noop", .state = "failed"});
  const auto r = daapctl({"jobs", "retry", "--state", "failed", "--kind", "database.provision",
                          "--yes"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("1000/2500"));
  EXPECT_THAT(r.err, HasSubstr("2000/2500"));
  EXPECT_THAT(r.out, HasSubstr("2500 done, 0 skipped"));
  EXPECT_EQ(value<long>("SELECT count(*) FROM daap.jobs WHERE state = 'available' AND "
                        "attempt = 0 AND kind = 'database.provision'"),
            2500);
  EXPECT_EQ(value<long>("SELECT count(*) FROM daap.jobs WHERE state = 'failed'"), 1)
      << "the noop job did not match";
}

TEST_F(JobsCommandTest, AFilteredActionWithoutATerminalOrYesIsRefusedAndChangesNothing) {
  const auto id = insert_job({.state = "failed"});
  const auto r = daapctl({"jobs", "retry", "--state", "failed"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("would take 1 job(s) and no terminal can confirm it"));
  EXPECT_THAT(r.err, HasSubstr("--yes"));
  EXPECT_EQ(state_of(id), "failed");
}

TEST_F(JobsCommandTest, DryRunCountsAndShowsASampleAndChangesNothing) {
  for (int i = 0; i < 12; ++i) insert_job({.state = "available", .queue = "q"});
  const auto r = daapctl({"jobs", "cancel", "--queue", "q", "--dry-run", "--output", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc.at("count"), 12);
  EXPECT_EQ(doc.at("sample").size(), 10U);
  EXPECT_EQ(doc.at("dry_run"), true);
  EXPECT_EQ(value<long>("SELECT count(*) FROM daap.jobs WHERE state = 'available'"), 12);
  const auto text = daapctl({"jobs", "cancel", "--queue", "q", "--dry-run"});
  EXPECT_THAT(text.out, HasSubstr("cancel would take 12 job(s)"));
  EXPECT_THAT(text.out, HasSubstr("nothing was changed"));
}

TEST_F(JobsCommandTest, BulkJsonReportsEveryIdWithWhatWasDoneOrWhyNot) {
  const auto failed = insert_job({.state = "failed"});
  const auto succeeded = insert_job({.state = "succeeded"});
  const auto r = daapctl({"jobs", "retry", std::to_string(succeeded), std::to_string(failed),
                          "999999", "--output", "json"});
  EXPECT_EQ(r.status, 1) << "some were not retried";
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc.at("done"), 1);
  EXPECT_EQ(doc.at("skipped"), 2);
  ASSERT_EQ(doc.at("items").size(), 3U);
  EXPECT_EQ(doc["items"][0].at("id"), failed);
  EXPECT_EQ(doc["items"][0].at("old_state"), "failed");
  EXPECT_EQ(doc["items"][0].at("new_state"), "available");
  EXPECT_TRUE(doc["items"][0].at("reason").is_null());
  EXPECT_THAT(doc["items"][1].at("reason").get<std::string>(), HasSubstr("it is succeeded"));
  EXPECT_EQ(doc["items"][2].at("reason"), "no such job");
}

TEST_F(JobsCommandTest, FiltersByDatabaseTimeAndErrorText) {
  const auto record = value<std::string>(
      "INSERT INTO daap.databases (name, owner_team, status) VALUES ('orders', 'payments', "
      "'error') RETURNING id");
  const auto mine = insert_job({.state = "failed", .minutes_ago = 5});
  const auto old = insert_job({.state = "failed", .minutes_ago = 180});
  const auto other = insert_job({.state = "failed", .minutes_ago = 5});
  exec("UPDATE daap.jobs SET database_id = $1::uuid, last_error = 'Connection refused' "
       "WHERE id IN ($2, $3)",
       pqxx::params{record, mine, old});
  const auto r = daapctl({"jobs", "delete", "--database", "orders", "--since", "1h",
                          "--error-contains", "REFUSED", "--yes"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(value<long>("SELECT count(*) FROM daap.jobs WHERE id = $1", pqxx::params{mine}), 0);
  EXPECT_EQ(state_of(old), "failed") << "finished before --since";
  EXPECT_EQ(state_of(other), "failed") << "another database";
  const auto bad = daapctl({"jobs", "delete", "--since", "soon", "--yes"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_THAT(bad.err, HasSubstr("--since must be"));
}

TEST_F(JobsCommandTest, RunNowMakesAScheduledJobDue) {
  const auto id = insert_job({});
  exec("UPDATE daap.jobs SET run_at = now() + interval '1 day' WHERE id = $1", pqxx::params{id});
  const auto r = daapctl({"jobs", "run-now", std::to_string(id)});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(value<bool>("SELECT run_at <= now() FROM daap.jobs WHERE id = $1",
                          pqxx::params{id}));
}

TEST_F(JobsCommandTest, IdsAndAFilterTogetherOrNeitherAreUsageErrors) {
  EXPECT_EQ(daapctl({"jobs", "retry", "1", "--state", "failed"}).status, 2);
  const auto neither = daapctl({"jobs", "retry", "--yes"});
  EXPECT_EQ(neither.status, 2);
  EXPECT_THAT(neither.err, HasSubstr("needs job ids or a filter"));
}

}  // namespace
}  // namespace daap::test
