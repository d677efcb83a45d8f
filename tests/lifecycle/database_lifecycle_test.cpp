// database.create / provision / update / delete / deprovision through real daap-worker
// processes with the postgres provisioner aimed at the test server itself: the databases,
// roles and secrets they make are real, and each test removes what it made.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "tests/lifecycle/hung_server.h"
#include "tests/process/worker_process.h"
#include "tests/support/run_program.h"
#include "tests/support/test_database.h"

namespace daap::test {
namespace {

using std::chrono::seconds;

std::string random_hex() {
  std::random_device rd;
  char out[9];
  std::snprintf(out, sizeof out, "%08x", static_cast<unsigned>(rd()));
  return out;
}

// The id's 32 hex digits after the name's first 25 characters (a trailing '-' dropped).
std::string name_and_id(const std::string& name, const std::string& id, char separator) {
  auto prefix = name.substr(0, 25);
  while (!prefix.empty() && prefix.back() == '-') prefix.pop_back();
  std::string hex;
  for (const char c : id) {
    if (c != '-') hex += c;
  }
  return prefix + separator + hex;
}

// What the postgres provisioner names the role and database of record `id`.
std::string pg_name(const std::string& name, const std::string& id) {
  std::string out = "daap_" + name_and_id(name, id, '_');
  for (char& c : out) {
    if (c == '-') c = '_';
  }
  return out;
}

ProgramResult run_daapctl(const std::string& url, const std::string& args) {
  const char* root = std::getenv("DAAP_BUILD_ROOT");
  return run_shell("DATABASE_URL='" + url + "' '" + std::string(root != nullptr ? root : ".") +
                     "/worker/daapctl/daapctl' " + args);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A PostgreSQL server of its own (scripts/pg-embedded) that logs every statement: a
// provisioning target whose log can be searched for passwords.
class LoggingServer {
 public:
  LoggingServer() {
    std::string dir = (std::filesystem::temp_directory_path() / "daap-logpg-XXXXXX").string();
    if (::mkdtemp(dir.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = dir;
    const auto started = run_shell(script() + " start '" + dir_.string() + "'");
    // Its standard output is the URL, one line; anything else there is a defect of the script.
    if (started.status != 0 || started.out.empty() || started.out.back() != '\n' ||
        started.out.find('\n') != started.out.size() - 1) {
      throw std::runtime_error("pg-embedded start: exit " + std::to_string(started.status) +
                               ", stdout '" + started.out + "', stderr '" + started.err + "'");
    }
    url_ = started.out.substr(0, started.out.size() - 1);
    try {
      pqxx::connection conn(url_);
      pqxx::nontransaction(conn).exec("ALTER SYSTEM SET log_statement = 'all'");
      pqxx::nontransaction(conn).exec("SELECT pg_reload_conf()");
    } catch (...) {
      stop();  // no destructor runs for a constructor that throws
      throw;
    }
  }
  ~LoggingServer() { stop(); }
  // The superuser's URL, on database `dbname`.
  std::string url(const std::string& dbname = "daap") const { return with_database(url_, dbname); }
  // `url` for another user of this server.
  std::string url_as(const std::string& user, const std::string& password,
                     const std::string& dbname) const {
    const auto at = url_.find('@');
    return with_database("postgresql://" + user + ":" + password + url_.substr(at), dbname);
  }
  std::string log() const { return read_file(dir_ / "server.log"); }

 private:
  void stop() {
    run_shell(script() + " stop '" + dir_.string() + "'");
    std::filesystem::remove_all(dir_);
  }
  static std::string script() {
    const char* root = std::getenv("DAAP_SOURCE_ROOT");
    return "'" + std::string(root != nullptr ? root : ".") + "/scripts/pg-embedded'";
  }
  std::filesystem::path dir_;
  std::string url_;
};

class DatabaseLifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = (std::filesystem::temp_directory_path() / "daap-secrets-XXXXXX").string();
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    secrets_dir_ = dir;
  }
  void TearDown() override {
    for (auto& w : workers_) w.reset();  // SIGKILLed if still running
    // Every record of this test's fresh database is this test's.
    pqxx::connection platform(url());
    const auto records =
        pqxx::nontransaction(platform).exec("SELECT name, id::text FROM daap.databases");
    pqxx::connection conn(server_url());
    pqxx::nontransaction tx(conn);
    for (const auto& row : records) {
      const auto name = daap::test::pg_name(row[0].as<std::string>(), row[1].as<std::string>());
      tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name) + " WITH (FORCE)");
      tx.exec("DROP ROLE IF EXISTS " + tx.quote_name(name));
    }
    std::filesystem::remove_all(secrets_dir_);
  }

