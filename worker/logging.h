// Process logging through spdlog: text lines or JSON lines, with structured fields.
#pragma once

#include <string_view>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "worker/worker_config.h"

namespace daap::worker {

// Makes the default spdlog logger write to stdout in `format` at `level` (validated names).
void setup_logging(LogFormat format, const std::string& level);

// One line: text "msg key=value ..." or JSON {"ts", "level", "msg", ...fields}.
void log(spdlog::level::level_enum level, std::string_view msg,
         const nlohmann::json& fields = nlohmann::json::object());

}  // namespace daap::worker
