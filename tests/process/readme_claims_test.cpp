// What the README promises about a running daap-worker, checked through the real binary: leases
// kept by heartbeats, retention, rescue after a second signal, backoff during an outage, /readyz
// and the metrics, the logs, the connection budget, snooze and --queues.
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/process/worker_process.h"
#include "tests/support/test_database.h"

namespace daap::test {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

std::int64_t count_where(const std::string& url, const std::string& where) {
  return query_int(url, "SELECT count(*) FROM daap.jobs WHERE " + where);
}

void stop(WorkerProcess& worker) {
  worker.signal(SIGTERM);
  const auto status = worker.wait_exit(seconds(60));
  ASSERT_TRUE(status.has_value()) << worker.output();
  EXPECT_EQ(*status, 0) << worker.output();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// The value of the metric line `name` (with its labels, as printed), or nullopt.
std::optional<double> metric(const std::string& body, const std::string& name) {
  for (const auto& line : lines_of(body)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return std::nullopt;
}

// README, Leases: "every held job is heartbeated every third of LEASE_DURATION"; a job that
// runs three leases long is therefore never rescued while its worker lives.
TEST(ReadmeLeases, AJobRunningThreeLeasesLongKeepsItsLeaseAndRunsOnce) {
  FreshDatabase db;
  create_effects_table(db.url());
  auto env = worker_env(db.url());
  env["LEASE_DURATION"] = "2s";
  std::vector<std::unique_ptr<WorkerProcess>> workers;
  for (int i = 0; i < 2; ++i) {
    workers.push_back(std::make_unique<WorkerProcess>(
        std::vector<std::string>{"--concurrency", "2", "--worker-id", "w" + std::to_string(i)},
        env));
  }
  ASSERT_TRUE(eventually(
      [&] { return query_int(db.url(), "SELECT count(*) FROM daap.leaders") == 1; }, seconds(30)))
      << workers[0]->output();
  insert_jobs(db.url(), "test.record", 1, R"({"sleep_ms": 6000})");
  ASSERT_TRUE(
      eventually([&] { return count_where(db.url(), "state = 'succeeded'") == 1; }, seconds(60)))
      << workers[0]->output() << workers[1]->output();
  EXPECT_EQ(count_where(db.url(), "attempt = 1 AND errors = '[]'::jsonb"), 1)
      << workers[0]->output() << workers[1]->output();
  EXPECT_EQ(query_int(db.url(), "SELECT count(*) FROM test_effects"), 1);
  for (auto& w : workers) {
    EXPECT_EQ(w->output().find("lease lost"), std::string::npos) << w->output();
    stop(*w);
  }
}

// README, Retention: the leader deletes succeeded jobs SUCCEEDED_RETENTION and failed or
// cancelled jobs FAILED_RETENTION after they finished, and nothing younger.
TEST(ReadmeRetention, TheLeaderPrunesFinishedJobsAtTheConfiguredAges) {
  FreshDatabase db;
  exec_sql(db.url(), R"(
    INSERT INTO daap.jobs (kind, payload, state, attempt, created_at, run_at, started_at,
                           finished_at)
    SELECT 'noop', jsonb_build_object('tag', tag), state, 1, t, t, t, t
      FROM (VALUES ('succeeded-2h', 'succeeded', now() - interval '2 hours'),
                   ('succeeded-30m', 'succeeded', now() - interval '30 minutes'),
                   ('failed-5h', 'failed', now() - interval '5 hours'),
                   ('failed-3h', 'failed', now() - interval '3 hours'),
                   ('cancelled-5h', 'cancelled', now() - interval '5 hours'),
                   ('cancelled-3h', 'cancelled', now() - interval '3 hours'))
           AS v(tag, state, t))");
  auto env = worker_env(db.url());
  env["LEASE_DURATION"] = "3s";  // a maintenance pass every second
  env["SUCCEEDED_RETENTION"] = "1h";
  env["FAILED_RETENTION"] = "4h";
  WorkerProcess worker({}, env);
  ASSERT_TRUE(eventually([&] { return count_where(db.url(), "true") == 3; }, seconds(60)))
      << worker.output();
  // One more full pass after the pruning: what is younger than its retention stays.
  const auto renewed = query_int(db.url(),
                                 "SELECT (extract(epoch FROM expires_at) * 1000)::bigint "
                                 "FROM daap.leaders");
  ASSERT_TRUE(eventually(
      [&] {
        return query_int(db.url(),
                         "SELECT (extract(epoch FROM expires_at) * 1000)::bigint "
                         "FROM daap.leaders") > renewed;
      },
      seconds(30)));
  EXPECT_EQ(count_where(db.url(),
                        "payload->>'tag' IN ('succeeded-30m', 'failed-3h', "
                        "'cancelled-3h')"),
            3);
  stop(worker);
}

// README, Shutdown: "A second signal exits at once (status 1); the leases of whatever was still
// running expire and are rescued" by another replica, which runs the job again.
TEST(ReadmeShutdown, AfterASecondSignalTheRunningJobIsRescuedByAnotherReplica) {
  FreshDatabase db;
  create_effects_table(db.url());
  auto env = worker_env(db.url());
  env["LEASE_DURATION"] = "2s";
  env["SHUTDOWN_TIMEOUT"] = "1h";
  insert_jobs(db.url(), "test.record", 1, R"({"sleep_ms": 4000})");
  WorkerProcess first({"--worker-id", "first"}, env);
  ASSERT_TRUE(
      eventually([&] { return count_where(db.url(), "state = 'running'") == 1; }, seconds(30)))
      << first.output();
  first.signal(SIGTERM);
  ASSERT_TRUE(
      eventually([&] { return first.output().find("draining") != std::string::npos; }, seconds(10)))
      << first.output();
  first.signal(SIGINT);
  ASSERT_EQ(first.wait_exit(seconds(30)), 1) << first.output();
  EXPECT_EQ(count_where(db.url(), "state = 'running' AND locked_by = 'first'"), 1)
      << "not released: its lease has to expire";

  WorkerProcess second({"--worker-id", "second"}, env);
  ASSERT_TRUE(
      eventually([&] { return count_where(db.url(), "state = 'succeeded'") == 1; }, seconds(60)))
      << second.output();
  EXPECT_EQ(count_where(db.url(), "locked_by = 'second' AND attempt = 2"), 1);
  EXPECT_EQ(query_int(db.url(), "SELECT count(*) FROM test_effects"), 1);
  EXPECT_EQ(query_int(db.url(), "SELECT attempt FROM test_effects"), 2);
  stop(second);
}

// A TCP server that accepts and at once closes every connection, remembering when.
class CountingListener {
 public:
  CountingListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 64) != 0) {
      throw std::runtime_error("cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) continue;
        ::close(c);
        std::lock_guard lock(mutex_);
        accepted_.push_back(SteadyClock::now());
      }
    });
  }
  ~CountingListener() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  std::vector<SteadyClock::time_point> accepted() {
    std::lock_guard lock(mutex_);
    return accepted_;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<SteadyClock::time_point> accepted_;
  std::thread thread_;
};

