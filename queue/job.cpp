#include "queue/job.h"

#include <array>
#include <stdexcept>

namespace daap::queue {
namespace {

constexpr std::array<std::pair<JobState, std::string_view>, 5> kStateNames{{
    {JobState::available, "available"},
    {JobState::running, "running"},
    {JobState::succeeded, "succeeded"},
    {JobState::failed, "failed"},
    {JobState::cancelled, "cancelled"},
}};

template <typename T>
nlohmann::json optional_json(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

std::string_view to_string(JobState state) {
  for (const auto& [s, name] : kStateNames) {
    if (s == state) return name;
  }
  throw std::invalid_argument("unknown JobState value");
}

JobState parse_job_state(std::string_view text) {
  for (const auto& [state, name] : kStateNames) {
    if (name == text) return state;
  }
  throw std::invalid_argument("unknown job state '" + std::string(text) +
                              "' (expected available, running, succeeded, failed or cancelled)");
}

nlohmann::json to_json(const JobRow& row) {
  return {
      {"id", row.id},
      {"kind", row.kind},
      {"queue", row.queue},
      {"payload", row.payload},
      {"state", to_string(row.state)},
      {"priority", row.priority},
      {"attempt", row.attempt},
      {"max_attempts", row.max_attempts},
      {"run_at", row.run_at},
      {"created_at", row.created_at},
      {"started_at", optional_json(row.started_at)},
      {"finished_at", optional_json(row.finished_at)},
      {"locked_by", optional_json(row.locked_by)},
      {"lease_expires_at", optional_json(row.lease_expires_at)},
      {"last_error", optional_json(row.last_error)},
      {"errors", row.errors},
      {"result", row.result},
      {"unique_key", optional_json(row.unique_key)},
      {"database_id", optional_json(row.database_id)},
      {"cancel_requested_at", optional_json(row.cancel_requested_at)},
      {"timeout", optional_json(row.timeout)},
  };
}

}  // namespace daap::queue
