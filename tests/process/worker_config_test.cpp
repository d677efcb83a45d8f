// Invalid configuration exits with status 2 and one line naming the setting; a password in
// DATABASE_URL is never printed; job lines in the JSON log carry the worker and their level.
#include <signal.h>

#include <sstream>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/process/worker_process.h"
#include "tests/support/test_database.h"

namespace daap::test {
namespace {

using std::chrono::seconds;

constexpr const char* kSecret = "Sup3rSecretPw";
const std::string kUrlWithSecret =
    std::string("postgresql://daap:") + kSecret + "@127.0.0.1:1/daap";

// Runs daap-worker to its exit; returns (status, output).
std::pair<int, std::string> run(const std::vector<std::string>& args,
                                std::map<std::string, std::string> env) {
  WorkerProcess worker(args, env);
  const auto status = worker.wait_exit(seconds(20));
  EXPECT_TRUE(status.has_value()) << worker.output();
  return {status.value_or(-1), worker.output()};
}

int lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

TEST(WorkerConfig, InvalidConcurrencyExitsTwoNamingTheSetting) {
  const auto [status, output] = run({"--concurrency", "0"}, {{"DATABASE_URL", kUrlWithSecret}});
  EXPECT_EQ(status, 2);
  EXPECT_NE(output.find("--concurrency / CONCURRENCY"), std::string::npos) << output;
  EXPECT_EQ(lines(output), 1) << output;
  EXPECT_EQ(output.find(kSecret), std::string::npos) << output;
}

TEST(WorkerConfig, InvalidEnvironmentValueExitsTwoNamingTheVariable) {
  const auto [status, output] =
      run({}, {{"DATABASE_URL", kUrlWithSecret}, {"POLL_INTERVAL", "soon"}});
  EXPECT_EQ(status, 2);
  EXPECT_NE(output.find("POLL_INTERVAL"), std::string::npos) << output;
  EXPECT_EQ(lines(output), 1) << output;
}

TEST(WorkerConfig, ProvisionerSettingsAreCheckedNamingTheSetting) {
  auto [status, output] = run({}, {{"DATABASE_URL", kUrlWithSecret}, {"PROVISIONER", "aws"}});
  EXPECT_EQ(status, 2);
  EXPECT_NE(output.find("--provisioner / PROVISIONER"), std::string::npos) << output;
  std::tie(status, output) =
      run({"--cnpg-storage-size", "lots"}, {{"DATABASE_URL", kUrlWithSecret}});
  EXPECT_EQ(status, 2);
  EXPECT_NE(output.find("--cnpg-storage-size / CNPG_STORAGE_SIZE"), std::string::npos) << output;
  std::tie(status, output) = run({}, {{"DATABASE_URL", kUrlWithSecret}, {"CNPG_INSTANCES", "0"}});
  EXPECT_EQ(status, 2);
  EXPECT_NE(output.find("CNPG_INSTANCES"), std::string::npos) << output;
  EXPECT_EQ(lines(output), 1) << output;
}

TEST(WorkerConfig, ProvisioningTimeLimitsMustBeAtLeastASecond) {
  for (const auto& [flag, env] : std::vector<std::pair<std::string, std::string>>{
           {"--provision-connect-timeout", "PROVISION_CONNECT_TIMEOUT"},
           {"--provision-statement-timeout", "PROVISION_STATEMENT_TIMEOUT"},
           {"--kubectl-request-timeout", "KUBECTL_REQUEST_TIMEOUT"}}) {
    auto [status, output] = run({}, {{"DATABASE_URL", kUrlWithSecret}, {env, "0s"}});
    EXPECT_EQ(status, 2) << env;
    EXPECT_NE(output.find(flag + " / " + env + ": must be at least 1s"), std::string::npos)
        << output;
    std::tie(status, output) = run({flag, "soon"}, {{"DATABASE_URL", kUrlWithSecret}});
    EXPECT_EQ(status, 2) << flag;
    EXPECT_NE(output.find(flag + " / " + env), std::string::npos) << output;
    EXPECT_EQ(lines(output), 1) << output;
  }
}

TEST(WorkerConfig, PoolSmallerThanConcurrencyPlusOwnConnectionsExitsTwo) {
  const auto [status, output] =
      run({"--concurrency", "30"}, {{"DATABASE_URL", kUrlWithSecret}, {"DB_MAX_CONNS", "25"}});
  EXPECT_EQ(status, 2);
  EXPECT_NE(output.find("DB_MAX_CONNS"), std::string::npos) << output;
  EXPECT_NE(output.find("at least 35"), std::string::npos) << output;
  EXPECT_EQ(lines(output), 1) << output;
}

TEST(WorkerConfig, MissingDatabaseUrlExitsTwo) {
  const auto [status, output] = run({}, {{"DATABASE_URL", ""}});
  EXPECT_EQ(status, 2);
  EXPECT_NE(output.find("DATABASE_URL"), std::string::npos) << output;
}

TEST(WorkerConfig, PasswordIsNeverLoggedWhileTheDatabaseIsUnreachable) {
  WorkerProcess worker({}, {{"DATABASE_URL", kUrlWithSecret}, {"HTTP_ADDR", "off"}});
  ASSERT_TRUE(eventually([&] { return worker.output().find("retrying") != std::string::npos; },
                         seconds(20)))
      << worker.output();
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait_exit(seconds(20)), 0) << worker.output();
  EXPECT_NE(worker.output().find("daap:***@127.0.0.1:1"), std::string::npos) << worker.output();
  EXPECT_EQ(worker.output().find(kSecret), std::string::npos) << worker.output();
}

TEST(WorkerConfig, PasswordOfTheRealDatabaseIsNotLogged) {
  FreshDatabase db;
  const auto& url = db.url();
  const auto scheme = url.find("://");
  const auto at = url.find('@', scheme);
  const auto colon = url.find(':', scheme + 3);
  ASSERT_TRUE(at != std::string::npos && colon < at) << "DATABASE_URL has no password";
  const std::string password = url.substr(colon + 1, at - colon - 1);
  auto env = worker_env(url);
  env["LOG_LEVEL"] = "debug";  // every line it can write, the no-op's success line included
  WorkerProcess worker({}, env);
  insert_jobs(url, "noop", 1);
  ASSERT_TRUE(eventually([&] { return worker.output().find("job succeeded") != std::string::npos; },
                         seconds(20)))
      << worker.output();
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait_exit(seconds(20)), 0);
  EXPECT_EQ(worker.output().find(password), std::string::npos);
}

