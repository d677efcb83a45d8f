// daapctl console against a fresh database: every action is checked in the database, every
// refusal by its status and by nothing having changed.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <regex>
#include <string>

#include <gtest/gtest.h>
#include <httplib.h>
#include <pqxx/pqxx>

#include "tests/console/console_process.h"
#include "tests/support/eventually.h"
#include "tests/support/test_database.h"

namespace daap::test {
namespace {

using namespace std::chrono_literals;
using Fields = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kHostile = "<script>alert(1)</script>\"'";
constexpr const char* kHostileEscaped = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;";

std::string form_body(const Fields& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body += '&';
    body += httplib::detail::encode_query_param(name) + "=" +
            httplib::detail::encode_query_param(value);
  }
  return body;
}

// The text of `<td data-col="COL">` in the row whose opening tag contains `row`.
std::string cell(const std::string& html, const std::string& row, const std::string& col) {
  const auto start = html.find(row);
  if (start == std::string::npos) return "<no row " + row + ">";
  const auto end = html.find("</tr>", start);
  const auto tr = html.substr(start, end - start);
  std::smatch m;
  const std::regex td("<td data-col=\"" + col + "\">([^<]*)</td>");
  if (!std::regex_search(tr, m, td)) return "<no cell " + col + ">";
  return m[1].str();
}

class ConsoleTest : public ::testing::Test {
 protected:
  // Starts the console on a free loopback port with `args` and `env`, and a client for it.
  void start(std::vector<std::string> args = {}, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), {"--addr", "127.0.0.1:0"});
    env["DATABASE_URL"] = db_.url();
    console_ = std::make_unique<ConsoleProcess>(args, env);
    const auto port = console_->wait_listening(30s);
    ASSERT_TRUE(port) << console_->out() << console_->err();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", *port);
    client_->set_read_timeout(std::chrono::seconds(30));
  }

  httplib::Headers cookie_headers() const {
    httplib::Headers h;
    if (!cookie_.empty()) h.emplace("Cookie", cookie_);
    return h;
  }

  void keep_cookie(const httplib::Result& res) {
    if (!res) return;
    const auto set = res->get_header_value("Set-Cookie");
    if (!set.empty()) cookie_ = set.substr(0, set.find(';'));
  }

  // GET with the session cookie; remembers a new cookie and the page's CSRF token.
  httplib::Result get(const std::string& path) {
    auto res = client_->Get(path, cookie_headers());
    keep_cookie(res);
    if (res) {
      std::smatch m;
      static const std::regex csrf("name=\"csrf\" value=\"([0-9a-f]+)\"");
      if (std::regex_search(res->body, m, csrf)) csrf_ = m[1].str();
    }
    return res;
  }

  // POST a form with the session cookie (and the CSRF token of the last page when `with_csrf`).
  httplib::Result post(const std::string& path, Fields fields = {}, bool with_csrf = true) {
    if (with_csrf) fields.emplace_back("csrf", csrf_);
    auto res = client_->Post(path, cookie_headers(), form_body(fields),
                             "application/x-www-form-urlencoded");
    keep_cookie(res);
    return res;
  }

  // Runs one statement in its own transaction; returns its single value.
  template <typename T>
  T value(const std::string& sql, const pqxx::params& params = {}) {
    pqxx::connection conn(db_.url());
    pqxx::work tx(conn);
    auto v = tx.query_value<T>(sql, params);
    tx.commit();
    return v;
  }

  void exec(const std::string& sql, const pqxx::params& params = {}) {
    pqxx::connection conn(db_.url());
    pqxx::work tx(conn);
    tx.exec(sql, params);
    tx.commit();
  }

  // A job in `state` (finished `minutes_ago` when finished), consistent with it.
  std::int64_t insert_job(const std::string& state, const std::string& queue = "default",
                          const std::string& kind = "noop", int minutes_ago = 0) {
    return value<std::int64_t>(
        "INSERT INTO daap.jobs (kind, queue, state, attempt, created_at, run_at, started_at, "
        "  finished_at, locked_by, lease_expires_at, last_error) "
        "SELECT $1, $2, $3::text, CASE WHEN $3 = 'available' THEN 0 ELSE 1 END, t, t, "
        "  CASE WHEN $3 <> 'available' THEN t END, "
        "  CASE WHEN $3 IN ('succeeded', 'failed', 'cancelled') THEN t END, "
        "  CASE WHEN $3 = 'running' THEN 'test-worker' END, "
        "  CASE WHEN $3 = 'running' THEN now() + interval '5 minutes' END, "
        "  CASE WHEN $3 = 'failed' THEN 'boom' END "
        "FROM (SELECT now() - make_interval(mins => $4) AS t) times RETURNING id",
        pqxx::params{kind, queue, state, minutes_ago});
  }

  std::string state_of(std::int64_t id) {
    return value<std::string>("SELECT state FROM daap.jobs WHERE id = $1", pqxx::params{id});
  }

  FreshDatabase db_;
  std::unique_ptr<ConsoleProcess> console_;
  std::unique_ptr<httplib::Client> client_;
  std::string cookie_;
  std::string csrf_;
};

