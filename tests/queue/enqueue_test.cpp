// Enqueueing through the SQL API (daap.enqueue, daap.enqueue_many, plain INSERT) and from C++,
// the jobs table's constraints, and the one-NOTIFY-per-statement wake-up.
#include "queue/enqueue.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/eventually.h"
#include "tests/support/test_database.h"

namespace daap::queue {
namespace {

using daap::test::eventually;
using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class EnqueueTest : public daap::test::RollbackTest {
 protected:
  template <typename T = std::string>
  T value(const std::string& query, const pqxx::params& params = {}) {
    return tx().query_value<T>(query, params);
  }
  // The message of the error `query` raises, in a savepoint so the test can go on.
  std::string error_of(const std::string& query) {
    try {
      pqxx::subtransaction sub(tx());
      sub.exec(query);
    } catch (const pqxx::sql_error& e) {
      return e.what();
    }
    return "";
  }
  std::string state_of(JobId id) {
    return value("SELECT state FROM daap.jobs WHERE id = $1", pqxx::params{id});
  }
  int count_jobs() { return value<int>("SELECT count(*) FROM daap.jobs"); }
};

TEST_F(EnqueueTest, EnqueueFunctionAppliesTheDocumentedDefaults) {
  const auto id = value<JobId>("SELECT daap.enqueue('noop', '{}')");
  auto row = tx().exec(
                     "SELECT kind, queue, payload::text, state, priority, attempt, max_attempts, "
                     "run_at = now(), unique_key IS NULL, database_id IS NULL, errors::text, "
                     "locked_by IS NULL, finished_at IS NULL FROM daap.jobs WHERE id = $1",
                     pqxx::params{id})
                 .one_row();
  EXPECT_EQ(row[0].as<std::string>(), "noop");
  EXPECT_EQ(row[1].as<std::string>(), "default");
  EXPECT_EQ(row[2].as<std::string>(), "{}");
  EXPECT_EQ(row[3].as<std::string>(), "available");
  EXPECT_EQ(row[4].as<int>(), 0);
  EXPECT_EQ(row[5].as<int>(), 0);
  EXPECT_EQ(row[6].as<int>(), 25);
  EXPECT_TRUE(row[7].as<bool>());
  EXPECT_TRUE(row[8].as<bool>());
  EXPECT_TRUE(row[9].as<bool>());
  EXPECT_EQ(row[10].as<std::string>(), "[]");
  EXPECT_TRUE(row[11].as<bool>());
  EXPECT_TRUE(row[12].as<bool>());
}

TEST_F(EnqueueTest, EnqueueFunctionTakesNamedArguments) {
  const auto id = value<JobId>(
      "SELECT daap.enqueue(kind => 'database.create', payload => '{\"name\":\"orders\"}', "
      "priority => 5, queue => 'provisioning', max_attempts => 3, "
      "run_at => now() + interval '1 hour', unique_key => 'create:orders')");
  auto row = tx().exec(
                     "SELECT kind, payload->>'name', priority, queue, max_attempts, "
                     "run_at = now() + interval '1 hour', unique_key FROM daap.jobs WHERE id = $1",
                     pqxx::params{id})
                 .one_row();
  EXPECT_EQ(row[0].as<std::string>(), "database.create");
  EXPECT_EQ(row[1].as<std::string>(), "orders");
  EXPECT_EQ(row[2].as<int>(), 5);
  EXPECT_EQ(row[3].as<std::string>(), "provisioning");
  EXPECT_EQ(row[4].as<int>(), 3);
  EXPECT_TRUE(row[5].as<bool>());
  EXPECT_EQ(row[6].as<std::string>(), "create:orders");
}

TEST_F(EnqueueTest, EnqueueFunctionRefusesAPayloadThatIsNotAnObject) {
  EXPECT_THAT(error_of("SELECT daap.enqueue('noop', '[1, 2]')"),
              HasSubstr("daap.enqueue: payload must be a JSON object, got array"));
  EXPECT_THAT(error_of("SELECT daap.enqueue('noop', NULL)"),
              HasSubstr("payload must be a JSON object, got null"));
  EXPECT_EQ(count_jobs(), 0);
}

TEST_F(EnqueueTest, EnqueueFunctionRefusesBadFieldsNamingThem) {
  EXPECT_THAT(error_of("SELECT daap.enqueue('  ')"), HasSubstr("kind must be a non-empty text"));
  EXPECT_THAT(error_of("SELECT daap.enqueue('noop', max_attempts => 0)"),
              HasSubstr("max_attempts must be at least 1, got 0"));
  EXPECT_THAT(error_of("SELECT daap.enqueue('noop', priority => 40000)"),
              HasSubstr("priority must be an integer between -32768 and 32767, got 40000"));
  EXPECT_THAT(error_of("SELECT daap.enqueue('noop', queue => '')"),
              HasSubstr("queue must be a non-empty text"));
  EXPECT_EQ(count_jobs(), 0);
}

TEST_F(EnqueueTest, UniqueKeyOfAnUnfinishedJobReturnsThatJobsId) {
  const auto first = value<JobId>("SELECT daap.enqueue('noop', unique_key => 'k')");
  const auto second = value<JobId>("SELECT daap.enqueue('other', unique_key => 'k')");
  EXPECT_EQ(second, first);
  EXPECT_EQ(count_jobs(), 1);
  // Running is unfinished too.
  tx().exec(
      "UPDATE daap.jobs SET state = 'running', locked_by = 'w', "
      "lease_expires_at = now() + interval '1 minute' WHERE id = $1",
      pqxx::params{first});
  EXPECT_EQ(value<JobId>("SELECT daap.enqueue('noop', unique_key => 'k')"), first);
}

TEST_F(EnqueueTest, UniqueKeyGetsANewJobOnceTheFirstFinished) {
  const auto first = value<JobId>("SELECT daap.enqueue('noop', unique_key => 'k')");
  tx().exec("UPDATE daap.jobs SET state = 'succeeded', finished_at = now() WHERE id = $1",
            pqxx::params{first});
  const auto second = value<JobId>("SELECT daap.enqueue('noop', unique_key => 'k')");
  EXPECT_NE(second, first);
  EXPECT_EQ(state_of(second), "available");
  EXPECT_EQ(count_jobs(), 2);
}

TEST_F(EnqueueTest, PlainInsertWorksWithTheTablesDefaults) {
  tx().exec("INSERT INTO daap.jobs (kind, payload) VALUES ('a', '{}'), ('b', '{\"x\": 1}')");
  auto row = tx().exec(
                     "SELECT count(*), min(state), min(queue), sum(attempt), min(max_attempts) "
                     "FROM daap.jobs")
                 .one_row();
  EXPECT_EQ(row[0].as<int>(), 2);
  EXPECT_EQ(row[1].as<std::string>(), "available");
  EXPECT_EQ(row[2].as<std::string>(), "default");
  EXPECT_EQ(row[3].as<int>(), 0);
  EXPECT_EQ(row[4].as<int>(), 25);
}

TEST_F(EnqueueTest, PlainInsertOfABadRowViolatesACheckNamingWhatItGuards) {
  EXPECT_THAT(error_of("INSERT INTO daap.jobs (kind, payload) VALUES ('a', '\"text\"')"),
              HasSubstr("jobs_payload_is_object"));
  EXPECT_THAT(error_of("INSERT INTO daap.jobs (kind) VALUES ('')"),
              HasSubstr("jobs_kind_not_blank"));
  EXPECT_THAT(error_of("INSERT INTO daap.jobs (kind, max_attempts) VALUES ('a', 0)"),
              HasSubstr("jobs_max_attempts_positive"));
  EXPECT_THAT(error_of("INSERT INTO daap.jobs (kind, state) VALUES ('a', 'running')"),
              HasSubstr("jobs_running_has_lease"));
  EXPECT_THAT(error_of("INSERT INTO daap.jobs (kind, state) VALUES ('a', 'paused')"),
              HasSubstr("jobs_state_known"));
}

TEST_F(EnqueueTest, PlainInsertOfASecondUnfinishedJobWithTheSameUniqueKeyIsRefused) {
  tx().exec("INSERT INTO daap.jobs (kind, unique_key) VALUES ('a', 'k')");
  EXPECT_THAT(error_of("INSERT INTO daap.jobs (kind, unique_key) VALUES ('b', 'k')"),
              HasSubstr("jobs_unique_key_unfinished_key"));
}

TEST_F(EnqueueTest, EnqueueManyInsertsAllAndReturnsIdsInInputOrder) {
  auto r = tx().exec(
      "SELECT unnest(daap.enqueue_many('["
      "{\"kind\": \"c\", \"priority\": 3},"
      "{\"kind\": \"a\", \"payload\": {\"n\": 1}, \"queue\": \"q\"},"
      "{\"kind\": \"b\", \"run_at\": \"2100-01-01T00:00:00Z\", \"max_attempts\": 2}]'))");
  ASSERT_EQ(r.size(), 3u);
  std::vector<std::string> kinds;
  for (const auto& row : r) {
    kinds.push_back(
        value("SELECT kind || ':' || queue || ':' || priority || ':' || "
              "max_attempts || ':' || payload::text FROM daap.jobs WHERE id = $1",
              pqxx::params{row[0].as<JobId>()}));
  }
  EXPECT_THAT(kinds, ElementsAre("c:default:3:25:{}", "a:q:0:25:{\"n\": 1}", "b:default:0:2:{}"));
  EXPECT_TRUE(value<bool>("SELECT run_at = '2100-01-01T00:00:00Z' FROM daap.jobs WHERE id = $1",
                          pqxx::params{r[2][0].as<JobId>()}));
}

TEST_F(EnqueueTest, EnqueueManyGivesDuplicateUniqueKeysTheHoldersId) {
  const auto held = value<JobId>("SELECT daap.enqueue('noop', unique_key => 'held')");
  auto r = tx().exec(
      "SELECT unnest(daap.enqueue_many('[{\"kind\": \"a\", \"unique_key\": \"held\"},"
      "{\"kind\": \"b\", \"unique_key\": \"new\"}, {\"kind\": \"c\", \"unique_key\": \"new\"},"
      "{\"kind\": \"d\"}]'))");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0][0].as<JobId>(), held);
  EXPECT_EQ(r[2][0].as<JobId>(), r[1][0].as<JobId>());
  EXPECT_NE(r[3][0].as<JobId>(), r[1][0].as<JobId>());
  EXPECT_EQ(count_jobs(), 3);
}