TEST(WorkerLog, JobLinesCarryTheWorkerIdAndInstantSuccessesLogAtDebug) {
  FreshDatabase db;
  const auto& url = db.url();
  create_effects_table(url);
  auto env = worker_env(url);
  env["LOG_FORMAT"] = "json";
  env["LOG_LEVEL"] = "debug";
  WorkerProcess worker({}, env);
  insert_jobs(url, "noop", 1);
  insert_jobs(url, "test.record", 1, R"({"fail_times": 1})");
  insert_jobs(url, "no.such.kind", 1);
  ASSERT_TRUE(eventually(
      [&] {
        return query_int(url, "SELECT count(*) FROM daap.jobs WHERE finished_at IS NOT NULL") == 3;
      },
      seconds(30)))
      << worker.output();
  worker.signal(SIGTERM);
  ASSERT_EQ(worker.wait_exit(seconds(30)), 0) << worker.output();
  const auto worker_id = [&] {
    pqxx::connection conn(url);
    pqxx::read_transaction tx(conn);
    return tx.query_value<std::string>("SELECT DISTINCT locked_by FROM daap.jobs");
  }();

  // kind -> outcome -> level, from every job line.
  std::map<std::string, std::map<std::string, std::string>> levels;
  std::istringstream lines(worker.output());
  for (std::string line; std::getline(lines, line);) {
    const auto entry = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(entry.is_discarded()) << "not JSON: " << line;
    if (!entry.contains("job_id")) continue;
    EXPECT_EQ(entry.value("worker_id", ""), worker_id) << line;
    levels[entry.at("kind").get<std::string>()][entry.at("outcome").get<std::string>()] =
        entry.at("level").get<std::string>();
  }
  using Outcomes = std::map<std::string, std::string>;
  EXPECT_EQ(levels["noop"], (Outcomes{{"succeeded", "debug"}})) << worker.output();
  EXPECT_EQ(levels["test.record"], (Outcomes{{"retried", "warning"}, {"succeeded", "info"}}))
      << worker.output();
  EXPECT_EQ(levels["no.such.kind"], (Outcomes{{"failed", "error"}})) << worker.output();
}

}  // namespace
}  // namespace daap::test
