// Wake-ups: inserts into daap.jobs NOTIFY this channel once per statement.
#pragma once

#include <chrono>

#include <pqxx/pqxx>

namespace daap::queue {

inline constexpr const char* kJobsChannel = "daap_jobs";

// LISTENs on a dedicated connection and waits for notifications.
class JobListener {
 public:
  explicit JobListener(pqxx::connection& conn);
  ~JobListener();  // stops listening: the handler refers to this object
  JobListener(const JobListener&) = delete;
  JobListener& operator=(const JobListener&) = delete;
  // True when at least one notification arrived within `timeout` (all pending are consumed).
  bool wait(std::chrono::milliseconds timeout);

 private:
  pqxx::connection& conn_;
  int received_ = 0;
};

}  // namespace daap::queue
