#include "worker/runtime/retry.h"

#include <condition_variable>
#include <mutex>

#include <pqxx/pqxx>

#include "worker/config.h"
#include "worker/logging.h"
#include "worker/pool.h"

namespace daap::worker::runtime {
namespace {

// Bytes that are not valid UTF-8 (and NUL, which text cannot hold) become '?'.
std::string valid_utf8(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t len = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3
                                      : (lead >> 3) == 0x1e ? 4
                                                            : 0;
    bool ok = len > 0 && lead != 0 && i + len <= text.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    }
    if (ok && len == 2 && lead < 0xc2) ok = false;  // overlong
    if (!ok) {
      out += '?';
      ++i;
      continue;
    }
    out.append(text, i, len);
    i += len;
  }
  return out;
}

}  // namespace

bool sleep_for(std::stop_token stop, std::chrono::milliseconds d) {
  std::mutex mutex;
  std::condition_variable_any cv;
  std::unique_lock lock(mutex);
  cv.wait_for(lock, stop, d, [] { return false; });
  return !stop.stop_requested();
}

bool is_connection_error(const std::exception& e) {
  return dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr ||
         dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr ||
         dynamic_cast<const pqxx::transaction_rollback*>(&e) != nullptr ||
         dynamic_cast<const PoolTimeout*>(&e) != nullptr;
}

std::string error_text(const std::exception& e) {
  std::string text;
  for (const char c : redact_url(e.what())) {
    const bool space = c == '\n' || c == '\t' || c == '\r' || c == ' ';
    if (space && (text.empty() || text.back() == ' ')) continue;
    text += space ? ' ' : c;
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return valid_utf8(text);
}

void log_retry(std::string_view what, const std::exception& e, std::chrono::milliseconds delay) {
  log(spdlog::level::warn, std::string(what) + " failed; retrying",
      {{"error", error_text(e)}, {"retry_in_ms", delay.count()}});
}

void log_gave_up(std::string_view what, const std::exception& e) {
  log(spdlog::level::err, std::string(what) + " failed; giving up", {{"error", error_text(e)}});
}

}  // namespace daap::worker::runtime