// README, Outages: "one retry helper logs, backs off (100 ms doubling to 5 s, jittered) and
// tries again". A server that hangs up on every connection: the worker keeps trying, with the
// logged delays growing from 100 ms to 5 s, and at that pace on the wire.
TEST(ReadmeOutages, ReconnectsBackOffFrom100msDoublingTo5sJittered) {
  CountingListener server;
  auto env = worker_env("postgresql://daap:pw@127.0.0.1:" + std::to_string(server.port()) +
                        "/daap?sslmode=disable&gssencmode=disable");
  env["LOG_FORMAT"] = "json";
  WorkerProcess worker({}, env);
  ASSERT_TRUE(eventually([&] { return !server.accepted().empty(); }, seconds(30)))
      << worker.output();
  const auto first = server.accepted().front();
  // The measurement is a rate over a fixed window: this waits for time itself to pass.
  std::this_thread::sleep_until(first + seconds(16));
  const auto accepted = server.accepted();
  ASSERT_TRUE(worker.running()) << worker.output();
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait_exit(seconds(30)), 0) << worker.output();

  // One retry loop (registering the worker) is all there is before the database answers: past
  // 6 s its delays are at least 2.5 s (5 s jittered down to half), so at most 5 tries in 10 s.
  const auto in_window = std::count_if(accepted.begin(), accepted.end(), [&](auto t) {
    return t >= first + seconds(6) && t < first + seconds(16);
  });
  ::testing::Test::RecordProperty("attempts_from_6s_to_16s", static_cast<int>(in_window));
  EXPECT_GE(in_window, 1) << "it stopped trying";
  EXPECT_LE(in_window, 5) << accepted.size() << " connection attempts in all";

  std::vector<long> delays;
  for (const auto& line : lines_of(worker.output())) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("retry_in_ms")) delays.push_back(j["retry_in_ms"]);
  }
  ASSERT_GE(delays.size(), 7U) << worker.output();
  for (std::size_t i = 0; i < delays.size(); ++i) {
    const long full = std::min(100L << std::min<std::size_t>(i, 16), 5000L);
    EXPECT_GE(delays[i], full / 2) << "delay " << i;
    EXPECT_LE(delays[i], full) << "delay " << i;
  }
  const std::set<long> capped(delays.begin() + 6, delays.end());
  EXPECT_GT(capped.size(), 1U) << "delays at the cap are jittered, not all equal";
}

