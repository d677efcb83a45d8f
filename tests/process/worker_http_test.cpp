// The HTTP endpoint: /healthz, /readyz (database reachable, schema at the latest migration),
// /metrics in Prometheus text format.
#include <signal.h>

#include <httplib.h>

#include <gtest/gtest.h>

#include "tests/process/worker_process.h"
#include "tests/support/test_database.h"

namespace daap::test {
namespace {

using std::chrono::seconds;

struct HttpWorker {
  explicit HttpWorker(const std::string& url)
      : port(free_port()),
        worker({"--http-addr", "127.0.0.1:" + std::to_string(port)}, worker_env(url)),
        client("127.0.0.1", port) {
    client.set_connection_timeout(seconds(2));
    client.set_read_timeout(seconds(10));
  }
  int port;
  WorkerProcess worker;
  httplib::Client client;
};

TEST(WorkerHttp, HealthzReadyzAndMetricsRespond) {
  FreshDatabase db;
  HttpWorker w(db.url());
  ASSERT_TRUE(eventually(
      [&] {
        auto res = w.client.Get("/healthz");
        return res && res->status == 200 && res->body == "ok\n";
      },
      seconds(20)))
      << w.worker.output();
  auto ready = w.client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;

  insert_jobs(db.url(), "noop", 5);
  insert_jobs(db.url(), "no.such.kind", 1);
  ASSERT_TRUE(eventually(
      [&] {
        return query_int(db.url(),
                         "SELECT count(*) FROM daap.jobs WHERE finished_at IS NOT "
                         "NULL") == 6;
      },
      seconds(20)))
      << w.worker.output();
  auto metrics = w.client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  const std::string& body = metrics->body;
  for (const std::string line : {
           "daap_jobs_total{kind=\"noop\",outcome=\"succeeded\"} 5\n",
           "daap_jobs_total{kind=\"no.such.kind\",outcome=\"failed\"} 1\n",
           "daap_job_duration_seconds_count{kind=\"noop\"} 5\n",
           "daap_job_duration_seconds_bucket{kind=\"noop\",le=\"+Inf\"} 5\n",
           "# TYPE daap_claim_batch_size histogram\n",
           "daap_jobs{queue=\"default\",state=\"succeeded\"} 5\n",
           "daap_jobs{queue=\"default\",state=\"failed\"} 1\n",
           "daap_jobs_running 0\n",
       }) {
    EXPECT_NE(body.find(line), std::string::npos) << "missing " << line << "in\n" << body;
  }
  w.worker.signal(SIGTERM);
  EXPECT_EQ(w.worker.wait_exit(seconds(30)), 0) << w.worker.output();
}

TEST(WorkerHttp, ReadyzIs503WhenTheSchemaIsBehindTheLatestMigration) {
  FreshDatabase db;
  exec_sql(db.url(), "UPDATE public.schema_migrations SET version = version - 1");
  HttpWorker w(db.url());
  ASSERT_TRUE(eventually(
      [&] {
        auto res = w.client.Get("/healthz");
        return res && res->status == 200;
      },
      seconds(20)))
      << w.worker.output();
  auto ready = w.client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_NE(ready->body.find("latest migration"), std::string::npos) << ready->body;

  exec_sql(db.url(), "UPDATE public.schema_migrations SET version = version + 1");
  ready = w.client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
}

}  // namespace
}  // namespace daap::test
