#include "worker/runtime/in_flight.h"

#include <algorithm>
#include <utility>

namespace daap::worker::runtime {

InFlightRegistry::InFlightRegistry(TimeLimit time_limit) : time_limit_(std::move(time_limit)) {}

void InFlightRegistry::add(std::vector<queue::Job> jobs) {
  if (jobs.empty()) return;
  {
    std::lock_guard lock(mutex_);
    for (auto& job : jobs) {
      auto held = std::make_shared<InFlightJob>(std::move(job));
      held_.emplace(held->job.id, held);
      buffer_.push_back(std::move(held));
      ++buffered_;
    }
  }
  work_.notify_all();
}

std::vector<JobPtr> InFlightRegistry::take(std::size_t max, const BatchWith& batch_with) {
  std::vector<JobPtr> batch;
  std::unique_lock lock(mutex_);
  ++idle_takers_;
  work_.wait(lock, [this] { return buffered_ > 0 || closed_; });
  --idle_takers_;
  // Leave a share for the other executors waiting right now, so that one batch does not take
  // what several could run side by side.
  const auto waiting = static_cast<std::size_t>(idle_takers_);
  const auto share = (static_cast<std::size_t>(buffered_) + waiting) / (waiting + 1);
  const std::size_t limit = std::clamp<std::size_t>(share, 1, std::max<std::size_t>(max, 1));
  const auto now = SteadyClock::now();
  while (!buffer_.empty() && batch.size() < limit) {
    auto& next = buffer_.front();
    if (next->phase != Phase::buffered) {  // lost while buffered
      buffer_.pop_front();
      continue;
    }
    if (!batch.empty() && !batch_with(batch.front()->job, next->job)) break;
    next->phase = Phase::running;
    next->started_at = now;
    next->deadline = now + time_limit_(next->job);
    --buffered_;
    ++running_;
    ++started_;
    batch.push_back(std::move(next));
    buffer_.pop_front();
  }
  lock.unlock();
  if (!batch.empty()) changed_.notify_all();
  return batch;
}

void InFlightRegistry::recording(const JobPtr& job) {
  std::lock_guard lock(mutex_);
  if (job->phase == Phase::running) job->phase = Phase::recording;
}

bool InFlightRegistry::finish(const JobPtr& job) {
  bool emptied = false;
  {
    std::lock_guard lock(mutex_);
    if (job->phase == Phase::gone) return false;
    if (job->phase == Phase::buffered) {
      --buffered_;
    } else {
      --running_;
    }
    job->phase = Phase::gone;
    held_.erase(job->job.id);
    emptied = held_.empty();
  }
  // Only the shutdown waits for this (wait_until_empty): no wake-up per finished job.
  if (emptied) changed_.notify_all();
  return true;
}

std::vector<queue::JobLease> InFlightRegistry::leases() const {
  std::lock_guard lock(mutex_);
  std::vector<queue::JobLease> out;
  out.reserve(held_.size());
  for (const auto& [id, job] : held_) out.push_back(job->job.lease());
  return out;
}

std::vector<JobPtr> InFlightRegistry::lose(const std::vector<queue::JobId>& ids) {
  std::vector<JobPtr> lost;
  {
    std::lock_guard lock(mutex_);
    for (const auto id : ids) {
      const auto it = held_.find(id);
      if (it == held_.end() || it->second->phase == Phase::recording) continue;
      auto job = it->second;
      if (job->phase == Phase::buffered) {
        --buffered_;
      } else {
        --running_;
      }
      job->phase = Phase::gone;
      held_.erase(it);
      lost.push_back(std::move(job));
    }
  }
  for (const auto& job : lost) job->interrupt.fire(InterruptReason::lease_lost);
  if (!lost.empty()) changed_.notify_all();
  return lost;
}

bool InFlightRegistry::request_cancel(queue::JobId id) {
  JobPtr job;
  {
    std::lock_guard lock(mutex_);
    const auto it = held_.find(id);
    if (it == held_.end()) return false;
    job = it->second;
  }
  return job->interrupt.fire(InterruptReason::cancel);
}

std::vector<JobPtr> InFlightRegistry::overdue(SteadyClock::time_point now) const {
  std::vector<JobPtr> out;
  std::lock_guard lock(mutex_);
  for (const auto& [id, job] : held_) {
    if (job->phase == Phase::running && job->deadline <= now && !job->interrupt.requested()) {
      out.push_back(job);
    }
  }
  return out;
}

std::vector<JobPtr> InFlightRegistry::take_unstarted() {
  std::vector<JobPtr> out;
  {
    std::lock_guard lock(mutex_);
    for (auto& job : buffer_) {
      if (job->phase != Phase::buffered) continue;
      job->phase = Phase::gone;
      held_.erase(job->job.id);
      out.push_back(std::move(job));
    }
    buffer_.clear();
    buffered_ = 0;
  }
  changed_.notify_all();
  return out;
}

std::vector<JobPtr> InFlightRegistry::abandon_running() {
  std::vector<JobPtr> out;
  {
    std::lock_guard lock(mutex_);
    for (auto it = held_.begin(); it != held_.end();) {
      auto& job = it->second;
      if (job->phase == Phase::running || job->phase == Phase::recording) {
        job->phase = Phase::gone;
        --running_;
        out.push_back(std::move(job));
        it = held_.erase(it);
      } else {
        ++it;
      }
    }
  }
  changed_.notify_all();
  return out;
}

void InFlightRegistry::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  work_.notify_all();
}

bool InFlightRegistry::wait_until_empty(SteadyClock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, deadline, [this] { return held_.empty(); });
}

bool InFlightRegistry::wait_for_room(int max_buffered, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return buffered_ < max_buffered; });
}

InFlightRegistry::Counts InFlightRegistry::counts() const {
  std::lock_guard lock(mutex_);
  return {buffered_, running_, idle_takers_, started_};
}

}  // namespace daap::worker::runtime