struct HttpWorker {
  HttpWorker(const std::vector<std::string>& args, std::map<std::string, std::string> env)
      : port(free_port()), worker(with_http(args, port), env), client("127.0.0.1", port) {
    client.set_connection_timeout(seconds(2));
    client.set_read_timeout(seconds(20));
  }
  static std::vector<std::string> with_http(std::vector<std::string> args, int port) {
    args.push_back("--http-addr");
    args.push_back("127.0.0.1:" + std::to_string(port));
    return args;
  }
  std::string get(const std::string& path, int* status = nullptr) {
    auto res = client.Get(path);
    if (!res) return "";
    if (status != nullptr) *status = res->status;
    return res->body;
  }
  int port;
  WorkerProcess worker;
  httplib::Client client;
};

// README, HTTP and metrics: /readyz is 503 while the database cannot be reached. A worker
// that never reached it never led maintenance, so it exports no table-wide gauge (the alert
// then is DaapNoMaintenanceLeader); a leader that loses it exports daap_jobs_count_up 0.
TEST(ReadmeHttp, ReadyzIs503AndNoCountsWhileTheDatabaseIsUnreachable) {
  HttpWorker w({}, worker_env("postgresql://daap:pw@127.0.0.1:" + std::to_string(free_port()) +
                              "/daap?connect_timeout=2"));
  ASSERT_TRUE(eventually([&] { return !w.get("/healthz").empty(); }, seconds(30)))
      << w.worker.output();
  int status = 0;
  const auto body = w.get("/readyz", &status);
  EXPECT_EQ(status, 503) << body;
  EXPECT_NE(body.find("database unreachable"), std::string::npos) << body;
  const auto metrics = w.get("/metrics");
  EXPECT_EQ(metric(metrics, "daap_maintenance_leader"), 0.0) << metrics;
  EXPECT_FALSE(metric(metrics, "daap_jobs_count_up")) << metrics;
  EXPECT_NE(metrics.find("postgres_server=\"unreachable\""), std::string::npos) << metrics;
  stop(w.worker);
}

// README, Draining: SIGTERM makes a worker fail /readyz ("shutting down") while it lets running
// jobs finish; daap_jobs_running counts the job executing meanwhile.
TEST(ReadmeHttp, ADrainingWorkerFailsReadyzWhileItsJobRuns) {
  FreshDatabase db;
  create_effects_table(db.url());
  insert_jobs(db.url(), "test.record", 1, R"({"sleep_ms": 3600000})");
  auto env = worker_env(db.url());
  env["SHUTDOWN_TIMEOUT"] = "1h";
  HttpWorker w({}, env);
  ASSERT_TRUE(
      eventually([&] { return count_where(db.url(), "state = 'running'") == 1; }, seconds(30)))
      << w.worker.output();
  std::string body;
  EXPECT_TRUE(eventually(
      [&] {
        body = w.get("/metrics");
        return metric(body, "daap_jobs_running") == 1.0;
      },
      seconds(30)))
      << body;
  int status = 0;
  body = w.get("/readyz", &status);
  EXPECT_EQ(status, 200) << body;

  w.worker.signal(SIGTERM);
  EXPECT_TRUE(eventually(
      [&] {
        body = w.get("/readyz", &status);
        return status == 503;
      },
      seconds(30)))
      << body << w.worker.output();
  EXPECT_NE(body.find("shutting down"), std::string::npos) << body;
  EXPECT_EQ(metric(w.get("/metrics"), "daap_jobs_running"), 1.0);
  w.worker.signal(SIGINT);
  EXPECT_EQ(w.worker.wait_exit(seconds(30)), 1) << w.worker.output();
}