  // A record name no concurrent test uses; its databases are dropped on the target afterwards.
  std::string unique_name(const std::string& stem) { return stem + "-" + random_hex(); }

  WorkerProcess& start_worker(const std::map<std::string, std::string>& extra = {}) {
    auto env = worker_env(url());
    env["LEASE_DURATION"] = "2s";
    env["PROVISION_DATABASE_URL"] = server_url();
    env["SECRETS_DIR"] = secrets_dir_;
    for (const auto& [k, v] : extra) env[k] = v;
    workers_.push_back(std::make_unique<WorkerProcess>(std::vector<std::string>{}, env));
    return *workers_.back();
  }
  void stop_worker(WorkerProcess& worker) {
    worker.signal(SIGTERM);
    EXPECT_EQ(worker.wait_exit(seconds(30)), 0) << worker.output();
  }

  const std::string& url() { return db_.url(); }

  std::int64_t enqueue(const std::string& kind, const nlohmann::json& payload,
                       int max_attempts = 25) {
    pqxx::connection conn(url());
    pqxx::work tx(conn);
    const auto id = tx.query_value<std::int64_t>(
        "INSERT INTO daap.jobs (kind, payload, max_attempts) VALUES ($1, $2::jsonb, $3) "
        "RETURNING id",
        pqxx::params{kind, payload.dump(), max_attempts});
    tx.commit();
    return id;
  }
  std::string text(const std::string& sql) {
    pqxx::connection conn(url());
    pqxx::nontransaction tx(conn);
    const auto rows = tx.exec(sql);
    return rows.empty() || rows[0][0].is_null() ? "" : rows[0][0].as<std::string>();
  }
  std::string job(std::int64_t id, const std::string& column) {
    return job_where(std::to_string(id), column);
  }
  // A column of the job whose id is the SQL expression `id`.
  std::string job_where(const std::string& id, const std::string& column) {
    return text("SELECT " + column + "::text FROM daap.jobs WHERE id = " + id);
  }
  void wait_job(std::int64_t id, const std::string& state) {
    ASSERT_TRUE(eventually([&] { return job(id, "state") == state; }, seconds(60)))
        << "job " << id << " is " << job(id, "state") << ": " << job(id, "last_error") << "\n"
        << output();
  }
  // The newest record with this name.
  std::string record(const std::string& name, const std::string& column) {
    return text("SELECT " + column + "::text FROM daap.databases WHERE name = '" + name +
                "' ORDER BY created_at DESC LIMIT 1");
  }
  void wait_status(const std::string& name, const std::string& status) {
    ASSERT_TRUE(eventually([&] { return record(name, "status") == status; }, seconds(60)))
        << name << " is " << record(name, "status") << " (" << record(name, "error_message")
        << ")\n"
        << output();
  }
  std::string output() {
    std::string out;
    for (const auto& w : workers_) {
      if (w) out += w->output();
    }
    return out;
  }

