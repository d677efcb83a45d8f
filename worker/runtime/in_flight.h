// The jobs this process holds, from their claim until their outcome is recorded: the one owner
// of each job's phase, behind one lock. The producer adds claims, executors take them, the
// heartbeat renews their leases and reports lost ones, the runner drains them at shutdown.
//
//   claim ─add─▶ buffered ─take─▶ running ─recording─▶ recording ─finish─▶ gone
//                   │               │  └──────────────── finish ───────────▲
//                   ├ take_unstarted ┴ abandon_running (shutdown) ──────────┤
//                   └───────────── lose (the lease is gone) ────────────────┘
//
// buffered:  claimed, lease held and renewed, not started: claims run ahead of the executors so
//            that an executor never waits for a claim round trip.
// running:   an executor runs it; its interrupt fires on a cancellation request, at its deadline,
//            when its lease is lost, and at the end of the shutdown grace period.
// recording: its outcome is being written (queued in the completer, or committing). Its lease is
//            still renewed, and a heartbeat that no longer finds it is seeing that write.
// gone:      out of the registry. finish() answers true once per job, so each outcome is
//            reported once, by whoever moved the job to gone.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "queue/job.h"
#include "worker/interrupt.h"

namespace daap::worker::runtime {

using SteadyClock = std::chrono::steady_clock;

enum class Phase { buffered, running, recording, gone };

// One held job. `job` is written only before it is shared; the phase belongs to the registry.
struct InFlightJob {
  explicit InFlightJob(queue::Job j) : job(std::move(j)) {}
  queue::Job job;
  Interrupt interrupt;
  SteadyClock::time_point claimed_at = SteadyClock::now();
  SteadyClock::time_point started_at;  // set by take()
  SteadyClock::time_point deadline;    // set by take(): started_at + the job's time limit
  Phase phase = Phase::buffered;       // guarded by the registry's lock
};
using JobPtr = std::shared_ptr<InFlightJob>;

class InFlightRegistry {
 public:
  // The time limit of one attempt of a job (its own, else its kind's).
  using TimeLimit = std::function<std::chrono::milliseconds(const queue::Job&)>;
  // Whether `next` may run in the same batch as `first` (same transaction or completion group).
  using BatchWith = std::function<bool(const queue::Job& first, const queue::Job& next)>;

  explicit InFlightRegistry(TimeLimit time_limit);

  // New claims, in claim order, become buffered; wakes waiting executors.
  void add(std::vector<queue::Job> jobs);

  // Waits for a buffered job (or close()) and takes it, with up to `max - 1` that follow it while
  // batch_with(first, next) holds (and no more than an even share with the other executors
  // waiting): they become running. Empty once closed with nothing buffered.
  std::vector<JobPtr> take(std::size_t max, const BatchWith& batch_with);

  // running -> recording.
  void recording(const JobPtr& job);
  // -> gone. False when the job was gone already (lost, released): report nothing then.
  bool finish(const JobPtr& job);

  // The leases of every job held (buffered, running, recording).
  std::vector<queue::JobLease> leases() const;
  // The heartbeat found these leases gone: buffered and running ones become gone (a running one
  // is interrupted) and are returned, for the caller to report as lost; recording ones stay.
  std::vector<JobPtr> lose(const std::vector<queue::JobId>& ids);
  // Fires the job's interrupt with `cancel`; false when it is not held or was interrupted already.
  bool request_cancel(queue::JobId id);
  // Running jobs past their deadline, not interrupted yet.
  std::vector<JobPtr> overdue(SteadyClock::time_point now) const;

  // Shutdown: every buffered job becomes gone and is returned (to be released); so does every
  // running or recording one with abandon_running() (past the grace period).
  std::vector<JobPtr> take_unstarted();
  std::vector<JobPtr> abandon_running();
  // No more add(); take() returns empty once the buffer is empty.
  void close();
  // Until nothing is held, or the deadline; whether nothing is held.
  bool wait_until_empty(SteadyClock::time_point deadline);
  // Until fewer than `max_buffered` jobs are buffered, or `timeout`; whether there is room.
  bool wait_for_room(int max_buffered, std::chrono::milliseconds timeout);

  struct Counts {
    int buffered = 0;
    int running = 0;    // running + recording: executing or finishing in this process
    int idle_takers = 0;  // executors waiting in take()
    std::uint64_t started = 0;  // jobs taken since the start
  };
  Counts counts() const;

 private:
  TimeLimit time_limit_;
  mutable std::mutex mutex_;
  std::condition_variable work_;     // take(): buffer not empty or closed
  std::condition_variable changed_;  // room in the buffer, jobs gone
  std::deque<JobPtr> buffer_;        // may hold gone jobs (lost while buffered): skipped
  std::unordered_map<queue::JobId, JobPtr> held_;
  int buffered_ = 0;
  int running_ = 0;
  int idle_takers_ = 0;
  std::uint64_t started_ = 0;
  bool closed_ = false;
};

}  // namespace daap::worker::runtime