TEST_F(EnqueueTest, EnqueueManyNamesTheBadElementAndField) {
  EXPECT_THAT(error_of("SELECT daap.enqueue_many('[{\"kind\": \"a\"}, {\"kind\": \"b\", "
                       "\"payload\": 7}]')"),
              HasSubstr("daap.enqueue_many: jobs[1].payload must be a JSON object, got number"));
  EXPECT_THAT(error_of("SELECT daap.enqueue_many('[{\"kind\": \"a\", \"run_at\": \"soon\"}]')"),
              HasSubstr("jobs[0].run_at is not valid"));
  EXPECT_THAT(error_of("SELECT daap.enqueue_many('[{\"kind\": \"a\", \"prio\": 1}]')"),
              HasSubstr("jobs[0].prio is not a job field"));
  EXPECT_THAT(error_of("SELECT daap.enqueue_many('{\"kind\": \"a\"}')"),
              HasSubstr("jobs must be a JSON array of objects, got object"));
  EXPECT_EQ(count_jobs(), 0);
}

TEST_F(EnqueueTest, EnqueueManyOfAnEmptyArrayInsertsNothing) {
  EXPECT_EQ(value("SELECT daap.enqueue_many('[]')::text"), "{}");
  EXPECT_EQ(count_jobs(), 0);
}