  // The role and database of the newest record with this name ("" while there is none).
  std::string pg_name(const std::string& name) {
    const auto id = record(name, "id");
    return id.empty() ? "" : daap::test::pg_name(name, id);
  }
  std::string secret_name(const std::string& name) {
    return "daap-" + name_and_id(name, record(name, "id"), '-');
  }
  std::int64_t roles(const std::string& name) {
    return query_int(server_url(),
                     "SELECT count(*) FROM pg_roles WHERE rolname = '" + pg_name(name) + "'");
  }
  std::int64_t databases(const std::string& name) {
    return query_int(server_url(),
                     "SELECT count(*) FROM pg_database WHERE datname = '" + pg_name(name) + "'");
  }
  std::filesystem::path secret_path(const std::string& name) {
    return std::filesystem::path(secrets_dir_) / (secret_name(name) + ".json");
  }
  nlohmann::json secret(const std::string& name) {
    std::ifstream in(secret_path(name));
    return nlohmann::json::parse(in);
  }
  // Logs in with the secret's credentials and creates a table.
  void use_database(const std::string& name) {
    const auto s = secret(name);
    pqxx::connection conn(
        "host=" + s["host"].get<std::string>() + " port=" + std::to_string(s["port"].get<int>()) +
        " dbname=" + s["dbname"].get<std::string>() + " user=" + s["user"].get<std::string>() +
        " password=" + s["password"].get<std::string>());
    pqxx::work tx(conn);
    tx.exec("CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY)");
    tx.exec("INSERT INTO orders VALUES (1) ON CONFLICT DO NOTHING");
    tx.commit();
  }
  void expect_ready_and_real(const std::string& name) {
    EXPECT_EQ(record(name, "status"), "ready");
    EXPECT_EQ(record(name, "secret_name"), secret_name(name));
    EXPECT_FALSE(record(name, "host").empty());
    EXPECT_EQ(roles(name), 1);
    EXPECT_EQ(databases(name), 1);
    struct stat st {};
    ASSERT_EQ(::stat(secret_path(name).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600U);
    EXPECT_NO_THROW(use_database(name));
    // Only the secret file holds the password.
    const auto password = secret(name)["password"].get<std::string>();
    EXPECT_EQ(password.size(), 32U);
    EXPECT_EQ(output().find(password), std::string::npos);
    EXPECT_EQ(query_int(url(), "SELECT count(*) FROM daap.jobs WHERE result::text LIKE '%" +
                                   password + "%' OR last_error LIKE '%" + password + "%'"),
              0);
  }
  void expect_gone(const std::string& name) {
    EXPECT_EQ(record(name, "status"), "deleted");
    EXPECT_FALSE(record(name, "deleted_at").empty());
    EXPECT_EQ(roles(name), 0);
    EXPECT_EQ(databases(name), 0);
    EXPECT_FALSE(std::filesystem::exists(secret_path(name)));
  }
  nlohmann::json create_payload(const std::string& name) {
    return {{"name", name}, {"owner_team", "payments"}, {"purpose", "checkout"}};
  }

  FreshDatabase db_;
  std::string secrets_dir_;
  std::vector<std::unique_ptr<WorkerProcess>> workers_;
};

TEST_F(DatabaseLifecycle, CreateUpdateDeleteAndReuseTheName) {
  auto& worker = start_worker();
  const auto name = unique_name("orders");
  const auto create = enqueue("database.create", create_payload(name));
  wait_job(create, "succeeded");
  const auto id = record(name, "id");
  EXPECT_EQ(nlohmann::json::parse(job(create, "result"))["database_id"], id);
  wait_status(name, "ready");
  expect_ready_and_real(name);

  const auto update = enqueue("database.update", {{"database_id", id}, {"owner_team", "core"}});
  wait_job(update, "succeeded");
  EXPECT_EQ(record(name, "owner_team"), "core");

  const auto del = enqueue("database.delete", {{"database_id", id}});
  wait_job(del, "succeeded");
  wait_status(name, "deleted");
  expect_gone(name);

  // The name is free again: a new record, a new database.
  const auto again = enqueue("database.create", create_payload(name));
  wait_job(again, "succeeded");
  wait_status(name, "ready");
  EXPECT_NE(record(name, "id"), id);
  expect_ready_and_real(name);
  stop_worker(worker);
}

TEST_F(DatabaseLifecycle, ADuplicateNameFailsTheSecondCreate) {
  auto& worker = start_worker();
  const auto name = unique_name("dup");
  const auto first = enqueue("database.create", create_payload(name));
  wait_job(first, "succeeded");
  const auto second = enqueue("database.create", create_payload(name));
  wait_job(second, "failed");
  EXPECT_EQ(job(second, "attempt"), "1");
  EXPECT_NE(job(second, "last_error").find("already taken"), std::string::npos);
  wait_status(name, "ready");
  EXPECT_EQ(query_int(url(), "SELECT count(*) FROM daap.databases"), 1);
  EXPECT_EQ(query_int(url(), "SELECT count(*) FROM daap.jobs WHERE kind = 'database.provision'"),
            1);
  stop_worker(worker);
}

TEST_F(DatabaseLifecycle, BadNamesFailAtOnceAndCreateNothing) {
  auto& worker = start_worker();
  const std::vector<std::string> bad = {
      "Orders", std::string(64, 'a'), "", "a\"b", "x'; DROP ROLE daap; --", "a b", "-a"};
  std::vector<std::int64_t> jobs;
  for (const auto& name : bad) jobs.push_back(enqueue("database.create", create_payload(name)));
  for (std::size_t i = 0; i < bad.size(); ++i) {
    wait_job(jobs[i], "failed");
    EXPECT_EQ(job(jobs[i], "attempt"), "1") << bad[i];
    EXPECT_NE(job(jobs[i], "last_error").find("invalid name"), std::string::npos)
        << bad[i] << ": " << job(jobs[i], "last_error");
  }
  EXPECT_EQ(query_int(url(), "SELECT count(*) FROM daap.databases"), 0);
  EXPECT_EQ(query_int(url(), "SELECT count(*) FROM daap.jobs WHERE kind = 'database.provision'"),
            0);
  stop_worker(worker);
}

TEST_F(DatabaseLifecycle, AnUnreachableTargetEndsInErrorAndRetryRecovers) {
  const auto closed = "postgresql://daap@127.0.0.1:" + std::to_string(free_port()) + "/daap";
  auto& failing = start_worker({{"PROVISION_DATABASE_URL", closed}});
  const auto name = unique_name("unreachable");
  const auto create = enqueue("database.create", create_payload(name), 2);
  wait_job(create, "succeeded");
  wait_status(name, "error");
  EXPECT_NE(record(name, "error_message").find("cannot connect to the provisioning target"),
            std::string::npos)
      << record(name, "error_message");
  EXPECT_EQ(query_int(url(),
                      "SELECT count(*) FROM daap.jobs WHERE kind = 'database.provision' "
                      "AND state = 'failed' AND attempt = 2"),
            1);
  EXPECT_EQ(roles(name), 0);
  stop_worker(failing);

  // A record that is not in error cannot be retried.
  const auto other = unique_name("fine");
  auto& worker = start_worker();
  const auto ok = enqueue("database.create", create_payload(other));
  wait_job(ok, "succeeded");
  wait_status(other, "ready");
  const auto refused = run_daapctl(url(), "databases retry " + other);
  EXPECT_EQ(refused.status, 1) << refused.err;
  EXPECT_NE(refused.err.find("is ready"), std::string::npos) << refused.err;

  const auto retried = run_daapctl(url(), "databases retry " + name);
  EXPECT_EQ(retried.status, 0) << retried.err;
  wait_status(name, "ready");
  EXPECT_TRUE(record(name, "error_message").empty());
  expect_ready_and_real(name);
  stop_worker(worker);
}

TEST_F(DatabaseLifecycle, AWorkerKilledMidProvisionLeavesExactlyOneOfEach) {
  const std::map<std::string, std::string> slow = {{"DAAP_TEST_PROVISION_DELAY_MS", "3000"}};
  auto& first = start_worker(slow);
  const auto name = unique_name("killed");
  enqueue("database.create", create_payload(name));
  // The role exists: the worker is inside provision(), sleeping before CREATE DATABASE.
  ASSERT_TRUE(eventually([&] { return roles(name) == 1; }, seconds(30))) << output();
  first.signal(SIGKILL);
  ASSERT_EQ(first.wait_exit(seconds(10)), 128 + SIGKILL);
  EXPECT_EQ(databases(name), 0);

  auto& second = start_worker();
  wait_status(name, "ready");
  expect_ready_and_real(name);
  stop_worker(second);
}

TEST_F(DatabaseLifecycle, AWorkerKilledMidDeprovisionStillRemovesEverything) {
  auto& first = start_worker();
  const auto name = unique_name("killdel");
  enqueue("database.create", create_payload(name));
  wait_status(name, "ready");
  stop_worker(first);

  auto& slow = start_worker({{"DAAP_TEST_PROVISION_DELAY_MS", "3000"}});
  enqueue("database.delete", {{"database_id", record(name, "id")}});
  ASSERT_TRUE(eventually(
      [&] {
        return query_int(url(),
                         "SELECT count(*) FROM daap.jobs WHERE kind = "
                         "'database.deprovision' AND state = 'running'") == 1;
      },
      seconds(30)))
      << output();
  slow.signal(SIGKILL);
  ASSERT_EQ(slow.wait_exit(seconds(10)), 128 + SIGKILL);
  EXPECT_EQ(record(name, "status"), "deleting");

  auto& second = start_worker();
  wait_status(name, "deleted");
  expect_gone(name);
  stop_worker(second);
}

TEST_F(DatabaseLifecycle, AWorkerWarnsAtStartUpOfASecretsDirectoryOthersMayEnter) {
  const std::string warning = "secrets directory is open to group or others";
  auto& closed = start_worker();  // secrets_dir_ is mkdtemp's: 0700
  ASSERT_TRUE(eventually([&] { return output().find("daap-worker starting") != std::string::npos; },
                         seconds(30)));
  stop_worker(closed);
  EXPECT_EQ(output().find(warning), std::string::npos) << output();

  ASSERT_EQ(::chmod(secrets_dir_.c_str(), 0755), 0);
  auto& open = start_worker();
  ASSERT_TRUE(
      eventually([&] { return open.output().find(warning) != std::string::npos; }, seconds(30)))
      << open.output();
  EXPECT_NE(open.output().find("mode=0755"), std::string::npos) << open.output();
  stop_worker(open);
}

TEST_F(DatabaseLifecycle, APasswordReachesNoLogWhenCreatingTheRoleFailsOrSucceeds) {
  LoggingServer target;
  // A provisioning role without CREATEROLE; postgres is open to it (and closed to PUBLIC).
  exec_sql(target.url(),
           "CREATE ROLE weak LOGIN CREATEDB PASSWORD 'weak-pw';"
           "REVOKE CONNECT ON DATABASE postgres, template1 FROM PUBLIC;"
           "GRANT CONNECT ON DATABASE postgres, template1 TO weak");
  auto& weak =
      start_worker({{"PROVISION_DATABASE_URL", target.url_as("weak", "weak-pw", "postgres")}});
  const auto refused = unique_name("refused");
  enqueue("database.create", create_payload(refused), 1);
  wait_status(refused, "error");
  stop_worker(weak);
  const auto provision = "(SELECT id FROM daap.jobs WHERE kind = 'database.provision')";
  const auto error = job_where(provision, "last_error");
  EXPECT_NE(error.find("creating role " + pg_name(refused) + " failed"), std::string::npos)
      << error;
  EXPECT_NE(error.find("(SQLSTATE 42501)"), std::string::npos) << error;
  // The secret was written before the role was tried; its password went nowhere else.
  const auto password = secret(refused)["password"].get<std::string>();
  ASSERT_EQ(password.size(), 32U);
  const auto log = target.log();
  EXPECT_NE(log.find("permission denied to create role"), std::string::npos) << log;
  EXPECT_NE(log.find("STATEMENT:  CREATE ROLE"), std::string::npos) << log;
  EXPECT_EQ(log.find(password), std::string::npos) << log;
  EXPECT_EQ(output().find(password), std::string::npos);
  EXPECT_EQ(error.find(password), std::string::npos);
  EXPECT_EQ(record(refused, "error_message").find(password), std::string::npos);

  // A superuser target: the database is made, the secret logs in, the log holds no password.
  auto& worker = start_worker({{"PROVISION_DATABASE_URL", target.url()}});
  const auto made = unique_name("made");
  enqueue("database.create", create_payload(made));
  wait_status(made, "ready");
  stop_worker(worker);
  const auto s = secret(made);
  const auto made_password = s["password"].get<std::string>();
  pqxx::connection tenant(
      target.url_as(s["user"].get<std::string>(), made_password, s["dbname"].get<std::string>()));
  EXPECT_EQ(pqxx::nontransaction(tenant).query_value<std::string>("SELECT current_user"),
            pg_name(made));
  EXPECT_NE(target.log().find("CREATE ROLE \"" + pg_name(made) + "\""), std::string::npos);
  EXPECT_EQ(target.log().find(made_password), std::string::npos);
  EXPECT_EQ(output().find(made_password), std::string::npos);
}

TEST_F(DatabaseLifecycle, ACancelledProvisionOnAHungTargetEndsAndFreesItsSlot) {
  HungServer target;
  // One slot, a heartbeat every second (it carries the cancellation), and a connect timeout
  // far beyond the test: only the cancellation can end the step.
  auto& worker = start_worker({{"PROVISION_DATABASE_URL", target.url()},
                               {"PROVISION_CONNECT_TIMEOUT", "1h"},
                               {"LEASE_DURATION", "3s"},
                               {"CONCURRENCY", "1"}});
  enqueue("database.create", create_payload(unique_name("hung")));
  ASSERT_TRUE(target.accept_one(seconds(60))) << output();  // the provision step is connecting
  const auto id = job_where("(SELECT id FROM daap.jobs WHERE kind = 'database.provision')", "id");
  ASSERT_EQ(job_where(id, "state"), "running");

  const auto cancel = run_daapctl(url(), "jobs cancel " + id);
  ASSERT_EQ(cancel.status, 0) << cancel.err;
  ASSERT_TRUE(eventually([&] { return job_where(id, "state") == "cancelled"; }, seconds(30)))
      << job_where(id, "state") << ": " << job_where(id, "last_error") << "\n"
      << output();
  EXPECT_NE(job_where(id, "last_error").find("interrupted (cancel)"), std::string::npos)
      << job_where(id, "last_error");

  // Its only slot is free again: the next job runs.
  const auto next = enqueue("noop", nlohmann::json::object());
  wait_job(next, "succeeded");
  stop_worker(worker);
}


// The reconciler --------------------------------------------------------------------------

class Reconcile : public DatabaseLifecycle {
 protected:
  std::string ready(const std::string& stem) {
    const auto name = unique_name(stem);
    const auto create = enqueue("database.create", create_payload(name));
    wait_job(create, "succeeded");
    wait_status(name, "ready");
    return name;
  }
  // `daapctl databases reconcile [key]`, waited for; the job's result.
  nlohmann::json reconcile(const std::string& key = "") {
    const auto r = run_daapctl(url(), "databases reconcile " + key);
    EXPECT_EQ(r.status, 0) << r.err;
    const auto at = r.out.rfind("job ");
    if (at == std::string::npos) return nullptr;
    const auto id = std::stoll(r.out.substr(at + 4));
    wait_job(id, "succeeded");
    return nlohmann::json::parse(job(id, "result"));
  }
  void on_target(const std::string& sql) {
    pqxx::connection conn(server_url());
    pqxx::nontransaction(conn).exec(sql);
  }
};

TEST_F(Reconcile, ADroppedDatabaseMakesItsRecordDegradedSayingSo) {
  auto& worker = start_worker();
  const auto name = ready("dropdb");
  const auto other = ready("intact");
  const auto pg = pg_name(name);
  on_target("DROP DATABASE " + pg + " WITH (FORCE)");
  const auto result = reconcile();
  EXPECT_EQ(record(name, "status"), "degraded");
  EXPECT_EQ(record(name, "error_message"), "database " + pg + " is missing");
  EXPECT_EQ(record(other, "status"), "ready") << "a whole one stays ready";
  EXPECT_EQ(result["checked"], 2);
  ASSERT_EQ(result["degraded"].size(), 1U);
  EXPECT_EQ(result["degraded"][0]["name"], name);
  stop_worker(worker);
}

TEST_F(Reconcile, ADroppedRoleMakesItsRecordDegradedSayingSo) {
  auto& worker = start_worker();
  const auto name = ready("droprole");
  const auto pg = pg_name(name);
  on_target("ALTER DATABASE " + pg + " OWNER TO CURRENT_USER");
  on_target("DROP ROLE " + pg);
  reconcile(name);
  EXPECT_EQ(record(name, "status"), "degraded");
  EXPECT_NE(record(name, "error_message").find("role " + pg + " is missing"), std::string::npos)
      << record(name, "error_message");
  stop_worker(worker);
}

TEST_F(Reconcile, AMissingSecretDegradesARecordThatIsReadyAgainOnceItIsBack) {
  auto& worker = start_worker();
  const auto name = ready("secret");
  const auto path = secret_path(name);
  const auto saved = read_file(path);
  std::filesystem::remove(path);
  reconcile(name);
  EXPECT_EQ(record(name, "status"), "degraded");
  EXPECT_EQ(record(name, "error_message"), "secret file " + path.string() + " is missing");

  std::ofstream(path) << saved;
  std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::owner_write);
  const auto result = reconcile(name);
  EXPECT_EQ(record(name, "status"), "ready");
  EXPECT_EQ(record(name, "error_message"), "");
  ASSERT_EQ(result["recovered"].size(), 1U);
  stop_worker(worker);
}

TEST_F(Reconcile, ASecretThatNoLongerLogsInDegradesItsRecord) {
  auto& worker = start_worker();
  const auto name = ready("password");
  const auto pg = pg_name(name);
  on_target("ALTER ROLE " + pg + " PASSWORD 'changed-by-hand'");
  reconcile(name);
  EXPECT_EQ(record(name, "status"), "degraded");
  EXPECT_NE(record(name, "error_message").find("the secret does not log in"), std::string::npos)
      << record(name, "error_message");
  EXPECT_EQ(record(name, "error_message").find("changed-by-hand"), std::string::npos);
  stop_worker(worker);
}

TEST_F(Reconcile, AnOrphanIsReportedAndLeftInPlace) {
  auto& worker = start_worker();
  const auto name = ready("orphan");
  const auto pg = pg_name(name);
  const auto id = record(name, "id");
  // Its record says deleted (set by hand, not by database.deprovision): what the provisioner
  // made for it is an orphan.
  {
    pqxx::connection conn(url());
    pqxx::nontransaction(conn).exec(
        "UPDATE daap.databases SET status = 'deleted', deleted_at = now() WHERE id = $1",
        pqxx::params{id});
  }
  const auto result = reconcile();
  EXPECT_EQ(result["checked"], 0);
  std::set<std::string> orphans;
  for (const auto& o : result["orphans"]) {
    if (o["database_id"] == id) orphans.insert(o["object"].get<std::string>());
  }
  EXPECT_EQ(orphans, (std::set<std::string>{"database " + pg, "role " + pg}));
  EXPECT_NE(output().find("orphan"), std::string::npos);
  EXPECT_EQ(query_int(server_url(), "SELECT count(*) FROM pg_database WHERE datname = '" + pg +
                                        "'"),
            1)
      << "never dropped";
  EXPECT_EQ(query_int(server_url(), "SELECT count(*) FROM pg_roles WHERE rolname = '" + pg + "'"),
            1);
  stop_worker(worker);
}

}  // namespace
}  // namespace daap::test
