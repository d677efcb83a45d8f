// The runtime's units against a real PostgreSQL: a fresh database per test, a small pool, test
// handlers that record their effect in the job's transaction, and helpers to claim jobs into an
// in-flight registry as the producer would.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "queue/executor_sql.h"
#include "tests/support/test_database.h"
#include "worker/handler.h"
#include "worker/metrics.h"
#include "worker/pool.h"
#include "worker/runtime/completer.h"
#include "worker/runtime/executor.h"
#include "worker/runtime/in_flight.h"

namespace daap::worker::runtime {

inline constexpr const char* kWorker = "test-worker";

class RuntimeTest : public ::testing::Test {
 public:
  RuntimeTest();
  ~RuntimeTest() override;

  // Runs statements in their own committed transaction; one value of a query.
  void exec(const std::string& sql, const pqxx::params& params = {});
  std::int64_t count(const std::string& sql);
  std::string text(const std::string& sql);
  // Inserts `n` jobs of `kind` with `payload`; returns their ids in order.
  std::vector<queue::JobId> insert(const std::string& kind, int n, const std::string& payload = "{}");
  // Claims up to `limit` jobs for kWorker into the registry.
  int claim(int limit = 1000);
  // The job's state and last error ("" when none).
  std::string state(queue::JobId id);
  std::string last_error(queue::JobId id);
  // How many times the job's effect committed.
  std::int64_t effects(queue::JobId id);
  // Takes everything buffered (batched as the executor would) and runs it on this thread.
  void run_all();

  daap::test::FreshDatabase db;
  ConnectionPool pool;
  Metrics metrics;
  HandlerRegistry handlers;
  InFlightRegistry registry;
  Completer completer;
  Executor executor;
};

}  // namespace daap::worker::runtime