// daap_claim_batch_size: "jobs per non-empty claim". Every job claimed once: the histogram's
// sum is the number of jobs, its count the claims that took any, and idle polls add nothing.
TEST(ReadmeHttp, ClaimBatchSizeCountsNonEmptyClaimsAndTheirJobs) {
  FreshDatabase db;
  insert_jobs(db.url(), "noop", 30);
  auto env = worker_env(db.url());
  env["LEASE_DURATION"] = "3s";  // a heartbeat every second, which the test waits on below
  HttpWorker w({"--concurrency", "4", "--prefetch", "0"}, env);
  ASSERT_TRUE(
      eventually([&] { return count_where(db.url(), "state = 'succeeded'") == 30; }, seconds(60)))
      << w.worker.output();
  std::string body;
  ASSERT_TRUE(eventually(
      [&] {
        body = w.get("/metrics");
        // The counts come once this lone worker leads maintenance (within a second).
        return metric(body, "daap_claim_batch_size_sum") == 30.0 &&
               metric(body, "daap_jobs_count_up").has_value();
      },
      seconds(30)))
      << body;
  const auto claims = metric(body, "daap_claim_batch_size_count").value_or(-1);
  // At most 4 idle executors to claim for: at least 8 claims, each of 1 to 4 jobs.
  EXPECT_GE(claims, 8) << body;
  EXPECT_LE(claims, 30) << body;
  EXPECT_EQ(metric(body, "daap_claim_batch_size_bucket{le=\"5\"}"), claims) << body;
  EXPECT_EQ(metric(body, "daap_jobs_count_up"), 1.0) << body;

  // Idle for two heartbeats (ten 200 ms polls or more, each an empty claim): nothing observed.
  for (int i = 0; i < 2; ++i) {
    const auto beat = query_int(db.url(),
                                "SELECT (extract(epoch FROM heartbeat_at) * 1000)::bigint FROM "
                                "daap.workers");
    ASSERT_TRUE(eventually(
        [&] {
          return query_int(db.url(),
                           "SELECT (extract(epoch FROM heartbeat_at) * 1000)::bigint FROM "
                           "daap.workers") > beat;
        },
        seconds(30)));
  }
  body = w.get("/metrics");
  EXPECT_EQ(metric(body, "daap_claim_batch_size_count"), claims) << body;
  stop(w.worker);
}

// README, Logs: LOG_FORMAT=json writes one object per line (ts, level, msg and the fields),
// one line per job outcome with id, kind, queue, attempt, duration and outcome (and the
// error), and a startup line with the settings; LOG_LEVEL drops what is below it.
TEST(ReadmeLogs, JsonLinesCarryEachOutcomeAndLogLevelFiltersThem) {
  FreshDatabase db;
  create_effects_table(db.url());
  insert_jobs(db.url(), "test.record", 1);
  insert_jobs(db.url(), "no.such.kind", 1);
  insert_jobs(db.url(), "noop", 1);
  const auto run = [&](const std::string& level) {
    exec_sql(db.url(),
             "UPDATE daap.jobs SET state = 'available', attempt = 0, finished_at = "
             "NULL, started_at = NULL, errors = '[]', last_error = NULL, result = NULL");
    auto env = worker_env(db.url());
    env["LOG_FORMAT"] = "json";
    env["LOG_LEVEL"] = level;
    WorkerProcess worker({}, env);
    EXPECT_TRUE(
        eventually([&] { return count_where(db.url(), "finished_at IS NULL") == 0; }, seconds(60)))
        << worker.output();
    stop(worker);
    std::vector<nlohmann::json> lines;
    for (const auto& line : lines_of(worker.output())) {
      const auto j = nlohmann::json::parse(line, nullptr, false);
      EXPECT_TRUE(j.is_object() && j.contains("ts") && j.contains("level") && j.contains("msg"))
          << "not a JSON log line: " << line;
      if (j.is_object()) lines.push_back(j);
    }
    return lines;
  };
  const auto outcome = [](const std::vector<nlohmann::json>& lines, const std::string& kind) {
    for (const auto& j : lines) {
      if (j.value("kind", "") == kind && j.contains("outcome")) return j;
    }
    return nlohmann::json();
  };

  auto lines = run("debug");
  const auto recorded = outcome(lines, "test.record");
  ASSERT_TRUE(recorded.is_object()) << "no outcome line for test.record";
  EXPECT_EQ(recorded["msg"], "job succeeded");
  EXPECT_EQ(recorded["level"], "info");
  EXPECT_EQ(recorded["outcome"], "succeeded");
  EXPECT_EQ(recorded["queue"], "default");
  EXPECT_EQ(recorded["attempt"], 1);
  EXPECT_TRUE(recorded["job_id"].is_number_integer()) << recorded;
  EXPECT_TRUE(recorded["duration_ms"].is_number()) << recorded;
  const auto unknown = outcome(lines, "no.such.kind");
  ASSERT_TRUE(unknown.is_object()) << "no outcome line for the unknown kind";
  EXPECT_EQ(unknown["outcome"], "failed");
  EXPECT_EQ(unknown["error"], "unknown job kind 'no.such.kind'");
  EXPECT_TRUE(outcome(lines, "noop").is_object()) << "a noop's success is logged at debug";
  bool startup = false;
  for (const auto& j : lines) {
    if (j["msg"] == "daap-worker starting") {
      startup = j.contains("concurrency") && j.contains("lease_duration") &&
                j.value("log_format", "") == "json";
    }
  }
  EXPECT_TRUE(startup) << "no startup line with the settings";

  lines = run("info");
  EXPECT_TRUE(outcome(lines, "test.record").is_object());
  EXPECT_FALSE(outcome(lines, "noop").is_object()) << "a noop's success is below info";

  lines = run("error");
  for (const auto& j : lines) EXPECT_EQ(j["level"], "error") << j;
  EXPECT_TRUE(outcome(lines, "no.such.kind").is_object()) << "a failed job is logged at error";
  EXPECT_FALSE(outcome(lines, "test.record").is_object());
}

