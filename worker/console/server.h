// The console's HTTP server (cpp-httplib): routes, the security headers every response carries,
// the session and CSRF checks in front of every page and action, and the actions themselves,
// each one call of the SQL admin functions (through queue/, schema/ and worker/admin/).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace daap::worker::console {

// How `daapctl console` runs.
struct ConsoleConfig {
  std::string host = "127.0.0.1";
  int port = 8090;  // 0: any free port
  bool read_only = false;
  std::optional<std::string> token;  // CONSOLE_TOKEN; set: every page needs a login
  std::string database_url;
  // How old the overview's counts may be before a request has them read again in the
  // background (0: every request reads them; see overview_cache.h).
  std::chrono::milliseconds overview_max_age{10000};
};

// The Content-Security-Policy of every response: no inline script or style anywhere.
inline constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
// Request bodies above this are refused (413): forms are small.
inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;

// Whether `host` names the loopback interface (127.0.0.0/8, ::1, localhost).
bool is_loopback(const std::string& host);

class ConsoleServer {
 public:
  explicit ConsoleServer(ConsoleConfig config);
  ~ConsoleServer();
  ConsoleServer(const ConsoleServer&) = delete;
  ConsoleServer& operator=(const ConsoleServer&) = delete;

  // Binds the address; returns the port (the one chosen for port 0). Throws std::runtime_error
  // naming the address.
  int bind();
  // Serves until stop(); call after bind().
  void serve();
  // Makes serve() return; safe from any thread.
  void stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace daap::worker::console
