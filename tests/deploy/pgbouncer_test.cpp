// Workers behind a real PgBouncer in transaction pooling mode (Debian's pgbouncer package):
// with --poll-only (no LISTEN, no named prepared statements, transaction-scoped leader lock)
// two daap-worker processes finish every job through it.
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tests/process/worker_process.h"
#include "tests/support/test_database.h"

namespace daap::test {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

// Where the pgbouncer binary is: $PGBOUNCER, Debian's /usr/sbin/pgbouncer, or PATH. Empty
// when none is found (the test then fails saying which package to install).
std::string find_pgbouncer() {
  if (const char* env = std::getenv("PGBOUNCER"); env != nullptr && *env != '\0') {
    return ::access(env, X_OK) == 0 ? env : "";
  }
  std::vector<std::string> dirs = {"/usr/sbin", "/usr/bin"};
  if (const char* path = std::getenv("PATH")) {
    std::stringstream s(path);
    for (std::string dir; std::getline(s, dir, ':');) dirs.push_back(dir);
  }
  for (const auto& dir : dirs) {
    const auto candidate = fs::path(dir) / "pgbouncer";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// The connection parameters of a libpq URL or key=value string, libpq's own parse.
std::map<std::string, std::string> conninfo(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    const std::string message = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    throw std::invalid_argument("cannot parse DATABASE_URL: " + message);
  }
  std::map<std::string, std::string> out;
  for (auto* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr && *o->val != '\0') out[o->keyword] = o->val;
  }
  PQconninfoFree(options);
  return out;
}

// A value quoted for pgbouncer's auth_file: double quotes, inner ones doubled.
std::string auth_file_quote(const std::string& value) {
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// `text` with everything but RFC 3986's unreserved characters percent-encoded (URL parts).
std::string percent_encode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// Server connections pgbouncer keeps per database and user: far fewer than the workers'
// clients (two workers of 10 slots hold 26 pool connections plus 2 maintenance ones).
constexpr int kServerPoolSize = 6;

// A pgbouncer child in pool_mode = transaction on a free loopback port, in front of the
// server of `server_url`, with a userlist holding that URL's user and password. Run as
// `postgres` when this process is root (pgbouncer refuses to run as root).
class PgBouncer {
 public:
  explicit PgBouncer(const std::string& server_url) {
    const std::string binary = find_pgbouncer();
    if (binary.empty()) {
      throw std::runtime_error(
          "pgbouncer not found (looked at $PGBOUNCER, /usr/sbin, /usr/bin and PATH): install "
          "the Debian package pgbouncer");
    }
    const auto params = conninfo(server_url);
    const auto get = [&](const std::string& key, const std::string& fallback) {
      const auto it = params.find(key);
      return it == params.end() ? fallback : it->second;
    };
    user_ = get("user", "");
    password_ = get("password", "");
    dbname_ = get("dbname", user_);
    if (user_.empty() || password_.empty()) {
      throw std::runtime_error(
          "DATABASE_URL must name a user and a password: pgbouncer's auth_file needs them");
    }
    port_ = free_port();

    char dir_template[] = "/tmp/daap-pgbouncer-XXXXXX";
    if (::mkdtemp(dir_template) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = dir_template;
    std::ofstream(dir_ / "userlist.txt")
        << auth_file_quote(user_) << " " << auth_file_quote(password_) << "\n";
    std::ofstream ini(dir_ / "pgbouncer.ini");
    ini << "[databases]\n"
        << "* = host=" << get("host", "127.0.0.1") << " port=" << get("port", "5432") << "\n"
        << "[pgbouncer]\n"
        << "listen_addr = 127.0.0.1\n"
        << "listen_port = " << port_ << "\n"
        << "unix_socket_dir =\n"
        << "auth_type = scram-sha-256\n"
        << "auth_file = " << (dir_ / "userlist.txt").string() << "\n"
        << "pool_mode = transaction\n"
        << "default_pool_size = " << kServerPoolSize << "\n"
        << "max_client_conn = 500\n"
        << "logfile =\n"
        << "pidfile =\n";
    ini.close();

    std::vector<std::string> args = {binary};
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("postgres");
      if (pw == nullptr) {
        throw std::runtime_error(
            "running as root and there is no `postgres` user for pgbouncer to switch to "
            "(pgbouncer refuses to run as root)");
      }
      for (const auto& f : {dir_, dir_ / "userlist.txt", dir_ / "pgbouncer.ini"}) {
        if (::chown(f.c_str(), pw->pw_uid, pw->pw_gid) != 0)
          throw std::runtime_error("chown " + f.string() + " failed");
      }
      args.insert(args.end(), {"-u", "postgres"});
    }
    ::chmod((dir_ / "userlist.txt").c_str(), 0600);
    args.push_back((dir_ / "pgbouncer.ini").string());

    const std::string log_path = (dir_ / "pgbouncer.log").string();
    log_path_ = log_path;
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      std::FILE* log = std::fopen(log_path.c_str(), "w");
      if (log != nullptr) {
        ::dup2(::fileno(log), 1);
        ::dup2(::fileno(log), 2);
      }
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }

  ~PgBouncer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      if (!eventually([&] { return ::waitpid(pid_, &status, WNOHANG) != 0; }, seconds(10))) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  PgBouncer(const PgBouncer&) = delete;
  PgBouncer& operator=(const PgBouncer&) = delete;

  // The URL of database `dbname` through this pgbouncer.
  std::string url() const {
    return "postgresql://" + percent_encode(user_) + ":" + percent_encode(password_) +
           "@127.0.0.1:" + std::to_string(port_) + "/" + percent_encode(dbname_);
  }
  bool running() const {
    int status = 0;
    return ::waitpid(pid_, &status, WNOHANG) == 0;
  }
  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::string user_, password_, dbname_;
  int port_ = 0;
  fs::path dir_;
  std::string log_path_;
  pid_t pid_ = -1;
};

std::int64_t count_state(const std::string& url, const std::string& state) {
  return query_int(url, "SELECT count(*) FROM daap.jobs WHERE state = '" + state + "'");
}

TEST(PgBouncerTransactionPooling, TwoPollOnlyWorkersCompleteEveryJob) {
  FreshDatabase db;
  std::unique_ptr<PgBouncer> bouncer;
  try {
    bouncer = std::make_unique<PgBouncer>(db.url());
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  // Ready when a query goes through it (it authenticates us, then the server).
  const bool up = eventually(
      [&] {
        if (!bouncer->running()) return true;  // reported below
        try {
          return query_int(bouncer->url(), "SELECT 1") == 1;
        } catch (const pqxx::failure&) {
          return false;
        }
      },
      seconds(20));
  ASSERT_TRUE(up && bouncer->running()) << "pgbouncer did not come up:\n" << bouncer->log();
  EXPECT_EQ(query_int(bouncer->url(), "SELECT 1"), 1);

  constexpr int kJobs = 500;
  std::map<std::string, std::string> env = {{"DATABASE_URL", bouncer->url()},
                                            {"LOG_LEVEL", "info"}};
  std::vector<std::unique_ptr<WorkerProcess>> workers;
  for (int i = 0; i < 2; ++i) {
    workers.push_back(std::make_unique<WorkerProcess>(
        // No claim-ahead: claims sized to idle executors, so that both workers share the jobs.
        std::vector<std::string>{"--poll-only", "--poll-interval", "100ms", "--http-addr", "off",
                                 "--prefetch", "0", "--worker-id", "bounced-" + std::to_string(i)},
        env));
  }
  // Both are up (registered through the pooler) before the jobs arrive, so both take part.
  ASSERT_TRUE(eventually(
      [&] { return query_int(db.url(), "SELECT count(*) FROM daap.workers") == 2; }, seconds(30)))
      << "worker 0:\n"
      << workers[0]->output() << "\nworker 1:\n"
      << workers[1]->output() << "\npgbouncer:\n"
      << bouncer->log();
  insert_jobs(db.url(), "noop", kJobs);
  // Sessions on the server for this database, besides the one asking: pgbouncer's.
  std::int64_t most_sessions = 0;
  const bool done = eventually(
      [&] {
        most_sessions = std::max(
            most_sessions,
            query_int(db.url(),
                      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                      "AND pid <> pg_backend_pid()"));
        return count_state(db.url(), "succeeded") == kJobs;
      },
      seconds(120));
  EXPECT_TRUE(done) << "succeeded: " << count_state(db.url(), "succeeded") << " of " << kJobs
                    << "\nworker 0:\n"
                    << workers[0]->output() << "\npgbouncer:\n"
                    << bouncer->log();
  // The workers' connections went through the pooler and shared its few server connections.
  EXPECT_GE(most_sessions, 1);
  EXPECT_LE(most_sessions, kServerPoolSize);
  // Both took part, and nothing failed or was retried along the way.
  EXPECT_EQ(query_int(db.url(), "SELECT count(DISTINCT locked_by) FROM daap.jobs"), 2);
  EXPECT_EQ(query_int(db.url(), "SELECT count(*) FROM daap.jobs WHERE attempt <> 1"), 0);

  for (auto& w : workers) w->signal(SIGTERM);
  for (auto& w : workers) {
    const auto status = w->wait_exit(seconds(30));
    ASSERT_TRUE(status.has_value()) << "no exit 30 s after SIGTERM:\n" << w->output();
    EXPECT_EQ(*status, 0) << w->output();
  }
  // The workers deregistered through the pooler too.
  EXPECT_EQ(query_int(db.url(), "SELECT count(*) FROM daap.workers"), 0);
}

}  // namespace
}  // namespace daap::test