TEST_F(ConsoleTest, RetryOfAFailedJobMakesItAvailable) {
  const auto id = insert_job("failed");
  start();
  const auto page = get("/jobs/" + std::to_string(id));
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("data-action=\"retry\""), std::string::npos);
  const auto res =
      post("/jobs/" + std::to_string(id) + "/retry", {{"back", "/jobs/" + std::to_string(id)}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 303);
  EXPECT_EQ(res->get_header_value("Location"), "/jobs/" + std::to_string(id));
  EXPECT_EQ(state_of(id), "available");
  const auto after = get("/jobs/" + std::to_string(id));
  EXPECT_NE(
      after->body.find("<p id=\"flash\">job " + std::to_string(id) + ": failed → available</p>"),
      std::string::npos)
      << after->body;
}

TEST_F(ConsoleTest, PauseSetsPausedAtAndResumeClearsIt) {
  insert_job("available", "mail");
  start();
  get("/");
  auto res = post("/queues/mail/pause");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 303);
  EXPECT_TRUE(value<bool>("SELECT paused_at IS NOT NULL FROM daap.queues WHERE name = 'mail'"));
  const auto overview = get("/");
  EXPECT_EQ(cell(overview->body, "data-queue=\"mail\"", "paused"), "yes");
  EXPECT_NE(overview->body.find("/queues/mail/resume"), std::string::npos);
  res = post("/queues/mail/resume");
  EXPECT_TRUE(value<bool>("SELECT paused_at IS NULL FROM daap.queues WHERE name = 'mail'"));
}

