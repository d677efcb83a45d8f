// test.record and test.record_grouped: hidden kinds for the process tests (enabled by
// DAAP_TEST_HANDLERS=1). A job's rows in test_effects show how many times its effect committed.
#include <chrono>
#include <stdexcept>
#include <thread>

#include "worker/handlers/handlers.h"

namespace daap::worker::handlers {
namespace {

int int_field(const nlohmann::json& payload, const char* field) {
  const auto it = payload.find(field);
  return it != payload.end() && it->is_number_integer() ? it->get<int>() : 0;
}

nlohmann::json record(const JobContext& context) {
  const auto& job = context.job();
  context.transaction().exec("INSERT INTO test_effects (job_id, attempt) VALUES ($1, $2)",
                             pqxx::params{job.id, job.attempt});
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(int_field(job.payload, "sleep_ms"));
  while (std::chrono::steady_clock::now() < until) {
    context.throw_if_interrupted();
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(20), until - std::chrono::steady_clock::now()));
  }
  const int fail_times = int_field(job.payload, "fail_times");
  if (job.attempt <= fail_times) {
    throw std::runtime_error("test.record: planned failure on attempt " +
                             std::to_string(job.attempt) + " of " + std::to_string(fail_times));
  }
  return {{"recorded", true}, {"attempt", job.attempt}};
}

}  // namespace

void register_test_handlers(HandlerRegistry& registry) {
  registry.add("test.record", record);
  // The same effect for the grouped path: several jobs per transaction (no sleeping there).
  Registration grouped;
  grouped.handler = record;
  grouped.group = true;
  registry.add("test.record_grouped", std::move(grouped));
}

}  // namespace daap::worker::handlers
