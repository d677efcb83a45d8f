#include "worker/console/server.h"

#include <arpa/inet.h>

#include <functional>
#include <regex>

#include <httplib.h>
#include <pqxx/pqxx>

#include "queue/admin.h"
#include "queue/periodic_jobs.h"
#include "queue/queues.h"
#include "schema/database_repository.h"
#include "worker/admin/database_retry.h"
#include "worker/config.h"
#include "worker/console/assets.h"
#include "worker/console/html.h"
#include "worker/console/overview_cache.h"
#include "worker/console/pages.h"
#include "worker/console/session.h"
#include "worker/pool.h"

namespace daap::worker::console {
namespace {

constexpr const char* kHtml = "text/html; charset=utf-8";
// Handler threads, and the connections they share: an admin tool, not a public site.
constexpr int kThreads = 4;

// A request that passed the session (and, for a POST, the CSRF) check.
struct Visit {
  Session session;
  PageContext ctx;
  Params form;  // a POST's fields
};

void set_security_headers(httplib::Response& res) {
  for (const auto& [name, value] : std::initializer_list<std::pair<const char*, const char*>>{
           {"Content-Security-Policy", kContentSecurityPolicy},
           {"X-Content-Type-Options", "nosniff"},
           {"Referrer-Policy", "no-referrer"},
           {"X-Frame-Options", "DENY"}}) {
    if (!res.has_header(name)) res.set_header(name, value);
  }
}

void set_session_cookie(httplib::Response& res, const Session& session) {
  res.set_header("Set-Cookie", std::string(kSessionCookie) + "=" + session.id +
                                   "; HttpOnly; SameSite=Strict; Path=/; Max-Age=" +
                                   std::to_string(std::chrono::seconds(kSessionLifetime).count()));
}

void see_other(httplib::Response& res, const std::string& location) {
  res.status = 303;
  res.set_header("Location", location);
}

// Where an action returns: the form's `back` when it is a path of this site, else `fallback`.
std::string back_to(const Params& form, const std::string& fallback) {
  const auto back = param(form, "back");
  const bool local = back.size() >= 1 && back[0] == '/' && (back.size() < 2 || back[1] != '/') &&
                     back.find_first_of("\\\r\n") == std::string::npos;
  return local ? back : fallback;
}

queue::BulkAction job_action(const std::string& name) {
  if (name == "retry") return queue::BulkAction::retry;
  if (name == "cancel") return queue::BulkAction::cancel;
  if (name == "run-now") return queue::BulkAction::run_now;
  return queue::BulkAction::remove;
}

}  // namespace

void limit_statements(pqxx::transaction_base& tx) {
  tx.exec("SET LOCAL statement_timeout = " + std::to_string(kStatementTimeout.count()));
}

bool is_loopback(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  return false;
}

struct ConsoleServer::State {
  ConsoleConfig config;
  ConnectionPool pool;
  SessionStore sessions;
  OverviewCache overview;
  httplib::Server server;

  explicit State(ConsoleConfig c)
      : config(std::move(c)),
        pool(pool_config(config.database_url)),
        overview(pool, config.overview_max_age) {}

  static PoolConfig pool_config(const std::string& url) {
    PoolConfig c;
    c.url = url;
    c.max_conns = kThreads + 1;  // one more for the overview's background read
    c.min_conns = 0;
    c.acquire_timeout = std::chrono::seconds(10);
    return c;
  }

  using Handler = std::function<void(const httplib::Request&, httplib::Response&, Visit&)>;

