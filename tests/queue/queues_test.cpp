// Queues an admin steers (daap.queues, migrations 017-020, through queue/queues.h): a queue's row
// appears with its first job, a paused queue is not claimed, a limited one never runs more than
// its limit, claims in other queues are untouched.
#include "queue/queues.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "queue/enqueue.h"
#include "queue/executor_sql.h"
#include "tests/support/eventually.h"
#include "tests/support/test_database.h"

namespace daap::queue {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class QueuesTest : public ::testing::Test {
 protected:
  daap::test::FreshDatabase db;
  pqxx::connection conn{db.url()};

  void run(const std::string& sql) {
    pqxx::work tx(conn);
    tx.exec(sql);
    tx.commit();
  }
  template <typename T = long>
  T value(const std::string& sql) {
    pqxx::work tx(conn);
    auto v = tx.query_value<T>(sql);
    tx.commit();
    return v;
  }
  void fill(int n, const std::string& queue) {
    run("INSERT INTO daap.jobs (kind, queue) SELECT 'noop', '" + queue +
        "' FROM generate_series(1, " + std::to_string(n) + ")");
  }
  template <typename F>
  QueueControls control(F&& f) {
    pqxx::work tx(conn);
    auto c = f(tx);
    tx.commit();
    return c;
  }
  std::size_t claim_n(pqxx::connection& c, const std::string& queue, int n) {
    return claim(c, "w", {queue}, n, 30s).size();
  }
};

TEST_F(QueuesTest, AQueueGetsItsRowWhenAJobFirstNamesItHoweverTheJobIsInserted) {
  fill(3, "plain");
  {
    pqxx::work tx(conn);
    enqueue(tx, NewJob{.kind = "noop", .queue = "via-enqueue"});
    tx.exec("SELECT daap.enqueue_many('[{\"kind\": \"noop\", \"queue\": \"via-many\"}]')");
    tx.commit();
  }
  fill(1, "plain");
  pqxx::work tx(conn);
  std::vector<std::string> names;
  for (const auto& row : tx.exec("SELECT name FROM daap.queues ORDER BY name")) {
    names.push_back(row[0].as<std::string>());
  }
  EXPECT_THAT(names, ElementsAre("plain", "via-enqueue", "via-many"));
}

TEST_F(QueuesTest, APausedQueueIsNotClaimedWhileOthersAreAndResumeWakesWorkers) {
  fill(5, "a");
  fill(5, "b");
  const auto paused = control([](auto& tx) { return pause_queue(tx, "a"); });
  EXPECT_TRUE(paused.paused_at);
  EXPECT_EQ(claim(conn, "w", {"a", "b"}, 10, 30s).size(), 5U) << "only b's jobs";
  EXPECT_EQ(value("SELECT count(*) FROM daap.jobs WHERE queue = 'a' AND state = 'available'"), 5);

  pqxx::connection listener(db.url());
  int woken = 0;
  listener.listen("daap_jobs", [&](const pqxx::notification&) { ++woken; });
  const auto resumed = control([](auto& tx) { return resume_queue(tx, "a"); });
  EXPECT_FALSE(resumed.paused_at);
  EXPECT_TRUE(daap::test::eventually(
      [&] {
        listener.get_notifs();
        return woken > 0;
      },
      10s));
  EXPECT_EQ(claim_n(conn, "a", 10), 5U);
}

TEST_F(QueuesTest, AQueueCanBePausedBeforeItsFirstJob) {
  control([](auto& tx) { return pause_queue(tx, "later"); });
  fill(2, "later");
  EXPECT_EQ(claim_n(conn, "later", 10), 0U);
}

TEST_F(QueuesTest, ALimitedQueueNeverHasMoreRunningJobsThanItsLimit) {
  fill(10, "slow");
  control([](auto& tx) { return set_queue_limit(tx, "slow", 3); });
  EXPECT_EQ(claim_n(conn, "slow", 10), 3U);
  EXPECT_EQ(claim_n(conn, "slow", 10), 0U) << "three are running";
  run("UPDATE daap.jobs SET state = 'succeeded', finished_at = now(), lease_expires_at = NULL "
      "WHERE id = (SELECT min(id) FROM daap.jobs WHERE state = 'running')");
  EXPECT_EQ(claim_n(conn, "slow", 10), 1U) << "one finished: room for one";
  control([](auto& tx) { return set_queue_limit(tx, "slow", std::nullopt); });
  EXPECT_EQ(claim_n(conn, "slow", 10), 6U) << "no limit";
}

TEST_F(QueuesTest, AClaimThatFindsAnotherClaimOnALimitedQueueTakesNothingRatherThanTooMuch) {
  fill(10, "slow");
  control([](auto& tx) { return set_queue_limit(tx, "slow", 2); });
  pqxx::connection other(db.url());
  pqxx::work first(other);
  // The claim of executor_sql.cpp without its commit: it holds the queue's row.
  EXPECT_EQ(first.exec("SELECT * FROM daap.claim_jobs('w1', ARRAY['slow'], 2, 30000)").size(), 2U);
  EXPECT_EQ(claim_n(conn, "slow", 10), 0U);
  first.commit();
  EXPECT_EQ(claim_n(conn, "slow", 10), 0U) << "the first claim's jobs are counted once committed";
  EXPECT_EQ(value("SELECT count(*) FROM daap.jobs WHERE state = 'running'"), 2);
}

TEST_F(QueuesTest, ALimitOnOneQueueDoesNotHoldBackAnother) {
  fill(10, "slow");
  fill(10, "fast");
  control([](auto& tx) { return set_queue_limit(tx, "slow", 1); });
  pqxx::connection other(db.url());
  pqxx::work first(other);
  first.exec("SELECT * FROM daap.claim_jobs('w1', ARRAY['slow'], 1, 30000)");
  EXPECT_EQ(claim(conn, "w", {"slow", "fast"}, 10, 30s).size(), 10U) << "all from fast";
  first.commit();
}

TEST_F(QueuesTest, ControlsRefuseABlankNameAndALimitBelowOne) {
  try {
    pqxx::work tx(conn);
    set_queue_limit(tx, "q", 0);
    ADD_FAILURE() << "a limit of 0 was accepted";
  } catch (const pqxx::sql_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("max_running must be at least 1"));
  }
  try {
    pqxx::work tx(conn);
    pause_queue(tx, " ");
    ADD_FAILURE() << "a blank name was accepted";
  } catch (const pqxx::sql_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("queue must be a non-empty text"));
  }
}

