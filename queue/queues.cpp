#include "queue/queues.h"

#include "queue/queries.h"

namespace daap::queue {
namespace {

QueueControls read_controls(const pqxx::row& row) {
  return {row["name"].as<std::string>(), row["paused_at"].get<std::string>(),
          row["max_running"].get<int>()};
}

}  // namespace

std::vector<QueueOverview> queue_overview(pqxx::transaction_base& tx) {
  std::vector<QueueOverview> queues;
  for (const auto& row : tx.exec(sql::queue_overview)) {
    queues.push_back({read_controls(row), row["due"].as<std::int64_t>(),
                      row["scheduled"].as<std::int64_t>(), row["running"].as<std::int64_t>(),
                      row["failed_24h"].as<std::int64_t>(),
                      row["oldest_due_age_seconds"].get<double>()});
  }
  return queues;
}

QueueControls pause_queue(pqxx::transaction_base& tx, const std::string& name) {
  return read_controls(tx.exec(sql::pause_queue, pqxx::params{name}).one_row());
}

QueueControls resume_queue(pqxx::transaction_base& tx, const std::string& name) {
  return read_controls(tx.exec(sql::resume_queue, pqxx::params{name}).one_row());
}

QueueControls set_queue_limit(pqxx::transaction_base& tx, const std::string& name,
                              std::optional<int> max_running) {
  return read_controls(tx.exec(sql::set_queue_limit, pqxx::params{name, max_running}).one_row());
}

}  // namespace daap::queue