  // The checks every page and action passes before `handler` runs, and the error pages.
  void serve_visit(const httplib::Request& req, httplib::Response& res, const Handler& handler) {
    const bool post = req.method == "POST";
    auto session = sessions.find(cookie_value(req.get_header_value("Cookie"), kSessionCookie));
    if (config.token && !(session && session->authenticated)) {
      if (post) {
        res.status = 401;
        res.set_content(login_page("log in first: this console needs its token"), kHtml);
      } else {
        see_other(res, "/login");
      }
      return;
    }
    if (!session) {
      if (post) {
        forbid(res, "no session: load the page again and resend the form");
        return;
      }
      session = sessions.create(false);
      set_session_cookie(res, *session);
    }
    Visit visit{*session, {}, {}};
    visit.ctx.csrf = session->csrf;
    visit.ctx.read_only = config.read_only;
    if (post) {
      if (config.read_only) {
        forbid(res, "the console is read-only (--read-only): nothing can be changed here");
        return;
      }
      visit.form = parse_form(req.body);
      const auto csrf = param(visit.form, "csrf");
      if (csrf.empty() || !constant_time_equal(csrf, session->csrf)) {
        forbid(res, "missing or wrong CSRF token: load the page again and resend the form");
        return;
      }
    } else {
      visit.ctx.flash = sessions.take_flash(session->id);
    }
    try {
      handler(req, res, visit);
    } catch (const NotFound& e) {
      error_page(res, 404, "Not found", e.what(), visit.ctx);
    } catch (const BadRequest& e) {
      error_page(res, 400, "Bad request", e.what(), visit.ctx);
    } catch (const queue::PeriodicJobNotFound& e) {
      error_page(res, 404, "Not found", e.what(), visit.ctx);
    } catch (const PoolTimeout& e) {
      error_page(res, 503, "Database busy", e.what(), visit.ctx);
    } catch (const pqxx::broken_connection& e) {
      error_page(res, 503, "Database unreachable",
                 "cannot reach the database: " + redact_url(e.what()), visit.ctx);
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() == "57014") {
        error_page(res, 503, "Query too slow",
                   "a query ran longer than " +
                       std::to_string(
                           std::chrono::seconds(
                               std::chrono::duration_cast<std::chrono::seconds>(kStatementTimeout))
                               .count()) +
                       " s (statement_timeout) and was cancelled: narrow the filter or try "
                       "again",
                   visit.ctx);
      } else {
        error_page(res, 500, "Database error", redact_url(e.what()), visit.ctx);
      }
    } catch (const std::exception& e) {
      error_page(res, 500, "Error", redact_url(e.what()), visit.ctx);
    }
  }

  void forbid(httplib::Response& res, const std::string& why) {
    PageContext ctx;
    ctx.read_only = config.read_only;
    error_page(res, 403, "Forbidden", why, ctx);
  }

  static void error_page(httplib::Response& res, int status, const std::string& title,
                         const std::string& message, const PageContext& ctx) {
    res.status = status;
    res.set_content(message_page(title, message, ctx), kHtml);
  }

  // GET pattern -> a page.
  void page(
      const std::string& pattern,
      std::function<std::string(const httplib::Request&, pqxx::connection&, PageContext&)> render) {
    server.Get(pattern, [this, render](const httplib::Request& req, httplib::Response& res) {
      serve_visit(req, res, [&](const httplib::Request& r, httplib::Response& out, Visit& v) {
        auto conn = pool.acquire();
        out.set_content(render(r, *conn, v.ctx), kHtml);
      });
    });
  }

  // POST pattern -> an action: it returns the flash line, and the browser goes back.
  void action(const std::string& pattern,
              std::function<std::string(const httplib::Request&, pqxx::connection&, Visit&,
                                        std::string& back)>
                  act) {
    server.Post(pattern, [this, act](const httplib::Request& req, httplib::Response& res) {
      serve_visit(req, res, [&](const httplib::Request& r, httplib::Response& out, Visit& v) {
        auto conn = pool.acquire();
        std::string back = back_to(v.form, "/");
        const auto flash = act(r, *conn, v, back);
        sessions.set_flash(v.session.id, flash);
        see_other(out, back);
      });
    });
  }

  static Params query_params(const httplib::Request& req) {
    Params out;
    for (const auto& [name, value] : req.params) out.emplace(name, value);
    return out;
  }

