// The daap.workers registry: one row per live replica, kept fresh by its heartbeat.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace daap::queue {

struct WorkerInfo {
  std::string id;  // unique per process start: "<hostname>-<pid>-<random>"
  std::string hostname;
  int pid = 0;
  std::string version;
  std::vector<std::string> queues;
  int concurrency = 0;
};

// Inserts (or refreshes) this worker's row.
void register_worker(pqxx::transaction_base& tx, const WorkerInfo& info);
// Refreshes heartbeat_at.
void touch_worker(pqxx::transaction_base& tx, const std::string& worker_id);
// Removes the row (clean shutdown).
void deregister_worker(pqxx::transaction_base& tx, const std::string& worker_id);

}  // namespace daap::queue