// README, Configuration: WORKER_ID defaults to <hostname>-<pid>-<random>.
TEST(ReadmeLogs, DefaultWorkerIdIsHostnamePidAndARandomSuffix) {
  FreshDatabase db;
  WorkerProcess worker({}, worker_env(db.url()));
  ASSERT_TRUE(eventually(
      [&] { return query_int(db.url(), "SELECT count(*) FROM daap.workers") == 1; }, seconds(30)))
      << worker.output();
  pqxx::connection conn(db.url());
  const auto [id, hostname, pid] = pqxx::nontransaction(conn).query1<std::string, std::string, int>(
      "SELECT id, hostname, pid FROM daap.workers");
  EXPECT_EQ(pid, worker.pid());
  EXPECT_TRUE(std::regex_match(
      id, std::regex(std::regex_replace(hostname, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                     "-" + std::to_string(pid) + "-[0-9a-f]{1,6}")))
      << id;
  stop(worker);
}

// README, Runbook: "Connections per replica, at most: DB_MAX_CONNS + 1 LISTEN connection",
// counted on the server while the worker is busy with every kind of work and scraped.
TEST(ReadmeConnections, AReplicaUnderLoadStaysWithinDbMaxConnsPlusOne) {
  FreshDatabase db;
  create_effects_table(db.url());
  insert_jobs(db.url(), "test.record", 100, R"({"sleep_ms": 30})");
  insert_jobs(db.url(), "test.record", 20, R"({"fail_times": 1})");
  insert_jobs(db.url(), "test.record_grouped", 500);
  insert_jobs(db.url(), "noop", 2000);
  auto env = worker_env(db.url());
  env["LEASE_DURATION"] = "2s";
  env["DB_MAX_CONNS"] = "9";
  env["DB_MIN_CONNS"] = "1";
  HttpWorker w({"--concurrency", "4"}, env);
  pqxx::connection probe(db.url());
  std::int64_t most = 0;
  int scrapes = 0;
  const bool done = eventually(
      [&] {
        if (++scrapes % 5 == 0) w.get(scrapes % 10 == 0 ? "/readyz" : "/metrics");
        pqxx::nontransaction tx(probe);
        most = std::max(most, tx.query_value<std::int64_t>(
                                  "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                  "current_database() AND pid <> pg_backend_pid()"));
        return tx.query_value<std::int64_t>(
                   "SELECT count(*) FROM daap.jobs WHERE state <> 'succeeded'") == 0;
      },
      seconds(180));
  ASSERT_TRUE(done) << w.worker.output();
  ::testing::Test::RecordProperty("most_connections", static_cast<int>(most));
  EXPECT_LE(most, 9 + 1);
  EXPECT_GE(most, 4 + 1) << "the executors' connections and LISTEN's were seen";
  stop(w.worker);
}

// README, Configuration: --queues takes jobs from those queues only.
TEST(ReadmeQueues, AWorkerTakesJobsFromItsQueuesOnly) {
  FreshDatabase db;
  exec_sql(db.url(),
           "INSERT INTO daap.jobs (kind, queue) SELECT 'noop', q FROM "
           "unnest(ARRAY['default', 'other', 'a', 'b', 'b']) q");
  WorkerProcess worker({"--queues", "a, b"}, worker_env(db.url()));
  ASSERT_TRUE(
      eventually([&] { return count_where(db.url(), "state = 'succeeded'") == 3; }, seconds(60)))
      << worker.output();
  // Another job for it, claimed after the others were looked past.
  exec_sql(db.url(), "INSERT INTO daap.jobs (kind, queue) VALUES ('noop', 'a')");
  ASSERT_TRUE(
      eventually([&] { return count_where(db.url(), "state = 'succeeded'") == 4; }, seconds(60)));
  EXPECT_EQ(count_where(db.url(),
                        "queue IN ('default', 'other') AND state = 'available' AND "
                        "attempt = 0"),
            2);
  stop(worker);
}

// README, Snooze: "a handler that is waiting on something (a cluster still starting)
// reschedules its job without spending an attempt". The cnpg provisioner, with a stand-in
// kubectl whose cluster is not healthy until the test says so.
TEST(ReadmeSnooze, AProvisionWaitingForItsClusterSnoozesWithoutSpendingAttempts) {
  FreshDatabase db;
  std::string dir = (fs::temp_directory_path() / "daap-snooze-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  std::ofstream(dir + "/kubectl") << R"(#!/bin/sh
echo "$*" >> "$STANDIN_DIR/args.log"
case "$1" in
  apply) cat > /dev/null ;;
  get) case "$*" in
         *--ignore-not-found*) ;;
         *clusters.*) cat "$STANDIN_DIR/cluster.json" ;;
         *poolers.*) echo '{"status": {"instances": 1}}' ;;
       esac ;;
esac
)";
  ::chmod((dir + "/kubectl").c_str(), 0700);
  std::ofstream(dir + "/cluster.json")
      << R"({"status": {"phase": "Setting up primary", "readyInstances": 0}})";
  auto env = worker_env(db.url());
  env["PROVISIONER"] = "cnpg";
  env["KUBECTL"] = dir + "/kubectl";
  env["STANDIN_DIR"] = dir;
  WorkerProcess worker({}, env);
  exec_sql(db.url(), R"(SELECT daap.enqueue('database.create',
                                            '{"name": "orders", "owner_team": "payments"}'))");
  const std::string provision = "kind = 'database.provision'";
  // Snoozed: available again later, its attempt given back, no error recorded.
  ASSERT_TRUE(eventually(
      [&] {
        return count_where(db.url(), provision +
                                         " AND state = 'available' AND attempt = 0 AND "
                                         "run_at > now() AND errors = '[]'") == 1;
      },
      seconds(60)))
      << worker.output();
  ASSERT_TRUE(eventually(
      [&] {
        std::ifstream log(dir + "/args.log");
        std::string text((std::istreambuf_iterator<char>(log)), {});
        std::size_t gets = 0;
        for (auto at = text.find("clusters."); at != std::string::npos;
             at = text.find("clusters.", at + 1)) {
          ++gets;
        }
        return gets >= 2 && count_where(db.url(), provision +
                                                      " AND state = 'available' AND "
                                                      "attempt = 0") == 1;
      },
      seconds(60)))
      << worker.output();
  std::ofstream(dir + "/cluster.json")
      << R"({"status": {"phase": "Cluster in healthy state", "readyInstances": 1}})";
  ASSERT_TRUE(
      eventually([&] { return count_where(db.url(), provision + " AND state = 'succeeded'") == 1; },
                 seconds(60)))
      << worker.output();
  EXPECT_EQ(count_where(db.url(), provision + " AND attempt = 1 AND errors = '[]'"), 1);
  EXPECT_EQ(query_int(db.url(), "SELECT count(*) FROM daap.databases WHERE status = 'ready'"), 1);
  stop(worker);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace daap::test