  void routes() {
    server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    server.Get("/static/console.css", [](const httplib::Request&, httplib::Response& res) {
      res.headers.erase("Cache-Control");
      res.set_header("Cache-Control", "max-age=300");
      res.set_content(std::string(assets::console_css), "text/css; charset=utf-8");
    });
    server.Get("/login", [this](const httplib::Request&, httplib::Response& res) {
      if (!config.token) return see_other(res, "/");
      res.set_content(login_page(std::nullopt), kHtml);
    });
    server.Post("/login", [this](const httplib::Request& req, httplib::Response& res) {
      if (!config.token) return see_other(res, "/");
      const auto form = parse_form(req.body);
      if (!constant_time_equal(param(form, "token"), *config.token)) {
        res.status = 401;
        res.set_content(login_page("wrong token"), kHtml);
        return;
      }
      set_session_cookie(res, sessions.create(true));
      see_other(res, "/");
    });

    page("/", [this](const auto&, auto& conn, auto& ctx) {
      return overview_page(conn, *overview.get(), ctx);
    });
    page("/jobs", [](const auto& req, auto& conn, auto& ctx) {
      return jobs_page(conn, query_params(req), ctx);
    });
    page(R"(/jobs/(\d{1,18}))", [](const auto& req, auto& conn, auto& ctx) {
      return job_page(conn, std::stoll(req.matches[1].str()), ctx);
    });
    page("/databases", [](const auto& req, auto& conn, auto& ctx) {
      return databases_page(conn, query_params(req), ctx);
    });
    page(R"(/databases/([^/]+))", [](const auto& req, auto& conn, auto& ctx) {
      return database_page(conn, req.matches[1].str(), ctx);
    });
    page("/periodic", [](const auto&, auto& conn, auto& ctx) { return periodic_page(conn, ctx); });

    server.Post("/jobs/bulk", [this](const httplib::Request& req, httplib::Response& res) {
      serve_visit(req, res, [&](const httplib::Request&, httplib::Response& out, Visit& v) {
        auto conn = pool.acquire();
        if (param(v.form, "confirm") != "yes") {
          out.set_content(bulk_confirm_page(*conn, v.form, v.ctx), kHtml);
          return;
        }
        sessions.set_flash(v.session.id, run_bulk_action(*conn, v.form));
        std::vector<std::pair<std::string, std::string>> filter;
        for (const auto& p : kJobFilterParams) filter.emplace_back(p, param(v.form, p));
        see_other(out, "/jobs" + query_string(filter));
      });
    });
    action(R"(/queues/(.+)/(pause|resume|limit))",
           [](const auto& req, auto& conn, Visit& v, std::string&) {
             const auto name = req.matches[1].str();
             const auto what = req.matches[2].str();
             std::optional<int> max_running;
             if (what == "limit") {
               const auto text = param(v.form, "max_running");
               if (!text.empty() && text != "none") {
                 try {
                   std::size_t used = 0;
                   const auto n = std::stoi(text, &used);
                   if (used != text.size() || n < 1) throw std::invalid_argument(text);
                   max_running = n;
                 } catch (const std::exception&) {
                   throw BadRequest(
                       "max_running must be a whole number of at least 1, or "
                       "empty for no limit; got '" +
                       text + "'");
                 }
               }
             }
             pqxx::work tx(conn, "console queue " + what);
             limit_statements(tx);
             queue::QueueControls c;
             if (what == "pause") c = queue::pause_queue(tx, name);
             if (what == "resume") c = queue::resume_queue(tx, name);
             if (what == "limit") c = queue::set_queue_limit(tx, name, max_running);
             tx.commit();
             return "queue " + name + ": " + (c.paused_at ? "paused" : "running") + ", limit " +
                    (c.max_running ? std::to_string(*c.max_running) : std::string("none"));
           });
    action(R"(/jobs/(\d{1,18})/(retry|cancel|run-now|delete))", [](const auto& req, auto& conn,
                                                                   Visit&, std::string& back) {
      const auto id = std::stoll(req.matches[1].str());
      const auto action = job_action(req.matches[2].str());
      pqxx::work tx(conn, "console job " + req.matches[2].str());
      limit_statements(tx);
      const auto outcomes = queue::apply(tx, action, {id});
      tx.commit();
      const auto label = "job " + std::to_string(id);
      if (outcomes.empty() || !outcomes.front().old_state) {
        throw NotFound(label + " not found");
      }
      const auto& o = outcomes.front();
      if (!o.done()) {
        return label + ": not " + std::string(queue::to_string(action)) + ": " + *o.reason;
      }
      if (action == queue::BulkAction::remove) back = "/jobs";
      if (*o.old_state == "running" && o.new_state == std::optional<std::string>("running")) {
        return label + ": cancellation requested; its worker ends it cancelled";
      }
      return label + ": " + *o.old_state + " → " + o.new_state.value_or("?");
    });
    action(R"(/databases/([^/]+)/retry)", [](const auto& req, auto& conn, Visit&, std::string&) {
      const auto id = req.matches[1].str();
      if (!schema::is_uuid(id)) throw NotFound("no database record with id '" + id + "'");
      pqxx::work tx(conn, "console database retry");
      limit_statements(tx);
      const auto record = schema::find_by_id(tx, id);
      if (!record) throw NotFound("no database record with id '" + id + "'");
      try {
        const auto retried = admin::retry_database(tx, *record);
        tx.commit();
        return "database " + record->name + ": provisioning again, job " +
               std::to_string(retried.job_id) + " on queue " + retried.queue;
      } catch (const admin::NotRetryable& e) {
        return std::string(e.what());
      }
    });
    action(R"(/periodic/(.+)/(enable|disable|run-now))",
           [](const auto& req, auto& conn, Visit&, std::string&) {
             const auto name = req.matches[1].str();
             const auto what = req.matches[2].str();
             pqxx::work tx(conn, "console periodic " + what);
             limit_statements(tx);
             std::string flash = "periodic " + name + ": ";
             if (what == "enable") {
               queue::enable_periodic_job(tx, name);
               flash += "enabled";
             } else if (what == "disable") {
               queue::disable_periodic_job(tx, name);
               flash += "disabled";
             } else {
               flash += "enqueued job " + std::to_string(queue::run_periodic_job_now(tx, name));
             }
             tx.commit();
             return flash;
           });
  }
};

