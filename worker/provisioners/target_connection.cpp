#include "worker/provisioners/target_connection.h"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "worker/config.h"
#include "worker/provisioners/interrupt_wakeup.h"
#include "worker/provisioners/provisioner.h"

namespace daap::worker::provisioners {
namespace {

using std::chrono::milliseconds;

// How often the server checks, while a statement runs, that we are still there: when the
// interrupt shuts our socket down, the server abandons the statement within this.
constexpr const char* kClientCheckInterval = "1000";

std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

ProvisionError interrupted(const std::string& what, const Interrupt& interrupt) {
  return ProvisionError(what + ": interrupted (" + std::string(to_string(interrupt.reason())) +
                        ")");
}

// libpqxx 7.10 throws insufficient_privilege for SQLSTATE 42501 without passing the code on
// (result.cxx), so its sqlstate() is empty for exactly that error.
std::string sqlstate_of(const pqxx::sql_error& e) {
  if (!e.sqlstate().empty()) return e.sqlstate();
  if (dynamic_cast<const pqxx::insufficient_privilege*>(&e) != nullptr) return "42501";
  return "unknown";
}

// What to do about the errors a statement carrying a credential may meet, in place of the
// server's message (left out for those statements).
std::string hint(const std::string& sqlstate) {
  if (sqlstate == "42501") {
    return ": permission denied (the role of PROVISION_DATABASE_URL needs CREATEROLE and "
           "CREATEDB)";
  }
  if (sqlstate == "57014") return ": cancelled (PROVISION_STATEMENT_TIMEOUT reached)";
  if (sqlstate == "42710") return ": it exists already";
  return "";
}

std::string quote_conninfo(const std::string& value) {
  std::string out = "'";
  for (const char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

struct Target {
  std::string conninfo;  // key='value' pairs, with our server options added
  std::string where;     // "host:port" for messages
};

// The URL (or key=value string) as key='value' pairs, with statement_timeout and
// client_connection_check_interval added to the server options the URL may already set.
Target parse_target(const TargetSettings& settings) {
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(settings.url.c_str(), &error);
  if (parsed == nullptr) {
    if (error != nullptr) PQfreemem(error);  // may quote part of the URL, so a password
    throw ProvisionError(
        "PROVISION_DATABASE_URL is not a valid connection URL or key=value string (not shown: "
        "it may hold a password)");
  }
  const std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> owner(parsed, &PQconninfoFree);
  Target target;
  std::string server_options;
  std::string host = "localhost";
  std::string port = "5432";
  bool application_name = false;
  for (const auto* option = parsed; option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    const std::string key = option->keyword;
    if (key == "options") {
      server_options = option->val;
      continue;
    }
    if (key == "host" && *option->val != '\0') host = option->val;
    if (key == "port" && *option->val != '\0') port = option->val;
    if (key == "application_name" || key == "fallback_application_name") application_name = true;
    target.conninfo += key + "=" + quote_conninfo(option->val) + " ";
  }
  server_options += " -c statement_timeout=" + std::to_string(settings.statement_timeout.count()) +
                    " -c client_connection_check_interval=" + kClientCheckInterval;
  target.conninfo += "options=" + quote_conninfo(server_options);
  if (!application_name) target.conninfo += " fallback_application_name=daap-worker";
  target.where = host + ":" + port;
  return target;
}

// PQconnectPoll ignores connect_timeout: the deadline and the interrupt are ours to keep.
pqxx::connection connect(const TargetSettings& settings, Interrupt& interrupt) {
  const auto target = parse_target(settings);
  const std::string what = "connecting to the provisioning target " + target.where;
  if (interrupt.requested()) throw interrupted(what, interrupt);
  const InterruptWakeup wakeup(interrupt);
  const auto deadline = std::chrono::steady_clock::now() + settings.connect_timeout;
  try {
    pqxx::connecting attempt(target.conninfo);
    while (!attempt.done()) {
      if (attempt.sock() < 0) {
        attempt.process();
        continue;
      }
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        throw ProvisionError("cannot connect to the provisioning target " + target.where +
                             ": no answer within " + format_duration(settings.connect_timeout) +
                             " (PROVISION_CONNECT_TIMEOUT)");
      }
      const auto events = static_cast<short>((attempt.wait_to_read() ? POLLIN : 0) |
                                             (attempt.wait_to_write() ? POLLOUT : 0));
      std::array<pollfd, 2> fds{pollfd{attempt.sock(), events, 0}, pollfd{wakeup.fd(), POLLIN, 0}};
      const int n = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
      if (n < 0 && errno != EINTR) {
        throw ProvisionError(what + ": poll failed: " + std::strerror(errno));
      }
      if (interrupt.requested()) throw interrupted(what, interrupt);
      if (n > 0 && fds[0].revents != 0) attempt.process();
    }
    return std::move(attempt).produce();
  } catch (const pqxx::broken_connection& e) {
    // libpq's message names host and port; redacted all the same, in case it quotes the URL.
    throw ProvisionError("cannot connect to the provisioning target: " +
                         redact_url(first_line(e.what())));
  }
}

}  // namespace

TargetConnection::TargetConnection(const TargetSettings& settings, Interrupt& interrupt)
    : interrupt_(interrupt), conn_(connect(settings, interrupt)) {
  // A socket directory when connected through one: clients can use that too.
  host_ = conn_.hostname() != nullptr && *conn_.hostname() != '\0' ? conn_.hostname() : "localhost";
  if (conn_.port() != nullptr) port_ = std::atoi(conn_.port());
  // Thread-safe and immediate: a statement blocked on this socket returns with an error.
  hook_ = interrupt.on_interrupt([fd = conn_.sock()] { ::shutdown(fd, SHUT_RDWR); });
}

void TargetConnection::run(const std::string& what, const std::function<void()>& step,
                           Secrecy secrecy) {
  if (interrupt_.requested()) throw interrupted(what, interrupt_);
  try {
    step();
  } catch (const pqxx::sql_error& e) {
    if (interrupt_.requested()) throw interrupted(what, interrupt_);
    const auto code = sqlstate_of(e);
    if (secrecy == Secrecy::credential) {
      throw ProvisionError(what + " failed" + hint(code) + " (SQLSTATE " + code + ")");
    }
    throw ProvisionError(what + " failed: " + first_line(e.what()) + " (SQLSTATE " + code + ")");
  } catch (const pqxx::broken_connection&) {
    if (interrupt_.requested()) throw interrupted(what, interrupt_);
    throw ProvisionError(what + ": lost the connection to the provisioning target");
  }
}

}  // namespace daap::worker::provisioners
