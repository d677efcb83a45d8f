// The HTTP endpoint: /healthz, /readyz (database reachable, schema at the latest migration),
// /metrics in Prometheus text format.
#include <signal.h>

#include <httplib.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/process/worker_process.h"
#include "tests/support/run_program.h"
#include "tests/support/test_database.h"

namespace daap::test {
namespace {

using std::chrono::seconds;

struct HttpWorker {
  explicit HttpWorker(const std::string& url,
                      std::map<std::string, std::string> env_overrides = {})
      : port(free_port()),
        worker({"--http-addr", "127.0.0.1:" + std::to_string(port)},
               with(worker_env(url), env_overrides)),
        client("127.0.0.1", port) {
    client.set_connection_timeout(seconds(2));
    client.set_read_timeout(seconds(10));
  }
  static std::map<std::string, std::string> with(std::map<std::string, std::string> env,
                                                 const std::map<std::string, std::string>& more) {
    for (const auto& [k, v] : more) env[k] = v;
    return env;
  }
  int port;
  WorkerProcess worker;
  httplib::Client client;
};

// The value of one series (`name{labels}` exactly as exposed), or nullopt when absent.
std::optional<double> sample(const std::string& body, const std::string& series) {
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

std::string read_source_file(const std::string& relative) {
  const char* root = std::getenv("DAAP_SOURCE_ROOT");
  std::ifstream in(std::string(root ? root : ".") + "/" + relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every daap_* metric family a file names (histogram series reduced to their family).
std::set<std::string> metric_families_used(const std::string& text) {
  static const std::regex name(R"(\bdaap_[a-z0-9_]*[a-z0-9])");
  std::set<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), name);
       it != std::sregex_iterator(); ++it) {
    out.insert(std::regex_replace(it->str(), std::regex("_(bucket|sum|count)$"), ""));
  }
  return out;
}

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
  // The table-wide counts come once this (only) replica leads maintenance.
  std::string body;
  ASSERT_TRUE(eventually(
      [&] {
        auto res = w.client.Get("/metrics");
        if (!res || res->status != 200) return false;
        body = res->body;
        return sample(body, "daap_finished_jobs{state=\"succeeded\"}") == 5.0;
      },
      seconds(20)))
      << body << w.worker.output();
  for (const std::string line : {
           "daap_jobs_total{kind=\"noop\",outcome=\"succeeded\"} 5\n",
           "daap_jobs_total{kind=\"no.such.kind\",outcome=\"failed\"} 1\n",
           "daap_job_duration_seconds_count{kind=\"noop\"} 5\n",
           "daap_job_duration_seconds_bucket{kind=\"noop\",le=\"+Inf\"} 5\n",
           "# TYPE daap_claim_batch_size histogram\n",
           "daap_finished_jobs{state=\"succeeded\"} 5\n",
           "daap_finished_jobs{state=\"failed\"} 1\n",
           "daap_finished_jobs{state=\"cancelled\"} 0\n",
           "daap_jobs_running 0\n",
       }) {
    EXPECT_NE(body.find(line), std::string::npos) << "missing " << line << "in\n" << body;
  }
  w.worker.signal(SIGTERM);
  EXPECT_EQ(w.worker.wait_exit(seconds(30)), 0) << w.worker.output();
}

TEST(WorkerHttp, MetricsMatchTheRowsInTheDatabase) {
  FreshDatabase db;
  const auto& url = db.url();
  insert_jobs(url, "noop", 3);
  insert_jobs(url, "no.such.kind", 1);
  exec_sql(url,
           "INSERT INTO daap.jobs (kind, run_at) SELECT 'noop', now() + interval '1 hour' "
           "FROM generate_series(1, 2);"
           "INSERT INTO daap.jobs (kind, queue, run_at) SELECT 'noop', 'unserved', "
           "now() - interval '10 minutes' - g * interval '1 minute' FROM generate_series(1, 4) g;"
           "INSERT INTO daap.jobs (kind, queue, state, attempt, locked_by, lease_expires_at, "
           "started_at) VALUES ('noop', 'unserved', 'running', 1, 'gone', "
           "now() - interval '1 minute', now() - interval '2 minutes')");
  HttpWorker w(url, {{"CONCURRENCY", "3"}, {"DB_MAX_CONNS", "9"}});
  // The expired lease is rescued by the maintenance leader: four due jobs become five.
  ASSERT_TRUE(eventually(
      [&] {
        return query_int(url,
                         "SELECT count(*) FROM daap.jobs WHERE state IN ('succeeded', 'failed') "
                         "OR (queue = 'unserved' AND state = 'available')") == 9;
      },
      seconds(30)))
      << w.worker.output();
  std::string body;
  ASSERT_TRUE(eventually(
      [&] {
        auto res = w.client.Get("/metrics");
        if (!res || res->status != 200) return false;
        body = res->body;
        return sample(body, "daap_maintenance_leader") == 1.0 &&
               sample(body, "daap_rescued_jobs_total{result=\"available\"}") == 1.0;
      },
      seconds(30)))
      << body << w.worker.output();

  const auto expect = [&](const std::string& series, double value) {
    EXPECT_EQ(sample(body, series), value) << series << " in\n" << body;
  };
  expect("daap_finished_jobs{state=\"succeeded\"}", 3);
  expect("daap_finished_jobs{state=\"failed\"}", 1);
  EXPECT_FALSE(sample(body, "daap_jobs{queue=\"default\",state=\"succeeded\"}")) << body;
  EXPECT_FALSE(sample(body, "daap_jobs{queue=\"unserved\",state=\"running\"}")) << body;
  expect("daap_jobs{queue=\"default\",state=\"scheduled\"}", 2);
  expect("daap_jobs{queue=\"unserved\",state=\"due\"}", 5);
  EXPECT_FALSE(sample(body, "daap_jobs{queue=\"default\",state=\"due\"}")) << body;
  EXPECT_FALSE(sample(body, "daap_jobs{queue=\"default\",state=\"available\"}")) << body;
  expect("daap_oldest_due_job_age_seconds{queue=\"default\"}", 0);
  const auto oldest = sample(body, "daap_oldest_due_job_age_seconds{queue=\"unserved\"}");
  ASSERT_TRUE(oldest) << body;
  const auto oldest_in_db = query_int(
      url,
      "SELECT extract(epoch FROM now() - min(run_at))::bigint FROM daap.jobs "
      "WHERE queue = 'unserved' AND state = 'available' AND run_at <= now()");
  EXPECT_NEAR(*oldest, static_cast<double>(oldest_in_db), 10.0);
  EXPECT_GE(*oldest, 14 * 60.0);
  for (const std::string status :
       {"provisioning", "ready", "degraded", "error", "deleting", "deleted"}) {
    expect("daap_databases{status=\"" + status + "\"}",
           static_cast<double>(query_int(
               url, "SELECT count(*) FROM daap.databases WHERE status = '" + status + "'")));
  }
  expect("daap_jobs_count_up", 1);
  expect("daap_worker_concurrency", 3);
  expect("daap_pool_connections_max", 9);
  const auto open = sample(body, "daap_pool_connections_open");
  const auto in_use = sample(body, "daap_pool_connections_in_use");
  ASSERT_TRUE(open && in_use) << body;
  EXPECT_GE(*open, 1) << body;
  EXPECT_LE(*in_use, *open) << body;
  expect("daap_pool_acquires_waiting", 0);
  EXPECT_GT(sample(body, "daap_pool_acquire_wait_seconds_count").value_or(0), 0) << body;
  expect("daap_pool_acquire_timeouts_total", 0);
  expect("daap_jobs_total{kind=\"noop\",outcome=\"succeeded\"}", 3);
  expect("daap_jobs_total{kind=\"no.such.kind\",outcome=\"failed\"}", 1);
  const auto server = query_int(url, "SELECT current_setting('server_version_num')::int");
  expect("daap_build_info{libpqxx=\"" PQXX_VERSION "\",postgres_server=\"" +
             std::to_string(server / 10000) + "." + std::to_string(server % 10000) +
             "\",version=\"" DAAP_VERSION "\"}",
         1);
  w.worker.signal(SIGTERM);
  EXPECT_EQ(w.worker.wait_exit(seconds(30)), 0) << w.worker.output();
}

// The table-wide gauges cost a count of daap.jobs: only the maintenance leader counts and
// exports them, and when it goes, the replica that takes the lease does.
TEST(WorkerHttp, OnlyTheMaintenanceLeaderExportsTheTableWideGauges) {
  FreshDatabase db;
  const auto& url = db.url();
  insert_jobs(url, "noop", 2);
  exec_sql(url,
           "INSERT INTO daap.jobs (kind, run_at) SELECT 'noop', now() + interval '1 hour' "
           "FROM generate_series(1, 3);"
           "INSERT INTO daap.jobs (kind, queue) SELECT 'noop', 'unserved' "
           "FROM generate_series(1, 4)");
  const std::map<std::string, std::string> env = {{"LEASE_DURATION", "3s"}};
  const auto scrape = [](HttpWorker& w) {
    auto res = w.client.Get("/metrics");
    return res && res->status == 200 ? res->body : std::string();
  };
  auto a = std::make_unique<HttpWorker>(url, env);
  std::string leader_body;
  ASSERT_TRUE(eventually(
      [&] {
        leader_body = scrape(*a);
        return sample(leader_body, "daap_maintenance_leader") == 1.0 &&
               sample(leader_body, "daap_finished_jobs{state=\"succeeded\"}") == 2.0;
      },
      seconds(30)))
      << leader_body << a->worker.output();
  HttpWorker b(url, env);
  std::string other_body;
  ASSERT_TRUE(eventually(
      [&] {
        other_body = scrape(b);
        return sample(other_body, "daap_maintenance_leader") == 0.0;
      },
      seconds(30)))
      << other_body << b.worker.output();
  leader_body = scrape(*a);

  // The leader's numbers are the table's.
  const auto expect_sql = [&](const std::string& series, const std::string& sql) {
    EXPECT_EQ(sample(leader_body, series), static_cast<double>(query_int(url, sql)))
        << series << " in\n" << leader_body;
  };
  expect_sql("daap_jobs{queue=\"default\",state=\"scheduled\"}",
             "SELECT count(*) FROM daap.jobs WHERE queue = 'default' AND state = 'available' "
             "AND run_at > now()");
  expect_sql("daap_jobs{queue=\"unserved\",state=\"due\"}",
             "SELECT count(*) FROM daap.jobs WHERE queue = 'unserved' AND state = 'available' "
             "AND run_at <= now()");
  expect_sql("daap_finished_jobs{state=\"succeeded\"}",
             "SELECT count(*) FROM daap.jobs WHERE state = 'succeeded'");
  expect_sql("daap_databases{status=\"ready\"}",
             "SELECT count(*) FROM daap.databases WHERE status = 'ready'");
  EXPECT_EQ(sample(leader_body, "daap_jobs_count_up"), 1.0) << leader_body;

  // The other replica exports its own metrics and the server's version, and no count.
  for (const std::string family :
       {"daap_jobs", "daap_finished_jobs", "daap_oldest_due_job_age_seconds", "daap_databases",
        "daap_jobs_count_up"}) {
    EXPECT_EQ(other_body.find("\n" + family + "{"), std::string::npos) << other_body;
    EXPECT_EQ(other_body.find("\n" + family + " "), std::string::npos) << other_body;
    EXPECT_EQ(other_body.find("# TYPE " + family + " "), std::string::npos) << other_body;
  }
  EXPECT_NE(other_body.find("daap_jobs_running 0\n"), std::string::npos) << other_body;
  EXPECT_EQ(other_body.find("unreachable"), std::string::npos) << other_body;

  // The leader stops (and resigns): the other replica takes the lease and the counts with it.
  a->worker.signal(SIGTERM);
  EXPECT_EQ(a->worker.wait_exit(seconds(30)), 0) << a->worker.output();
  a.reset();
  ASSERT_TRUE(eventually(
      [&] {
        other_body = scrape(b);
        return sample(other_body, "daap_maintenance_leader") == 1.0 &&
               sample(other_body, "daap_jobs{queue=\"unserved\",state=\"due\"}") == 4.0;
      },
      seconds(30)))
      << other_body << b.worker.output();
  EXPECT_EQ(sample(other_body, "daap_finished_jobs{state=\"succeeded\"}"), 2.0) << other_body;
  b.worker.signal(SIGTERM);
  EXPECT_EQ(b.worker.wait_exit(seconds(30)), 0) << b.worker.output();
}

TEST(WorkerHttp, EveryMetricTheShippedRulesAndDashboardUseIsExposedAndPassesPromtool) {
  FreshDatabase db;
  insert_jobs(db.url(), "noop", 2);
  exec_sql(db.url(), "INSERT INTO daap.jobs (kind, run_at) VALUES ('noop', now() + interval '1h')");
  HttpWorker w(db.url());
  std::string body;
  ASSERT_TRUE(eventually(
      [&] {
        auto res = w.client.Get("/metrics");
        if (!res || res->status != 200) return false;
        body = res->body;
        return sample(body, "daap_jobs_total{kind=\"noop\",outcome=\"succeeded\"}") == 2.0 &&
               sample(body, "daap_jobs_count_up") == 1.0;  // leading: the counts are there
      },
      seconds(30)))
      << body << w.worker.output();

  const auto rules = read_source_file("deploy/monitoring/daap-rules.yaml");
  const auto dashboard = read_source_file("deploy/monitoring/daap-dashboard.json");
  ASSERT_NE(rules.find("groups:"), std::string::npos) << "rules file not found";
  ASSERT_NE(dashboard.find("\"panels\""), std::string::npos) << "dashboard not found";
  auto used = metric_families_used(rules);
  used.merge(metric_families_used(dashboard));
  EXPECT_GE(used.size(), 15U);
  for (const auto& family : used) {
    EXPECT_NE(body.find("# TYPE " + family + " "), std::string::npos)
        << family << " is used by deploy/monitoring but not exposed:\n" << body;
  }

  const std::string path = ::testing::TempDir() + "daap_metrics_scrape.txt";
  std::ofstream(path) << body;
  const auto check = run_program("/bin/sh", {"-c", "promtool check metrics < " + path}, "");
  EXPECT_EQ(check.status, 0) << check.out << check.err << body;
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