TEST_F(EnqueueTest, CppEnqueueStoresEveryField) {
  const auto db = value(
      "INSERT INTO daap.databases (name, owner_team) VALUES ('orders', 'pay') "
      "RETURNING id");
  NewJob job{.kind = "database.provision",
             .payload = {{"name", "orders"}},
             .queue = "prov",
             .priority = -2,
             .run_at = Clock::time_point(
                 std::chrono::microseconds(4'102'444'800'123'456)),  // 2100-01-01 + 0.123456s
             .max_attempts = 7,
             .unique_key = "provision:orders",
             .database_id = db};
  const auto id = enqueue(tx(), job);
  auto row = tx().exec(
                     "SELECT kind, payload->>'name', queue, priority, max_attempts, unique_key, "
                     "database_id::text, run_at = '2100-01-01 00:00:00.123456+00' "
                     "FROM daap.jobs WHERE id = $1",
                     pqxx::params{id})
                 .one_row();
  EXPECT_EQ(row[0].as<std::string>(), "database.provision");
  EXPECT_EQ(row[1].as<std::string>(), "orders");
  EXPECT_EQ(row[2].as<std::string>(), "prov");
  EXPECT_EQ(row[3].as<int>(), -2);
  EXPECT_EQ(row[4].as<int>(), 7);
  EXPECT_EQ(row[5].as<std::string>(), "provision:orders");
  EXPECT_EQ(row[6].as<std::string>(), db);
  EXPECT_TRUE(row[7].as<bool>());
  EXPECT_EQ(enqueue(tx(), job), id) << "same unique_key while unfinished";
}

TEST_F(EnqueueTest, CppEnqueueRefusesABadFieldBeforeTouchingTheDatabase) {
  try {
    enqueue(tx(), NewJob{.kind = "noop", .payload = nlohmann::json::array()});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("payload must be a JSON object, got array"));
  }
  EXPECT_THROW(enqueue(tx(), NewJob{.kind = ""}), std::invalid_argument);
  EXPECT_THROW(enqueue(tx(), NewJob{.kind = "noop", .max_attempts = 0}), std::invalid_argument);
  EXPECT_EQ(count_jobs(), 0) << "the transaction is still usable";
}

TEST_F(EnqueueTest, CppEnqueueOfADatabaseIdThatIsNotAUuidThrowsInvalidArgument) {
  EXPECT_THROW(enqueue(tx(), NewJob{.kind = "noop", .database_id = "not-a-uuid"}),
               std::invalid_argument);
}

TEST_F(EnqueueTest, CppEnqueueManyReturnsIdsInInputOrder) {
  std::vector<NewJob> jobs;
  for (int i = 0; i < 5; ++i) {
    jobs.push_back(NewJob{.kind = "k" + std::to_string(i), .priority = 5 - i});
  }
  const auto ids = enqueue_many(tx(), jobs);
  ASSERT_EQ(ids.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(value("SELECT kind FROM daap.jobs WHERE id = $1", pqxx::params{ids[i]}),
              "k" + std::to_string(i));
  }
  EXPECT_TRUE(enqueue_many(tx(), {}).empty());
  try {
    enqueue_many(tx(), {NewJob{.kind = "a"}, NewJob{.kind = "b", .max_attempts = 0}});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("jobs[1].max_attempts must be at least 1"));
  }
}

