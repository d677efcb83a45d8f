// The claim on tables nobody analysed and rows nobody should have written: its plan walks the
// claim index in order whatever the statistics say (so do the rescuer's, the pruner's and the
// completion's), and no row's content can make a claim fail for everyone.
#include <regex>
#include <thread>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "migrate/migrator.h"
#include "queue/admin.h"
#include "queue/bulk.h"
#include "queue/enqueue.h"
#include "queue/executor_sql.h"
#include "queue/job_counts.h"
#include "queue/maintenance.h"
#include "queue/transaction_settings.h"
#include "tests/support/test_database.h"

namespace daap::queue {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kLease = 30s;

// The plans of every statement `conn` runs, nested ones included (auto_explain, sent to the
// client as LOG notices), with actual row counts and buffers.
class PlanCapture {
 public:
  explicit PlanCapture(pqxx::connection& conn) : conn_(conn) {
    conn_.set_notice_handler([this](pqxx::zview text) noexcept {
      try {
        plans_ += std::string(text);
      } catch (...) {
      }
    });
    pqxx::nontransaction tx(conn_);
    tx.exec("LOAD 'auto_explain'");
    tx.exec("SET auto_explain.log_min_duration = 0");
    tx.exec("SET auto_explain.log_nested_statements = on");
    tx.exec("SET auto_explain.log_analyze = on");
    tx.exec("SET auto_explain.log_buffers = on");
    tx.exec("SET auto_explain.log_timing = off");
    tx.exec("SET client_min_messages = log");
  }
  ~PlanCapture() { conn_.set_notice_handler({}); }
  const std::string& plans() const { return plans_; }
  void clear() { plans_.clear(); }

  // The actual rows and shared buffers of the first plan node scanning `index`.
  struct Node {
    long rows = -1;
    long buffers = -1;
  };
  Node index_scan(const std::string& index) const {
    Node node;
    const auto at = plans_.find("Index Scan using " + index);
    if (at == std::string::npos) return node;
    std::smatch m;
    const std::string rest = plans_.substr(at);
    if (std::regex_search(rest, m, std::regex(R"(actual rows=(\d+))"))) node.rows = std::stol(m[1]);
    if (std::regex_search(rest, m, std::regex(R"(Buffers: shared hit=(\d+)(?: read=(\d+))?)"))) {
      node.buffers = std::stol(m[1]) + (m[2].matched ? std::stol(m[2]) : 0);
    }
    return node;
  }

 private:
  pqxx::connection& conn_;
  std::string plans_;
};

class ClaimTest : public ::testing::Test {
 protected:
  daap::test::FreshDatabase db;
  pqxx::connection conn{db.url()};

