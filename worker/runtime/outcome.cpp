#include "worker/runtime/outcome.h"

namespace daap::worker::runtime {

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::succeeded:
      return "succeeded";
    case Outcome::retried:
      return "retried";
    case Outcome::failed:
      return "failed";
    case Outcome::snoozed:
      return "snoozed";
    case Outcome::cancelled:
      return "cancelled";
    case Outcome::released:
      return "released";
    case Outcome::lost:
      return "lost";
    case Outcome::abandoned:
      return "abandoned";
  }
  return "unknown";
}

spdlog::level::level_enum log_level(Outcome outcome, bool instant_kind) {
  using spdlog::level::level_enum;
  switch (outcome) {
    case Outcome::succeeded:
      return instant_kind ? level_enum::debug : level_enum::info;
    case Outcome::snoozed:
    case Outcome::released:
    case Outcome::cancelled:
      return level_enum::info;
    case Outcome::failed:
      return level_enum::err;
    default:
      return level_enum::warn;
  }
}

}  // namespace daap::worker::runtime