ConsoleServer::ConsoleServer(ConsoleConfig config)
    : state_(std::make_unique<State>(std::move(config))) {
  auto& s = *state_;
  s.server.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  s.server.set_payload_max_length(kMaxBodyBytes);
  s.server.set_read_timeout(std::chrono::seconds(10));
  s.server.set_write_timeout(std::chrono::seconds(10));
  s.server.set_pre_routing_handler([](const httplib::Request&, httplib::Response& res) {
    set_security_headers(res);
    res.set_header("Cache-Control", "no-store");
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.server.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request&,
                                                                         httplib::Response& res) {
    set_security_headers(res);
    if (!res.has_header("Cache-Control")) res.set_header("Cache-Control", "no-store");
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    PageContext ctx;
    ctx.read_only = state_->config.read_only;
    const auto title = res.status == 404   ? "Not found"
                       : res.status == 413 ? "Request too large"
                                           : "Error";
    res.set_content(
        message_page(title, res.status == 404 ? "no such page" : "the request was refused", ctx),
        kHtml);
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.routes();
}

ConsoleServer::~ConsoleServer() { stop(); }

int ConsoleServer::bind() {
  auto& s = *state_;
  if (s.config.port == 0) {
    const int port = s.server.bind_to_any_port(s.config.host);
    if (port <= 0) throw std::runtime_error("cannot listen on " + s.config.host + " (--addr)");
    s.config.port = port;
    return port;
  }
  if (!s.server.bind_to_port(s.config.host, s.config.port)) {
    throw std::runtime_error("cannot listen on " + s.config.host + ":" +
                             std::to_string(s.config.port) + " (--addr): is it in use?");
  }
  return s.config.port;
}

void ConsoleServer::serve() { state_->server.listen_after_bind(); }

void ConsoleServer::stop() {
  if (state_) state_->server.stop();
}

}  // namespace daap::worker::console