  void run(const std::string& sql) {
    pqxx::work tx(conn);
    tx.exec(sql);
    tx.commit();
  }
  template <typename T = std::string>
  T value(const std::string& sql) {
    pqxx::work tx(conn);
    auto v = tx.query_value<T>(sql);
    tx.commit();
    return v;
  }
  // `n` noop jobs in one statement, as a burst from an upstream service would come.
  void fill(int n, const std::string& queue = "default") {
    run("INSERT INTO daap.jobs (kind, queue) SELECT 'noop', '" + queue +
        "' FROM generate_series(1, " + std::to_string(n) + ")");
  }
};

TEST_F(ClaimTest, AFreshlyFilledTableIsClaimedByAnOrderedIndexScanThatStopsAtItsLimit) {
  fill(50000);
  ASSERT_EQ(value<double>("SELECT reltuples FROM pg_class WHERE oid = 'daap.jobs'::regclass"), -1)
      << "the table must never have been analysed for this test to mean anything";
  PlanCapture capture(conn);
  EXPECT_EQ(claim(conn, "w", {"default"}, 100, kLease).size(), 100U);
  EXPECT_THAT(capture.plans(), HasSubstr("Index Scan using jobs_claim_idx"));
  EXPECT_THAT(capture.plans(), Not(HasSubstr("Seq Scan on jobs")));
  EXPECT_THAT(capture.plans(), Not(HasSubstr("Bitmap Heap Scan on jobs")));
  const auto scan = capture.index_scan("jobs_claim_idx");
  EXPECT_EQ(scan.rows, 100) << capture.plans();
  EXPECT_LT(scan.buffers, 200) << "a claim of 100 reads O(100) rows\n" << capture.plans();
}

TEST_F(ClaimTest, StatisticsOfAnEmptyTableDoNotSpoilTheClaimAfterABulkLoad) {
  run("ANALYZE daap.jobs");  // the table is empty: the planner now believes it stays small
  fill(50000);
  PlanCapture capture(conn);
  EXPECT_EQ(claim(conn, "w", {"default"}, 100, kLease).size(), 100U);
  const auto scan = capture.index_scan("jobs_claim_idx");
  EXPECT_EQ(scan.rows, 100) << capture.plans();
  EXPECT_LT(scan.buffers, 200) << capture.plans();
}

TEST_F(ClaimTest, AQueueWithFewJobsIsClaimedWithoutReadingTheOtherQueuesJobs) {
  fill(50000, "bulk");
  fill(3, "rare");
  PlanCapture capture(conn);
  EXPECT_EQ(claim(conn, "w", {"rare"}, 100, kLease).size(), 3U);
  const auto scan = capture.index_scan("jobs_claim_idx");
  EXPECT_EQ(scan.rows, 3) << capture.plans();
  EXPECT_LT(scan.buffers, 20) << capture.plans();
}

TEST_F(ClaimTest, ClaimsFromEachQueueInTheOrderGivenUpToTheLimit) {
  fill(3, "a");
  fill(3, "b");
  const auto jobs = claim(conn, "w", {"b", "a"}, 4, kLease);
  ASSERT_EQ(jobs.size(), 4U);
  EXPECT_EQ(jobs[0].queue, "b");
  EXPECT_EQ(jobs[2].queue, "b");
  EXPECT_EQ(jobs[3].queue, "a");
}

TEST_F(ClaimTest, APositionSkipsTheIndexEntriesOfJobsClaimedWhileASnapshotIsHeld) {
  fill(20000);
  // A long report (or an idle-in-transaction client) holds the xmin horizon back: the claimed
  // jobs' old index entries cannot be removed, and a claim from the start walks them all.
  pqxx::connection reader(db.url());
  pqxx::transaction<pqxx::isolation_level::repeatable_read> snapshot(reader, "long report");
  snapshot.query_value<long>("SELECT count(*) FROM daap.jobs");

  ClaimRequest request{"w", {"default"}, 1000, kLease, {}};
  std::optional<ClaimPosition> position;
  for (int i = 0; i < 10; ++i) {
    const auto jobs = claim(conn, request);
    ASSERT_EQ(jobs.size(), 1000U);
    position = jobs.back().position();
  }
  PlanCapture capture(conn);
  request.limit = 100;
  request.after = {position};
  ASSERT_EQ(claim(conn, request).size(), 100U);
  const auto from_position = capture.index_scan("jobs_claim_idx");
  capture.clear();
  request.after.clear();
  ASSERT_EQ(claim(conn, request).size(), 100U);
  const auto from_start = capture.index_scan("jobs_claim_idx");
  EXPECT_LT(from_position.buffers * 5, from_start.buffers)
      << "from the position:\n" << from_position.buffers << "\nfrom the start:\n" << capture.plans();
  snapshot.abort();
}

TEST_F(ClaimTest, APositionNeverSkipsAJobThatSortsAfterIt) {
  fill(10);
  const auto first = claim(conn, "w", {"default"}, 5, kLease);
  ASSERT_EQ(first.size(), 5U);
  ClaimRequest request{"w", {"default"}, 100, kLease, {first.back().position()}};
  EXPECT_EQ(claim(conn, request).size(), 5U);
}

TEST_F(ClaimTest, RescueAndPruneWalkTheirIndexesOnAFreshTable) {
  run("INSERT INTO daap.jobs (kind, state, attempt, locked_by, started_at, lease_expires_at) "
      "SELECT 'noop', 'running', 1, 'gone', now(), now() - interval '1 minute' "
      "FROM generate_series(1, 30000)");
  run("INSERT INTO daap.jobs (kind, state, finished_at) "
      "SELECT 'noop', 'succeeded', now() - interval '2 days' FROM generate_series(1, 30000)");
  PlanCapture capture(conn);
  pqxx::work tx(conn);
  prefer_index_plans(tx);
  EXPECT_EQ(rescue_expired_leases(tx, 100).made_available, 100);
  EXPECT_EQ(capture.index_scan("jobs_lease_expires_at_idx").rows, 100) << capture.plans();
  capture.clear();
  EXPECT_EQ(prune_finished_jobs(tx, 24h, 24h * 7, 100), 100);
  EXPECT_EQ(capture.index_scan("jobs_finished_at_idx").rows, 100) << capture.plans();
  EXPECT_THAT(capture.plans(), Not(HasSubstr("Seq Scan on jobs")));
}

TEST_F(ClaimTest, CompletionsAndHeartbeatsFindTheirJobsByPrimaryKeyOnAFreshTable) {
  fill(30000);
  const auto jobs = claim(conn, "w", {"default"}, 200, kLease);
  run("INSERT INTO daap.jobs (kind, state, attempt, locked_by, started_at, lease_expires_at) "
      "SELECT 'noop', 'running', 1, 'other', now(), now() + interval '1 minute' "
      "FROM generate_series(1, 30000)");
  std::vector<JobLease> leases;
  std::vector<nlohmann::json> results;
  for (const auto& job : jobs) {
    leases.push_back(job.lease());
    results.push_back(nlohmann::json::object());
  }
  PlanCapture capture(conn);
  {
    pqxx::work tx(conn);
    EXPECT_TRUE(heartbeat(tx, leases, kLease).lost.empty());
    EXPECT_EQ(complete_many(tx, leases, results).size(), leases.size());
    tx.commit();
  }
  EXPECT_THAT(capture.plans(), HasSubstr("Index Scan using jobs_pkey"));
  EXPECT_THAT(capture.plans(), Not(HasSubstr("Seq Scan on jobs")));
  EXPECT_THAT(capture.plans(), Not(HasSubstr("Bitmap Heap Scan on jobs")));
}

TEST_F(ClaimTest, ARowWhosePayloadFitsNoDoubleIsClaimedAsUnreadableAndTheOthersAsUsual) {
  run(R"(INSERT INTO daap.jobs (kind, payload) VALUES ('noop', '{"n": 1}'),
         ('noop', '{"n": 1e400}'), ('noop', '{"n": 3}'))");
  const auto jobs = claim(conn, "w", {"default"}, 10, kLease);
  ASSERT_EQ(jobs.size(), 3U);
  EXPECT_FALSE(jobs[0].unreadable.has_value());
  EXPECT_EQ(jobs[0].payload, (nlohmann::json{{"n", 1}}));
  ASSERT_TRUE(jobs[1].unreadable.has_value());
  EXPECT_THAT(*jobs[1].unreadable, HasSubstr("cannot be read"));
  EXPECT_THAT(*jobs[1].unreadable, HasSubstr("number overflow"));
  EXPECT_EQ(jobs[1].attempt, 1) << "its lease is readable, so it can be failed";
  EXPECT_FALSE(jobs[2].unreadable.has_value());
}

// SQLSTATE and constraint name of an INSERT the table refuses, or "" when it takes it.
std::string refusal(pqxx::connection& conn, const std::string& sql) {
  try {
    pqxx::work tx(conn);
    tx.exec(sql);
    tx.commit();
    return "";
  } catch (const pqxx::sql_error& e) {
    return e.sqlstate() + " " + e.what();
  }
}

TEST_F(ClaimTest, TheTableRefusesTimesThatAreNotFinite) {
  EXPECT_THAT(refusal(conn, "INSERT INTO daap.jobs (kind, run_at) VALUES ('noop', '-infinity')"),
              HasSubstr("jobs_run_at_finite"));
  EXPECT_THAT(refusal(conn, "INSERT INTO daap.jobs (kind, created_at) VALUES ('noop', 'infinity')"),
              HasSubstr("jobs_created_at_finite"));
  EXPECT_THAT(refusal(conn, "SELECT daap.enqueue('noop', run_at => '-infinity')"),
              HasSubstr("daap.enqueue: run_at must be a finite time, got -infinity"));
  EXPECT_THAT(refusal(conn, R"(SELECT daap.enqueue_many('[{"kind": "noop", "run_at": "infinity"}]'))"),
              HasSubstr("daap.enqueue_many: jobs[0].run_at must be a finite time"));
  EXPECT_EQ(value<long>("SELECT count(*) FROM daap.jobs"), 0);
}

TEST_F(ClaimTest, TheTableRefusesAWaitingJobWithoutAnAttemptLeft) {
  EXPECT_THAT(refusal(conn, "INSERT INTO daap.jobs (kind, attempt, max_attempts) "
                            "VALUES ('noop', 5, 5)"),
              HasSubstr("jobs_waiting_has_attempts_left"));
  EXPECT_THAT(refusal(conn, "INSERT INTO daap.jobs (kind, attempt, max_attempts) "
                            "VALUES ('noop', 2147483647, 2147483647)"),
              HasSubstr("jobs_waiting_has_attempts_left"));
  EXPECT_EQ(refusal(conn, "INSERT INTO daap.jobs (kind, attempt, max_attempts) "
                          "VALUES ('noop', 4, 5)"),
            "");
}

TEST_F(ClaimTest, AQuietTransactionHoldingJobRowsEndsSoThatTheRowsCanBeRescued) {
  run("INSERT INTO daap.jobs (kind, state, attempt, locked_by, started_at, lease_expires_at) "
      "VALUES ('noop', 'running', 1, 'frozen', now(), now() - interval '1 minute')");
  // A worker paused between its heartbeat's UPDATE and its COMMIT: the row stays locked, and
  // the rescuer (SKIP LOCKED) passes it by, for as long as the transaction lives.
  pqxx::connection frozen(db.url());
  pqxx::work heartbeat(frozen);
  limit_idle_time(heartbeat, 1s);
  heartbeat.exec("UPDATE daap.jobs SET locked_by = locked_by");
  {
    pqxx::work tx(conn);
    EXPECT_EQ(rescue_expired_leases(tx).made_available, 0) << "locked by the paused one";
  }
  int rescued = 0;
  for (int i = 0; i < 200 && rescued == 0; ++i) {
    std::this_thread::sleep_for(50ms);  // polls until the server ended the quiet transaction
    pqxx::work tx(conn);
    rescued = rescue_expired_leases(tx).made_available;
    tx.commit();
  }
  EXPECT_EQ(rescued, 1);
}

// jobs list --state failed on a table of mostly other states used to walk the primary key
// backwards past all of them; bulk selections walk ids forwards the same way.
TEST_F(ClaimTest, AListOrSelectionOfOneStateReadsOnlyItsPageWhateverTheOtherStatesHold) {
  // The failed jobs are the oldest: a walk down the primary key would pass every other one.
  run("INSERT INTO daap.jobs (kind, state, attempt, finished_at) "
      "SELECT 'noop', 'failed', 1, now() FROM generate_series(1, 100)");
  run("INSERT INTO daap.jobs (kind, state, attempt, finished_at) "
      "SELECT 'noop', 'succeeded', 1, now() FROM generate_series(1, 100000)");
  for (const bool analysed : {false, true}) {
    if (analysed) run("ANALYZE daap.jobs");
    PlanCapture capture(conn);
    {
      pqxx::work tx(conn);
      EXPECT_EQ(list_jobs(tx, JobFilter{.state = JobState::failed, .limit = 51}).size(), 51U);
      EXPECT_EQ(list_jobs(tx, JobFilter{.state = JobState::failed, .limit = 51, .before = 60})
                    .size(),
                51U);
    }
    std::smatch m;
    const std::string plans = capture.plans();
    ASSERT_TRUE(std::regex_search(
        plans, m, std::regex(R"(Index Scan Backward using jobs_state_id_idx[^\n]*actual rows=(\d+))")))
        << "analysed: " << analysed << "\n" << plans;
    EXPECT_LE(std::stol(m[1]), 52) << plans;
    EXPECT_THAT(plans, Not(HasSubstr("jobs_pkey"))) << plans;
    EXPECT_THAT(plans, Not(HasSubstr("Seq Scan on jobs"))) << plans;

    capture.clear();
    {
      pqxx::work tx(conn);
      EXPECT_EQ(select_jobs(tx, JobSelection{.state = JobState::failed}, 0, 1000000, 40).size(),
                40U);
    }
    const auto forward = capture.index_scan("jobs_state_id_idx");
    EXPECT_EQ(forward.rows, 40) << capture.plans();
    EXPECT_LT(forward.buffers, 100) << capture.plans();
  }
}

// /metrics counts on the maintenance leader: the per-queue part walks the partial indexes of
// the live jobs, never the finished rows that are most of the table.
TEST_F(ClaimTest, TheMetricsCountsReadTheLiveJobsThroughTheirIndexesWhateverTheFinishedRowsHold) {
  run("ANALYZE daap.jobs");  // empty: until the next ANALYZE the planner believes it is tiny
  run("INSERT INTO daap.jobs (kind, queue, state, attempt, finished_at) "
      "SELECT 'noop', 'q1', 'succeeded', 1, now() FROM generate_series(1, 50000)");
  run("INSERT INTO daap.jobs (kind, queue, state, attempt, finished_at) "
      "SELECT 'noop', 'q2', 'failed', 1, now() FROM generate_series(1, 3)");
  run("INSERT INTO daap.jobs (kind, queue, run_at) "
      "SELECT 'noop', 'q1', now() - interval '10 minutes' FROM generate_series(1, 30)");
  run("INSERT INTO daap.jobs (kind, queue, run_at) "
      "SELECT 'noop', 'q1', now() + interval '1 hour' FROM generate_series(1, 5)");
  run("INSERT INTO daap.jobs (kind, queue, state, attempt, locked_by, started_at, "
      "lease_expires_at) SELECT 'noop', 'q2', 'running', 1, 'w', now(), now() + interval '1 "
      "minute' FROM generate_series(1, 7)");
  for (const bool analysed : {false, true}) {
    if (analysed) run("ANALYZE daap.jobs");  // else the statistics of the empty table
    PlanCapture capture(conn);
    JobCounts counts;
    {
      pqxx::read_transaction tx(conn);
      counts = count_jobs(tx);
    }
    ASSERT_EQ(counts.counts.size(), 3U) << "analysed: " << analysed;
    EXPECT_EQ(counts.counts[0].queue + "/" + counts.counts[0].state + "=" +
                  std::to_string(counts.counts[0].count),
              "q1/due=30");
    EXPECT_EQ(counts.counts[1].queue + "/" + counts.counts[1].state + "=" +
                  std::to_string(counts.counts[1].count),
              "q1/scheduled=5");
    EXPECT_EQ(counts.counts[2].queue + "/" + counts.counts[2].state + "=" +
                  std::to_string(counts.counts[2].count),
              "q2/running=7");
    ASSERT_EQ(counts.oldest_due.size(), 2U);
    EXPECT_GE(counts.oldest_due[0].oldest_due_seconds, 600);
    EXPECT_EQ(counts.oldest_due[1].oldest_due_seconds, 0);
    EXPECT_EQ(counts.finished,
              (std::vector<std::pair<std::string, std::int64_t>>{
                  {"succeeded", 50000}, {"failed", 3}, {"cancelled", 0}}));

    const std::string plans = capture.plans();
    EXPECT_THAT(plans, Not(HasSubstr("Seq Scan on jobs"))) << plans;
    EXPECT_THAT(plans, Not(HasSubstr("Bitmap Heap Scan on jobs"))) << plans;
    // Every scan of the per-queue statement reads no more than the 35 available jobs (or the 7
    // running ones), whichever index the statistics favour; the finished states are counted
    // from the index alone.
    const auto finished_at = plans.find("Query Text: -- Finished jobs");
    ASSERT_NE(finished_at, std::string::npos) << plans;
    const std::string live = plans.substr(0, finished_at);
    const std::regex scan(R"(Scan[^\n]* on jobs[^\n]*actual rows=(\d+))");
    int scans = 0;
    for (auto it = std::sregex_iterator(live.begin(), live.end(), scan);
         it != std::sregex_iterator(); ++it, ++scans) {
      EXPECT_LE(std::stol((*it)[1]), 35) << live;
    }
    EXPECT_EQ(scans, 2) << live;
    EXPECT_THAT(plans.substr(finished_at), HasSubstr("Index Only Scan using jobs_state_id_idx"))
        << plans;
  }
}

TEST(Migration009, FailsWaitingJobsItCannotScheduleAndKeepsEveryRow) {
  daap::test::FreshDatabase db(daap::test::FreshDatabase::Contents::empty);
  pqxx::connection conn(db.url());
  migrate::Migrator migrator(conn, migrate::load_migrations(DAAP_MIGRATIONS_DIR), "/" + db.name());
  migrator.go_to(8);
  {
    pqxx::work tx(conn);
    tx.exec("INSERT INTO daap.jobs (id, kind, run_at) OVERRIDING SYSTEM VALUE "
            "VALUES (1, 'noop', '-infinity')");
    tx.exec("INSERT INTO daap.jobs (id, kind, attempt, max_attempts) OVERRIDING SYSTEM VALUE "
            "VALUES (2, 'noop', 3, 3)");
    tx.exec("INSERT INTO daap.jobs (id, kind, created_at, state, finished_at) "
            "OVERRIDING SYSTEM VALUE VALUES (3, 'noop', 'infinity', 'succeeded', now())");
    tx.exec("INSERT INTO daap.jobs (id, kind) OVERRIDING SYSTEM VALUE VALUES (4, 'noop')");
    tx.commit();
  }
  migrator.up();
  pqxx::work tx(conn);
  const auto row = [&](int id) {
    return tx.query1<std::string, std::string>(
        "SELECT state, coalesce(last_error, '') FROM daap.jobs WHERE id = $1", pqxx::params{id});
  };
  EXPECT_EQ(std::get<0>(row(1)), "failed");
  EXPECT_THAT(std::get<1>(row(1)), HasSubstr("run_at -infinity is not a finite time"));
  EXPECT_EQ(std::get<0>(row(2)), "failed");
  EXPECT_THAT(std::get<1>(row(2)), HasSubstr("no attempt left"));
  EXPECT_EQ(std::get<0>(row(3)), "succeeded");
  EXPECT_EQ(std::get<0>(row(4)), "available");
  EXPECT_EQ(tx.query_value<long>("SELECT count(*) FROM daap.jobs WHERE NOT isfinite(created_at)"),
            0);
}

}  // namespace
}  // namespace daap::queue

