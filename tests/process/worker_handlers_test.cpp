// Built-in handlers through the real binary: unknown kinds, database.update (valid and
// malformed payloads), transient failures retried with the effect committed once.
#include <signal.h>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tests/process/worker_process.h"
#include "tests/support/test_database.h"

namespace daap::test {
namespace {

using std::chrono::seconds;

std::int64_t enqueue(const std::string& url, const std::string& kind, const std::string& payload) {
  pqxx::connection conn(url);
  pqxx::work tx(conn);
  const auto id = tx.query_value<std::int64_t>(
      "INSERT INTO daap.jobs (kind, payload) VALUES ($1, $2::jsonb) RETURNING id",
      pqxx::params{kind, payload});
  tx.commit();
  return id;
}

std::string job_text(const std::string& url, std::int64_t id, const std::string& column) {
  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  return tx
      .query_value<std::optional<std::string>>(
          "SELECT " + column + "::text FROM daap.jobs WHERE id = $1", pqxx::params{id})
      .value_or("");
}

bool finished(const std::string& url, std::int64_t id) {
  return !job_text(url, id, "finished_at").empty();
}

class WorkerHandlers : public ::testing::Test {
 protected:
  void SetUp() override {
    create_effects_table(db_.url());
    auto env = worker_env(db_.url());
    env["LEASE_DURATION"] = "3s";  // heartbeats, which carry cancellation requests, every 1s
    worker_ = std::make_unique<WorkerProcess>(std::vector<std::string>{}, env);
  }
  void TearDown() override {
    worker_->signal(SIGTERM);
    EXPECT_EQ(worker_->wait_exit(seconds(30)), 0) << worker_->output();
  }
  const std::string& url() { return db_.url(); }
  void wait_finished(std::int64_t id) {
    ASSERT_TRUE(eventually([&] { return finished(url(), id); }, seconds(30))) << worker_->output();
  }
  std::string create_record() {
    pqxx::connection conn(url());
    pqxx::work tx(conn);
    const auto id = tx.query_value<std::string>(
        "INSERT INTO daap.databases (name, owner_team, purpose) "
        "VALUES ('orders', 'payments', 'checkout') RETURNING id::text");
    tx.commit();
    return id;
  }

  FreshDatabase db_;
  std::unique_ptr<WorkerProcess> worker_;
};

TEST_F(WorkerHandlers, UnknownKindFailsAtOnceWithItsName) {
  const auto id = enqueue(url(), "no.such.kind", "{}");
  wait_finished(id);
  EXPECT_EQ(job_text(url(), id, "state"), "failed");
  EXPECT_EQ(job_text(url(), id, "attempt"), "1");
  EXPECT_EQ(job_text(url(), id, "last_error"), "unknown job kind 'no.such.kind'");
}

TEST_F(WorkerHandlers, DatabaseUpdateChangesTheRecordWithTheJob) {
  const auto record = create_record();
  const auto id = enqueue(url(), "database.update",
                          R"({"database_id": ")" + record + R"(", "owner_team": "platform"})");
  wait_finished(id);
  EXPECT_EQ(job_text(url(), id, "state"), "succeeded") << job_text(url(), id, "last_error");
  EXPECT_EQ(query_int(url(),
                      "SELECT count(*) FROM daap.databases WHERE owner_team = "
                      "'platform' AND purpose = 'checkout'"),
            1);
  EXPECT_NE(job_text(url(), id, "result").find("platform"), std::string::npos);
}

TEST_F(WorkerHandlers, MalformedDatabaseUpdatePayloadFailsOnceNamingTheFieldAndChangesNothing) {
  const auto record = create_record();
  pqxx::connection conn(url());
  const auto updated_at = pqxx::nontransaction(conn).query_value<std::string>(
      "SELECT updated_at::text FROM daap.databases");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"database_id": "not-a-uuid", "owner_team": "x"})", "database_id"},
      {R"({"owner_team": "x"})", "database_id"},
      {R"({"database_id": ")" + record + R"("})", "owner_team"},
      {R"({"database_id": ")" + record + R"(", "owner_team": 5})", "owner_team"},
      {R"({"database_id": ")" + record + R"(", "purpose": ["a"]})", "purpose"},
      {R"({"database_id": ")" + record + R"(", "owner_team": ""})", "owner_team"},
  };
  for (const auto& [payload, field] : cases) {
    const auto id = enqueue(url(), "database.update", payload);
    wait_finished(id);
    EXPECT_EQ(job_text(url(), id, "state"), "failed") << payload;
    EXPECT_EQ(job_text(url(), id, "attempt"), "1") << payload;
    EXPECT_EQ(job_text(url(), id, "jsonb_array_length(errors)"), "1") << payload;
    EXPECT_NE(job_text(url(), id, "last_error").find(field), std::string::npos)
        << payload << ": " << job_text(url(), id, "last_error");
  }
  EXPECT_EQ(pqxx::nontransaction(conn).query_value<std::string>(
                "SELECT updated_at::text || owner_team || purpose FROM daap.databases"),
            updated_at + "paymentscheckout");
}

TEST_F(WorkerHandlers, TransientFailuresAreRetriedAndTheEffectCommitsOnce) {
  const auto id = enqueue(url(), "test.record", R"({"fail_times": 2})");
  ASSERT_TRUE(eventually([&] { return job_text(url(), id, "state") == "succeeded"; }, seconds(30)))
      << worker_->output();
  EXPECT_EQ(job_text(url(), id, "attempt"), "3");
  EXPECT_EQ(job_text(url(), id, "jsonb_array_length(errors)"), "2");
  EXPECT_EQ(query_int(url(), "SELECT count(*) FROM test_effects"), 1);
  EXPECT_EQ(query_int(url(), "SELECT attempt FROM test_effects"), 3);
}

TEST_F(WorkerHandlers, CancellationRequestReachesTheRunningHandler) {
  const auto id = enqueue(url(), "test.record", R"({"sleep_ms": 60000})");
  ASSERT_TRUE(eventually([&] { return job_text(url(), id, "state") == "running"; }, seconds(20)))
      << worker_->output();
  exec_sql(url(),
           "UPDATE daap.jobs SET cancel_requested_at = now() WHERE id = " + std::to_string(id));
  ASSERT_TRUE(eventually([&] { return job_text(url(), id, "state") == "cancelled"; }, seconds(20)))
      << worker_->output();
  EXPECT_EQ(query_int(url(), "SELECT count(*) FROM test_effects"), 0);
}

}  // namespace
}  // namespace daap::test