TEST_F(QueuesTest, OverviewCountsDueScheduledRunningAndRecentFailuresPerQueue) {
  fill(4, "q");
  run("INSERT INTO daap.jobs (kind, queue, run_at) VALUES ('noop', 'q', now() + interval '1 "
      "hour')");
  run("INSERT INTO daap.jobs (kind, queue, state, attempt, finished_at) VALUES "
      "('noop', 'q', 'failed', 1, now()), ('noop', 'q', 'failed', 1, now() - interval '2 days')");
  claim_n(conn, "q", 1);
  control([](auto& tx) { return set_queue_limit(tx, "q", 7); });
  pqxx::work tx(conn);
  const auto queues = queue_overview(tx);
  ASSERT_EQ(queues.size(), 1U);
  EXPECT_EQ(queues[0].controls.name, "q");
  EXPECT_EQ(queues[0].due, 3);
  EXPECT_EQ(queues[0].scheduled, 1);
  EXPECT_EQ(queues[0].running, 1);
  EXPECT_EQ(queues[0].failed_24h, 1);
  EXPECT_EQ(queues[0].controls.max_running, 7);
  EXPECT_FALSE(queues[0].controls.paused_at);
  EXPECT_TRUE(queues[0].oldest_due_age_seconds);
}

}  // namespace
}  // namespace daap::queue