namespace daap::queue {
namespace {

// Histories written before overall_attempt existed, or by migration 009, are counted by
// migration 029 as the live writers count; its down puts every history back as it was.
TEST(Migration029, CountsOverallAttemptsInOldHistoriesAndItsDownRestoresThem) {
  daap::test::FreshDatabase db(daap::test::FreshDatabase::Contents::empty);
  pqxx::connection conn(db.url());
  migrate::Migrator migrator(conn, migrate::load_migrations(DAAP_MIGRATIONS_DIR), "/" + db.name());
  migrator.go_to(28);
  const std::vector<std::string> histories = {
      // Retried before overall_attempt existed: attempt 1 twice.
      R"([{"attempt": 1, "error": "a"}, {"attempt": 2, "error": "b"}, {"attempt": 1, "error": "c"}])",
      // The same, then a failure that counted from the uncounted entries (2, a repeat).
      R"([{"attempt": 1, "error": "a"}, {"attempt": 2, "error": "b"}, {"attempt": 1, "error": "c"},)"
      R"( {"attempt": 2, "error": "d", "overall_attempt": 2}])",
      // Migration 009's refusal after the third attempt: not an attempt of its own.
      R"([{"attempt": 3, "error": "boom"},)"
      R"( {"attempt": 3, "error": "no attempt left: attempt 3 of max_attempts 3"}])",
      // Counted already: left alone.
      R"([{"attempt": 1, "error": "a", "overall_attempt": 1}])",
  };
  std::vector<std::int64_t> ids;
  {
    pqxx::work tx(conn);
    for (const auto& h : histories) {
      ids.push_back(tx.query_value<std::int64_t>(
          "INSERT INTO daap.jobs (kind, state, attempt, finished_at, errors) "
          "VALUES ('noop', 'failed', 1, now(), $1::jsonb) RETURNING id",
          pqxx::params{h}));
    }
    tx.commit();
  }
  const auto read = [&](std::int64_t id, const std::string& expression) {
    pqxx::read_transaction tx(conn);
    return tx.query_value<std::string>("SELECT (" + expression + ")::text FROM daap.jobs "
                                       "WHERE id = $1",
                                       pqxx::params{id});
  };
  const auto overall = [&](std::int64_t id) {
    return read(id, "jsonb_path_query_array(errors, '$[*].overall_attempt')");
  };
  migrator.go_to(29);
  EXPECT_EQ(overall(ids[0]), "[1, 2, 3]");
  EXPECT_EQ(overall(ids[1]), "[1, 2, 3, 4]");
  EXPECT_EQ(read(ids[1], "errors -> 3 -> 'overall_attempt_before_029'"), "2");
  EXPECT_EQ(overall(ids[2]), "[3, 3]");
  EXPECT_EQ(read(ids[3], "errors"), R"([{"error": "a", "attempt": 1, "overall_attempt": 1}])");
  migrator.go_to(28);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(read(ids[i], "errors = $$" + histories[i] + "$$::jsonb"), "true")
        << read(ids[i], "errors");
  }
}

}  // namespace
}  // namespace daap::queue