TEST_F(EnqueueTest, DeletingTheDatabaseRecordKeepsItsJobs) {
  const auto db = value(
      "INSERT INTO daap.databases (name, owner_team) VALUES ('gone', 'pay') "
      "RETURNING id");
  const auto id = enqueue(tx(), NewJob{.kind = "noop", .database_id = db});
  tx().exec("DELETE FROM daap.databases WHERE id = $1", pqxx::params{db});
  EXPECT_TRUE(
      value<bool>("SELECT database_id IS NULL FROM daap.jobs WHERE id = $1", pqxx::params{id}));
}

TEST(EnqueueNotify, AMultiRowInsertSendsExactlyOneNotification) {
  daap::test::FreshDatabase db;
  pqxx::connection listener(db.url()), sender(db.url());
  int jobs = 0;
  bool sentinel = false;
  listener.listen("daap_jobs", [&](pqxx::notification n) {
    EXPECT_EQ(n.payload, "");
    ++jobs;
  });
  listener.listen("daap_test_sentinel", [&](pqxx::notification) { sentinel = true; });
  for (int statement = 0; statement < 2; ++statement) {
    pqxx::work tx(sender);
    tx.exec("INSERT INTO daap.jobs (kind) SELECT 'noop' FROM generate_series(1, 100)");
    tx.commit();
  }
  pqxx::nontransaction(sender).exec("NOTIFY daap_test_sentinel");
  // Notifications from one sender arrive in commit order: the sentinel comes last.
  ASSERT_TRUE(eventually(
      [&] {
        if (!sentinel) listener.await_notification(1, 0);
        return sentinel;
      },
      30s));
  EXPECT_EQ(jobs, 2) << "one per INSERT statement of 100 rows";
  EXPECT_EQ(pqxx::work(listener).query_value<int>("SELECT count(*) FROM daap.jobs"), 200);
}

TEST(EnqueueRace, ConcurrentEnqueuesOfOneUniqueKeyMakeOneJob) {
  daap::test::FreshDatabase db;
  pqxx::connection a(db.url()), b(db.url());
  pqxx::work first(a);
  const auto id = enqueue(first, NewJob{.kind = "noop", .unique_key = "once"});
  const int b_pid = b.backendpid();
  std::atomic<JobId> second_id{0};
  std::thread second([&] {
    pqxx::work tx(b);
    second_id = enqueue(tx, NewJob{.kind = "noop", .unique_key = "once"});
    tx.commit();
  });
  // The second insert waits on the first's uncommitted key: otherwise the race never ran.
  pqxx::connection watch(db.url());
  EXPECT_TRUE(eventually(
      [&] {
        return pqxx::nontransaction(watch).query_value<int>(
                   "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND "
                   "wait_event_type = 'Lock'",
                   pqxx::params{b_pid}) == 1;
      },
      30s))
      << "the second enqueue never waited on the first one's uncommitted unique key";
  first.commit();
  second.join();
  EXPECT_EQ(second_id.load(), id);
  EXPECT_EQ(pqxx::work(a).query_value<int>("SELECT count(*) FROM daap.jobs"), 1);
}

}  // namespace
}  // namespace daap::queue