TEST_F(ConsoleTest, LimitSetsMaxRunningAndEmptyClearsIt) {
  insert_job("available", "mail");
  start();
  get("/");
  auto res = post("/queues/mail/limit", {{"max_running", "3"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 303);
  EXPECT_EQ(value<int>("SELECT max_running FROM daap.queues WHERE name = 'mail'"), 3);
  EXPECT_EQ(cell(get("/")->body, "data-queue=\"mail\"", "max_running"), "3");
  post("/queues/mail/limit", {{"max_running", ""}});
  EXPECT_TRUE(value<bool>("SELECT max_running IS NULL FROM daap.queues WHERE name = 'mail'"));
  EXPECT_EQ(post("/queues/mail/limit", {{"max_running", "0"}})->status, 400);
  EXPECT_TRUE(value<bool>("SELECT max_running IS NULL FROM daap.queues WHERE name = 'mail'"));
}

TEST_F(ConsoleTest, BulkRetryByFilterChangesExactlyTheFilteredRows) {
  // Interleaved, so that the other jobs lie between the selected ids.
  insert_job("failed", "default", "report.build");
  insert_job("failed", "default", "mail.send");
  const auto cancelled = insert_job("cancelled", "default", "mail.send");
  insert_job("failed", "default", "report.build");
  insert_job("failed", "default", "mail.send");
  insert_job("failed", "default", "mail.send");
  start();
  get("/jobs?state=failed&kind=mail.send");
  const Fields filter = {{"state", "failed"}, {"kind", "mail.send"}, {"action", "retry"}};
  const auto confirm = post("/jobs/bulk", filter);
  ASSERT_TRUE(confirm);
  ASSERT_EQ(confirm->status, 200) << confirm->body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(confirm->body, m,
                                std::regex("<strong id=\"confirm-count\">(\\d+)</strong>")));
  EXPECT_EQ(std::stoll(m[1].str()),
            value<std::int64_t>("SELECT count(*) FROM daap.jobs WHERE state = 'failed' AND "
                                "kind = 'mail.send'"));
  EXPECT_EQ(value<std::int64_t>("SELECT count(*) FROM daap.jobs WHERE state = 'available'"), 0)
      << "the confirmation page changed something";
  ASSERT_TRUE(std::regex_search(confirm->body, m, std::regex("name=\"up_to\" value=\"(\\d+)\"")));
  Fields go = filter;
  go.emplace_back("confirm", "yes");
  go.emplace_back("up_to", m[1].str());
  const auto done = post("/jobs/bulk", go);
  ASSERT_EQ(done->status, 303);
  EXPECT_EQ(done->get_header_value("Location"), "/jobs?state=failed&kind=mail.send");
  EXPECT_EQ(value<std::int64_t>("SELECT count(*) FROM daap.jobs WHERE state = 'available' AND "
                                "kind = 'mail.send'"),
            3);
  EXPECT_EQ(value<std::int64_t>("SELECT count(*) FROM daap.jobs WHERE state = 'failed' AND "
                                "kind = 'report.build'"),
            2);
  EXPECT_EQ(state_of(cancelled), "cancelled");
  const auto list = get("/jobs?state=failed&kind=mail.send");
  EXPECT_NE(list->body.find("<p id=\"flash\">retry: 3 changed, 0 skipped</p>"), std::string::npos)
      << list->body;
}

TEST_F(ConsoleTest, PostWithoutOrWithAWrongCsrfTokenIsForbiddenAndChangesNothing) {
  const auto id = insert_job("failed");
  start();
  get("/");
  const auto path = "/jobs/" + std::to_string(id) + "/retry";
  const auto without = post(path, {}, /*with_csrf=*/false);
  ASSERT_TRUE(without);
  EXPECT_EQ(without->status, 403);
  const auto wrong = post(path, {{"csrf", std::string(64, 'a')}}, /*with_csrf=*/false);
  EXPECT_EQ(wrong->status, 403);
  const auto no_session =
      client_->Post(path, form_body({{"csrf", csrf_}}), "application/x-www-form-urlencoded");
  EXPECT_EQ(no_session->status, 403);
  EXPECT_EQ(post("/queues/default/pause", {}, false)->status, 403);
  EXPECT_EQ(state_of(id), "failed");
  EXPECT_TRUE(value<bool>("SELECT paused_at IS NULL FROM daap.queues WHERE name = 'default'"));
}

TEST_F(ConsoleTest, WithATokenPagesNeedALoginWithIt) {
  const auto id = insert_job("failed");
  start({}, {{"CONSOLE_TOKEN", "s3cret-token"}});
  auto res = client_->Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 303);
  EXPECT_EQ(res->get_header_value("Location"), "/login");
  EXPECT_EQ(client_->Get("/jobs/" + std::to_string(id))->status, 303);
  EXPECT_EQ(client_
                ->Post("/jobs/" + std::to_string(id) + "/retry", "csrf=x",
                       "application/x-www-form-urlencoded")
                ->status,
            401);
  EXPECT_EQ(client_->Get("/healthz")->status, 200);
  EXPECT_EQ(client_->Get("/static/console.css")->status, 200);
  const auto login = client_->Get("/login");
  EXPECT_EQ(login->status, 200);
  EXPECT_NE(login->body.find("<form id=\"login\""), std::string::npos);

  const auto wrong = post("/login", {{"token", "s3cret-tokeN"}}, false);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_NE(wrong->body.find("id=\"error\""), std::string::npos);
  EXPECT_TRUE(cookie_.empty());

  const auto right = post("/login", {{"token", "s3cret-token"}}, false);
  EXPECT_EQ(right->status, 303);
  const auto set_cookie = right->get_header_value("Set-Cookie");
  EXPECT_EQ(set_cookie.rfind("daap_console=", 0), 0U) << set_cookie;
  EXPECT_NE(set_cookie.find("; HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; SameSite=Strict"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; Path=/"), std::string::npos) << set_cookie;
  EXPECT_EQ(get("/")->status, 200);
  EXPECT_EQ(post("/jobs/" + std::to_string(id) + "/retry")->status, 303);
  EXPECT_EQ(state_of(id), "available");
}

TEST_F(ConsoleTest, ANonLoopbackAddressWithoutATokenExitsNamingConsoleToken) {
  ConsoleProcess console({"--addr", "0.0.0.0:0"}, {{"DATABASE_URL", db_.url()}});
  EXPECT_EQ(console.wait_exit(30s), 2);
  EXPECT_NE(console.err().find("CONSOLE_TOKEN"), std::string::npos) << console.err();
  EXPECT_EQ(console.out().find("console listening"), std::string::npos);
}

TEST_F(ConsoleTest, ReadOnlyRendersNoActionFormAndRefusesPosts) {
  const auto id = insert_job("failed", "mail");
  exec(
      "INSERT INTO daap.databases (name, owner_team, status, error_message) "
      "VALUES ('orders', 'shop', 'error', 'no space')");
  start({"--read-only"});
  for (const std::string& path : std::vector<std::string>{
           "/", "/jobs?state=failed", "/jobs/" + std::to_string(id), "/periodic", "/databases"}) {
    const auto res = get(path);
    ASSERT_EQ(res->status, 200) << path;
    EXPECT_EQ(res->body.find("method=\"post\""), std::string::npos) << path;
    EXPECT_EQ(res->body.find("name=\"csrf\""), std::string::npos) << path;
  }
  // The CSRF token is right; read-only refuses anyway.
  csrf_ = "";
  get("/");
  EXPECT_EQ(post("/jobs/" + std::to_string(id) + "/retry")->status, 403);
  EXPECT_EQ(post("/queues/mail/pause")->status, 403);
  EXPECT_EQ(state_of(id), "failed");
  EXPECT_TRUE(value<bool>("SELECT paused_at IS NULL FROM daap.queues WHERE name = 'mail'"));
}

TEST_F(ConsoleTest, HostileValuesComeBackEscapedOnEveryPage) {
  const auto id = value<std::int64_t>(
      "INSERT INTO daap.jobs (kind, queue, state, attempt, started_at, finished_at, last_error, "
      "  payload, errors) "
      "VALUES ($1, $1, 'failed', 1, now(), now(), $1, jsonb_build_object($1::text, $1::text), "
      "  jsonb_build_array(jsonb_build_object('attempt', 1, 'at', now(), 'error', $1::text))) "
      "RETURNING id",
      pqxx::params{std::string(kHostile)});
  start();
  for (const auto& path : {std::string("/"), std::string("/jobs"), "/jobs/" + std::to_string(id),
                           "/jobs?kind=" + httplib::detail::encode_query_param(kHostile)}) {
    const auto res = get(path);
    ASSERT_EQ(res->status, 200) << path;
    EXPECT_EQ(res->body.find("<script"), std::string::npos) << path;
    EXPECT_EQ(res->body.find("alert(1)</"), std::string::npos) << path;
    EXPECT_NE(res->body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos) << path;
  }
  EXPECT_NE(get("/jobs")->body.find(kHostileEscaped), std::string::npos);
  // The filter value echoed into its input, and into the bulk form.
  const auto filtered = get("/jobs?kind=" + httplib::detail::encode_query_param(kHostile));
  EXPECT_NE(filtered->body.find("value=\"" + std::string(kHostileEscaped) + "\""),
            std::string::npos);
}

TEST_F(ConsoleTest, EveryResponseCarriesTheSecurityHeaders) {
  const auto id = insert_job("failed");
  start();
  get("/");
  std::vector<httplib::Result> responses;
  for (const std::string path : {"/", "/jobs", "/databases", "/periodic", "/jobs/999999",
                                 "/nowhere", "/healthz", "/static/console.css"}) {
    responses.push_back(get(path));
  }
  responses.push_back(get("/jobs/" + std::to_string(id)));
  responses.push_back(post("/queues/default/pause"));
  responses.push_back(post("/jobs/1/retry", {}, false));
  for (const auto& res : responses) {
    ASSERT_TRUE(res);
    EXPECT_EQ(res->get_header_value("Content-Security-Policy"),
              "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        << res->status;
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(res->get_header_value("Referrer-Policy"), "no-referrer");
    EXPECT_EQ(res->get_header_value_count("Content-Security-Policy"), 1U);
  }
  EXPECT_EQ(get("/")->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(get("/jobs")->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(get("/healthz")->body, "ok");
}

TEST_F(ConsoleTest, UnknownJobRecordAndPathAre404) {
  insert_job("available");  // a queue, so that the overview has a form (and its CSRF token)
  start();
  EXPECT_EQ(get("/jobs/424242")->status, 404);
  EXPECT_EQ(get("/databases/00000000-0000-0000-0000-000000000000")->status, 404);
  EXPECT_EQ(get("/databases/not-a-uuid")->status, 404);
  EXPECT_EQ(get("/no/such/page")->status, 404);
  get("/");
  EXPECT_EQ(post("/jobs/424242/retry")->status, 404);
  EXPECT_EQ(post("/periodic/nope/enable")->status, 404);
}

TEST_F(ConsoleTest, OverviewNumbersEqualSqlCounts) {
  for (int i = 0; i < 4; ++i) insert_job("available", "mail");
  exec(
      "INSERT INTO daap.jobs (kind, queue, run_at) VALUES ('noop', 'mail', now() + interval "
      "'1 hour'), ('noop', 'mail', now() + interval '2 hours')");
  insert_job("running", "mail");
  for (int i = 0; i < 3; ++i) insert_job("succeeded", "mail", "noop", 10);
  insert_job("succeeded", "mail", "noop", 120);
  insert_job("succeeded", "mail", "noop", 60 * 30);
  insert_job("failed", "mail", "noop", 5);
  for (int i = 0; i < 2; ++i) insert_job("failed", "mail", "noop", 300);
  insert_job("available", "reports", "noop", 30);
  insert_job("failed", "reports", "noop", 30);
  start();
  const auto page = get("/");
  ASSERT_EQ(page->status, 200);
  const auto count = [&](const std::string& queue, const std::string& where) {
    return std::to_string(value<std::int64_t>(
        "SELECT count(*) FROM daap.jobs WHERE queue = $1 AND " + where, pqxx::params{queue}));
  };
  for (const std::string queue : {"mail", "reports"}) {
    const auto row = "data-queue=\"" + queue + "\"";
    EXPECT_EQ(cell(page->body, row, "due"),
              count(queue, "state = 'available' AND run_at <= now()"));
    EXPECT_EQ(cell(page->body, row, "scheduled"),
              count(queue, "state = 'available' AND run_at > now()"));
    EXPECT_EQ(cell(page->body, row, "running"), count(queue, "state = 'running'"));
    EXPECT_EQ(cell(page->body, row, "succeeded_1h"),
              count(queue, "state = 'succeeded' AND finished_at > now() - interval '1 hour'"));
    EXPECT_EQ(cell(page->body, row, "failed_1h"),
              count(queue, "state = 'failed' AND finished_at > now() - interval '1 hour'"));
    EXPECT_EQ(cell(page->body, row, "succeeded_24h"),
              count(queue, "state = 'succeeded' AND finished_at > now() - interval '24 hours'"));
    EXPECT_EQ(cell(page->body, row, "failed_24h"),
              count(queue, "state = 'failed' AND finished_at > now() - interval '24 hours'"));
    EXPECT_EQ(cell(page->body, row, "paused"), "no");
    EXPECT_EQ(cell(page->body, row, "max_running"), "none");
  }
  EXPECT_EQ(cell(page->body, "data-queue=\"mail\"", "due"), "4");
  EXPECT_EQ(cell(page->body, "data-queue=\"mail\"", "succeeded_1h"), "3");
  EXPECT_EQ(cell(page->body, "data-queue=\"mail\"", "failed_24h"), "3");
  const auto age = std::stoll(cell(page->body, "data-queue=\"reports\"", "oldest_due_age"));
  EXPECT_GE(age, 30 * 60);
  EXPECT_LT(age, 31 * 60);
  EXPECT_NE(page->body.find("<svg id=\"throughput\""), std::string::npos);
  EXPECT_NE(page->body.find("<table id=\"workers\""), std::string::npos);
}

TEST_F(ConsoleTest, OverviewCountsOlderThanTheMaximumAgeAreReadAgain) {
  insert_job("available", "mail");
  start({"--overview-max-age", "200ms"});
  EXPECT_EQ(cell(get("/")->body, "data-queue=\"mail\"", "due"), "1");
  insert_job("available", "mail");
  insert_job("available", "mail");
  EXPECT_TRUE(eventually([&] { return cell(get("/")->body, "data-queue=\"mail\"", "due") == "3"; },
                         20s, 100ms));
}

TEST_F(ConsoleTest, WithoutAMaximumAgeEveryOverviewReadsTheCountsNow) {
  insert_job("available", "mail");
  start({"--overview-max-age", "0"});
  EXPECT_EQ(cell(get("/")->body, "data-queue=\"mail\"", "due"), "1");
  insert_job("available", "mail");
  EXPECT_EQ(cell(get("/")->body, "data-queue=\"mail\"", "due"), "2");
}

TEST_F(ConsoleTest, RetryOfAnErrorRecordMakesItProvisioningWithAProvisionJob) {
  const auto id = value<std::string>(
      "INSERT INTO daap.databases (name, owner_team, status, error_message) "
      "VALUES ('orders', 'shop', 'error', 'disk full') RETURNING id::text");
  const auto ready = value<std::string>(
      "INSERT INTO daap.databases (name, owner_team, status, host, port, secret_name) "
      "VALUES ('carts', 'shop', 'ready', 'db.internal', 5432, 'carts-secret') RETURNING id::text");
  start();
  const auto list = get("/databases?owner_team=shop");
  ASSERT_EQ(list->status, 200);
  EXPECT_EQ(cell(list->body, "data-database-id=\"" + ready + "\"", "secret_name"), "carts-secret");
  EXPECT_EQ(get("/databases/" + ready)->body.find("data-action=\"retry\""), std::string::npos);
  const auto page = get("/databases/" + id);
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("data-action=\"retry\""), std::string::npos);
  const auto res = post("/databases/" + id + "/retry", {{"back", "/databases/" + id}});
  ASSERT_EQ(res->status, 303);
  EXPECT_EQ(
      value<std::string>("SELECT status FROM daap.databases WHERE id = $1::uuid", pqxx::params{id}),
      "provisioning");
  EXPECT_EQ(value<std::int64_t>("SELECT count(*) FROM daap.jobs WHERE kind = "
                                "'database.provision' AND database_id = $1::uuid",
                                pqxx::params{id}),
            1);
  // Retrying again is refused by its status, and says so.
  EXPECT_EQ(post("/databases/" + id + "/retry", {{"back", "/databases/" + id}})->status, 303);
  const auto after = get("/databases/" + id);
  EXPECT_NE(after->body.find("only a database in error can be retried"), std::string::npos);
  EXPECT_EQ(value<std::int64_t>("SELECT count(*) FROM daap.jobs WHERE database_id = $1::uuid",
                                pqxx::params{id}),
            1);
}

TEST_F(ConsoleTest, PeriodicJobsCanBeDisabledEnabledAndRunNow) {
  exec("SELECT daap.add_periodic_job('nightly.report', '0 3 * * *', 'noop')");
  start();
  const auto page = get("/periodic");
  ASSERT_EQ(page->status, 200);
  const auto row = std::string("data-periodic=\"nightly.report\"");
  EXPECT_EQ(cell(page->body, row, "enabled"), "yes");
  EXPECT_EQ(cell(page->body, row, "schedule"), "0 3 * * *");
  const auto base = std::string("/periodic/nightly.report");
  EXPECT_EQ(post(base + "/disable")->status, 303);
  EXPECT_FALSE(value<bool>("SELECT enabled FROM daap.periodic_jobs WHERE name = 'nightly.report'"));
  EXPECT_EQ(cell(get("/periodic")->body, row, "enabled"), "no");
  EXPECT_EQ(post(base + "/enable")->status, 303);
  EXPECT_TRUE(value<bool>("SELECT enabled FROM daap.periodic_jobs WHERE name = 'nightly.report'"));
  const auto before = value<std::int64_t>("SELECT count(*) FROM daap.jobs WHERE kind = 'noop'");
  EXPECT_EQ(post(base + "/run-now")->status, 303);
  EXPECT_EQ(value<std::int64_t>("SELECT count(*) FROM daap.jobs WHERE kind = 'noop'"), before + 1);
}

TEST_F(ConsoleTest, CancelRunNowAndDeleteAJobThroughItsPage) {
  const auto scheduled = value<std::int64_t>(
      "INSERT INTO daap.jobs (kind, run_at) VALUES ('noop', now() + interval '1 day') "
      "RETURNING id");
  const auto available = insert_job("available");
  const auto done = insert_job("succeeded");
  start();
  get("/jobs/" + std::to_string(scheduled));
  EXPECT_EQ(post("/jobs/" + std::to_string(scheduled) + "/run-now")->status, 303);
  EXPECT_TRUE(
      value<bool>("SELECT run_at <= now() FROM daap.jobs WHERE id = $1", pqxx::params{scheduled}));
  EXPECT_EQ(post("/jobs/" + std::to_string(available) + "/cancel")->status, 303);
  EXPECT_EQ(state_of(available), "cancelled");
  const auto res = post("/jobs/" + std::to_string(done) + "/delete",
                        {{"back", "/jobs/" + std::to_string(done)}});
  EXPECT_EQ(res->status, 303);
  EXPECT_EQ(res->get_header_value("Location"), "/jobs");
  EXPECT_EQ(value<std::int64_t>("SELECT count(*) FROM daap.jobs WHERE id = $1", pqxx::params{done}),
            0);
  // A page's "back" that leaves the site is not followed.
  const auto away =
      post("/jobs/" + std::to_string(available) + "/retry", {{"back", "//evil.example/"}});
  EXPECT_EQ(away->get_header_value("Location"), "/");
}

TEST_F(ConsoleTest, JobsArePagedNewestFirstFiftyAPage) {
  exec("INSERT INTO daap.jobs (kind) SELECT 'noop' FROM generate_series(1, 60)");
  const auto newest = value<std::int64_t>("SELECT max(id) FROM daap.jobs");
  start();
  const auto first = get("/jobs?kind=noop");
  ASSERT_EQ(first->status, 200);
  std::smatch m;
  std::vector<std::int64_t> ids;
  const std::regex row("<tr data-job-id=\"(\\d+)\"");
  for (auto it = std::sregex_iterator(first->body.begin(), first->body.end(), row);
       it != std::sregex_iterator(); ++it) {
    ids.push_back(std::stoll((*it)[1].str()));
  }
  ASSERT_EQ(ids.size(), 50U);
  EXPECT_EQ(ids.front(), newest);
  EXPECT_TRUE(std::is_sorted(ids.rbegin(), ids.rend()));
  ASSERT_TRUE(std::regex_search(first->body, m, std::regex("<a rel=\"next\" href=\"([^\"]+)\"")));
  auto next = m[1].str();
  for (std::size_t at = next.find("&amp;"); at != std::string::npos; at = next.find("&amp;")) {
    next.replace(at, 5, "&");
  }
  EXPECT_EQ(next, "/jobs?kind=noop&before=" + std::to_string(ids.back()));
  const auto second = get(next);
  ASSERT_EQ(second->status, 200);
  EXPECT_EQ(std::distance(std::sregex_iterator(second->body.begin(), second->body.end(), row),
                          std::sregex_iterator()),
            10);
  EXPECT_EQ(second->body.find("rel=\"next\""), std::string::npos);
}

TEST_F(ConsoleTest, ReplicasShowTheirRunningJobsAndTheLeader) {
  exec(
      "INSERT INTO daap.workers (id, hostname, pid, version, queues, concurrency) VALUES "
      "('w-1', 'host-a', 10, '0.1.0', ARRAY['default', 'mail'], 8), "
      "('w-2', 'host-b', 11, '0.1.0', ARRAY['default'], 4)");
  exec(
      "INSERT INTO daap.leaders (name, holder, term, acquired_at, expires_at) "
      "VALUES ('maintenance', 'w-2', 1, now(), now() + interval '1 minute')");
  exec(
      "INSERT INTO daap.jobs (kind, state, attempt, started_at, locked_by, lease_expires_at) "
      "SELECT 'noop', 'running', 1, now(), 'w-1', now() + interval '5 minutes' "
      "FROM generate_series(1, 3)");
  start();
  const auto page = get("/")->body;
  EXPECT_EQ(cell(page, "data-worker-id=\"w-1\"", "host"), "host-a");
  EXPECT_EQ(cell(page, "data-worker-id=\"w-1\"", "queues"), "default, mail");
  EXPECT_EQ(cell(page, "data-worker-id=\"w-1\"", "concurrency"), "8");
  EXPECT_EQ(cell(page, "data-worker-id=\"w-1\"", "running"), "3");
  EXPECT_EQ(cell(page, "data-worker-id=\"w-1\"", "leader"), "");
  EXPECT_EQ(cell(page, "data-worker-id=\"w-2\"", "running"), "0");
  EXPECT_EQ(cell(page, "data-worker-id=\"w-2\"", "leader"), "yes");
}

TEST_F(ConsoleTest, AQueryPastTheStatementTimeoutGivesAnErrorPageNotAHang) {
  insert_job("available");
  start();
  pqxx::connection blocker(db_.url());
  pqxx::work lock(blocker);
  lock.exec("LOCK TABLE daap.queues IN ACCESS EXCLUSIVE MODE");
  const auto res = get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_NE(res->body.find("statement_timeout"), std::string::npos) << res->body;
  lock.abort();
  EXPECT_EQ(get("/")->status, 200);
}

TEST_F(ConsoleTest, SigtermStopsItCleanly) {
  start();
  EXPECT_EQ(get("/healthz")->status, 200);
  console_->signal(SIGTERM);
  EXPECT_EQ(console_->wait_exit(30s), 0);
}

}  // namespace
}  // namespace daap::test
