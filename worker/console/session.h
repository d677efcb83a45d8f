// The console's sessions: random ids from the kernel's CSPRNG, kept in memory, each with its
// CSRF token and a flash message for the next page; and the constant-time token compare.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace daap::worker::console {

// The session cookie's name.
inline constexpr std::string_view kSessionCookie = "daap_console";
// A session ends this long after it began.
inline constexpr std::chrono::hours kSessionLifetime{12};
// At most this many sessions; the oldest goes first (anonymous ones are made per visitor).
inline constexpr std::size_t kMaxSessions = 10000;

// `bytes` random bytes from getrandom(2), as lowercase hex. Throws std::runtime_error.
std::string random_token(std::size_t bytes = 32);

// Whether a equals b, in time that depends on their lengths only.
bool constant_time_equal(std::string_view a, std::string_view b);

// One browser's session.
struct Session {
  std::string id;
  std::string csrf;
  bool authenticated = false;  // logged in with CONSOLE_TOKEN
  std::optional<std::string> flash;
  std::chrono::steady_clock::time_point expires_at;
};

// Sessions by id, safe from any thread.
class SessionStore {
 public:
  // A new session (a fresh id even for a visitor who had one: no fixation).
  Session create(bool authenticated);
  // The live session of this id.
  std::optional<Session> find(std::string_view id);
  // Sets the flash of a session shown on its next page.
  void set_flash(std::string_view id, std::string text);
  // Returns and clears the flash.
  std::optional<std::string> take_flash(std::string_view id);

 private:
  std::mutex mutex_;
  std::map<std::string, Session, std::less<>> sessions_;
};

// The value of cookie `name` in a Cookie header ("" when absent).
std::string cookie_value(std::string_view header, std::string_view name);

}  // namespace daap::worker::console
