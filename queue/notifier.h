// Wake-ups: inserts into daap.jobs NOTIFY kJobsChannel once per statement; a cancellation request
// for a running job NOTIFYs kCancelChannel with the job's id.
#pragma once

#include <chrono>
#include <vector>

#include <pqxx/pqxx>

#include "queue/job.h"

namespace daap::queue {

inline constexpr const char* kJobsChannel = "daap_jobs";
// A running job's cancellation was requested; the payload is its id.
inline constexpr const char* kCancelChannel = "daap_job_cancel";

// LISTENs on both channels on a dedicated connection and waits for notifications.
class JobListener {
 public:
  explicit JobListener(pqxx::connection& conn);
  ~JobListener();  // stops listening: the handlers refer to this object
  JobListener(const JobListener&) = delete;
  JobListener& operator=(const JobListener&) = delete;

  // What one wait heard.
  struct Heard {
    bool jobs = false;                   // new jobs may be due
    std::vector<JobId> cancel_requests;  // running jobs someone asked to cancel
    bool any() const { return jobs || !cancel_requests.empty(); }
  };
  // Returns as soon as something arrived, or after `timeout` (all pending are consumed).
  Heard listen(std::chrono::milliseconds timeout);
  // True when at least one job notification arrived within `timeout`.
  bool wait(std::chrono::milliseconds timeout);

 private:
  pqxx::connection& conn_;
  Heard heard_;
};

}  // namespace daap::queue
