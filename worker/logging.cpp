// Fields reach the formatter through a thread-local: the default logger is synchronous, so
// formatting happens on the calling thread inside log(). Lines logged through plain spdlog
// calls (no fields) get the same shape.
#include "worker/logging.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace daap::worker {
namespace {

thread_local const nlohmann::json* current_fields = nullptr;

std::string timestamp(spdlog::log_clock::time_point tp) {
  const auto t = spdlog::log_clock::to_time_t(tp);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()) % 1000;
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms.count()));
  return out;
}

std::string text_value(const nlohmann::json& value) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (!s.empty() && s.find_first_of(" \"=\n") == std::string::npos) return s;
  }
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

class Formatter : public spdlog::formatter {
 public:
  explicit Formatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    const std::string_view level = spdlog::level::to_string_view(msg.level).data();
    std::string line;
    if (format_ == LogFormat::json) {
      nlohmann::ordered_json out = {{"ts", timestamp(msg.time)}, {"level", level}, {"msg", text}};
      if (current_fields != nullptr) {
        for (const auto& [key, value] : current_fields->items()) out[key] = value;
      }
      line = out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      line = timestamp(msg.time) + " " + std::string(level) + " " + std::string(text);
      if (current_fields != nullptr) {
        for (const auto& [key, value] : current_fields->items()) {
          line += " " + key + "=" + text_value(value);
        }
      }
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<Formatter>(format_);
  }

 private:
  LogFormat format_;
};

}  // namespace

void setup_logging(LogFormat format, const std::string& level) {
  auto logger = std::make_shared<spdlog::logger>("daap-worker",
                                                 std::make_shared<spdlog::sinks::stdout_sink_mt>());
  logger->set_formatter(std::make_unique<Formatter>(format));
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

void log(spdlog::level::level_enum level, std::string_view msg, const nlohmann::json& fields) {
  auto* logger = spdlog::default_logger_raw();
  if (!logger->should_log(level)) return;
  current_fields = fields.is_object() && !fields.empty() ? &fields : nullptr;
  logger->log(level, "{}", msg);
  current_fields = nullptr;
}

}  // namespace daap::worker
