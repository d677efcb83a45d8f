// A fresh migrated database per test and the daapctl binary run against it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tests/support/run_program.h"
#include "tests/support/test_database.h"

namespace daap::test {

// A job row written with plain SQL, consistent with its state (lease while running,
// finished_at once finished).
struct TestJob {
  std::string kind = "noop";
  std::string state = "available";
  std::string queue = "default";
  int minutes_ago = 0;  // created_at and run_at
};

class DaapctlTest : public ::testing::Test {
 protected:
  ProgramResult daapctl(const std::vector<std::string>& args) {
    return run_program(built_binary("worker/daapctl/daapctl"), args, db_.url());
  }

  pqxx::connection& conn() {
    if (!conn_) conn_ = std::make_unique<pqxx::connection>(db_.url());
    return *conn_;
  }

  // Runs one statement in its own transaction; returns its single value.
  template <typename T>
  T value(const std::string& sql, const pqxx::params& params = {}) {
    pqxx::work tx(conn());
    auto v = tx.query_value<T>(sql, params);
    tx.commit();
    return v;
  }

  void exec(const std::string& sql, const pqxx::params& params = {}) {
    pqxx::work tx(conn());
    tx.exec(sql, params);
    tx.commit();
  }

  std::int64_t insert_job(const TestJob& job) {
    return value<std::int64_t>(
        "INSERT INTO daap.jobs (kind, queue, state, attempt, created_at, run_at, started_at, "
        "  finished_at, locked_by, lease_expires_at) "
        "SELECT $1, $2, $3::text, CASE WHEN $3 = 'available' THEN 0 ELSE 1 END, t, t, "
        "  CASE WHEN $3 <> 'available' THEN t END, "
        "  CASE WHEN $3 IN ('succeeded', 'failed', 'cancelled') THEN t END, "
        "  CASE WHEN $3 = 'running' THEN 'test-worker' END, "
        "  CASE WHEN $3 = 'running' THEN now() + interval '5 minutes' END "
        "FROM (SELECT now() - make_interval(mins => $4) AS t) times RETURNING id",
        pqxx::params{job.kind, job.queue, job.state, job.minutes_ago});
  }

  // A job that failed `attempts` times (all of its attempts), with that error history.
  std::int64_t insert_failed_job(int attempts) {
    const auto id = insert_job({.kind = "database.create", .state = "failed"});
    exec(
        "UPDATE daap.jobs SET attempt = $2::int, max_attempts = $2::int, "
        "  last_error = 'boom ' || $2::int, "
        "  errors = (SELECT jsonb_agg(jsonb_build_object('attempt', a, 'at', now(), "
        "    'error', 'boom ' || a) ORDER BY a) FROM generate_series(1, $2::int) a) "
        "WHERE id = $1",
        pqxx::params{id, attempts});
    return id;
  }

  std::string state_of(std::int64_t id) {
    return value<std::string>("SELECT state FROM daap.jobs WHERE id = $1", pqxx::params{id});
  }

  // This test's database, for a command given another URL or none.
  const std::string& database_url() const { return db_.url(); }

 private:
  FreshDatabase db_;
  std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace daap::test
