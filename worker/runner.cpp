// Threads: one producer (claims, LISTEN), `concurrency` executors, one completer (grouped
// completions), one heartbeat, one maintenance (runs passes only while leader). The caller's
// thread runs run(): it waits for request_stop() and then drives the drain.
//
// Locking: mutex_ guards ready_, held_, in_flight_, executors_alive_ and InFlight::finished.
// Database calls never happen under it. Flags that loops read are atomics, set under mutex_ so
// that waits on cv_ / work_cv_ cannot miss them.
#include "worker/runner.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "queue/errors.h"
#include "queue/executor_sql.h"
#include "queue/maintenance.h"
#include "queue/notifier.h"
#include "queue/workers.h"
#include "schema/errors.h"
#include "worker/backoff.h"
#include "worker/logging.h"

namespace daap::worker {
namespace {

using Clock = std::chrono::steady_clock;
using spdlog::level::level_enum;
using std::chrono::milliseconds;

// How long the producer's LISTEN wait blocks before it re-checks for a stop request.
constexpr milliseconds kListenSlice(250);
// Leases the shutdown could not release within this long are left to expire and be rescued.
constexpr milliseconds kReleaseGrace(5000);
// A non-connection error recording an outcome is retried this often, then the job's lease is
// left to expire (it is rescued and retried by whoever runs maintenance).
constexpr int kRecordAttempts = 5;

// One line, password redacted: libpq messages end in newlines and carry tabbed hints.
std::string error_text(const std::exception& e) {
  std::string text;
  for (const char c : redact_url(e.what())) {
    const bool space = c == '\n' || c == '\t' || c == ' ';
    if (space && (text.empty() || text.back() == ' ')) continue;
    text += space ? ' ' : c;
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

bool is_connection_error(const std::exception& e) {
  return dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr ||
         dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr ||
         dynamic_cast<const PoolTimeout*>(&e) != nullptr;
}

std::string hostname() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) return "unknown";
  return host.data();
}

level_enum outcome_level(const std::string& outcome) {
  if (outcome == "succeeded" || outcome == "snoozed" || outcome == "released") {
    return level_enum::info;
  }
  if (outcome == "failed") return level_enum::err;
  return level_enum::warn;
}

}  // namespace

struct Runner::InFlight {
  explicit InFlight(queue::Job j) : job(std::move(j)) {}
  queue::Job job;
  Interrupt interrupt;  // cancellation requested (seen by the heartbeat), shutdown
  std::atomic<bool> lost{false};    // the heartbeat found the lease gone
  // Its outcome is being written: a heartbeat that no longer finds it running is seeing that
  // write, not a lost lease.
  std::atomic<bool> completing{false};
  Clock::time_point started = Clock::now();
  bool finished = false;  // guarded by mutex_
  bool awaiting_completion = false;  // guarded by mutex_
};

namespace {
// Bounds the jobs a worker holds beyond its slots while their grouped completion is pending.
constexpr int kMaxAwaitingCompletion = 1000;
}  // namespace

// What happens to a job whose handler did not succeed.
struct Runner::Failure {
  enum class Type { transient, permanent, snooze, cancelled };
  Type type = Type::transient;
  std::string error;
  milliseconds delay{0};  // snooze only

  static Failure from(std::exception_ptr error) {
    try {
      std::rethrow_exception(std::move(error));
    } catch (const queue::Snooze& e) {
      return {Type::snooze, "snoozed for " + format_duration(e.delay), e.delay};
    } catch (const queue::JobCancelled& e) {
      return {Type::cancelled, e.what(), {}};
    } catch (const queue::PermanentError& e) {
      return {Type::permanent, e.what(), {}};
    } catch (const schema::Error& e) {
      return {e.permanent() ? Type::permanent : Type::transient, e.what(), {}};
    } catch (const pqxx::broken_connection& e) {
      return {Type::transient, "database connection lost: " + error_text(e), {}};
    } catch (const std::exception& e) {
      return {Type::transient, error_text(e), {}};
    } catch (...) {
      return {Type::transient, "handler threw a non-standard exception", {}};
    }
  }
};

Runner::Runner(WorkerConfig config, const HandlerRegistry& handlers, ConnectionPool& pool,
               Metrics& metrics)
    : config_(std::move(config)),
      handlers_(handlers),
      pool_(pool),
      metrics_(metrics),
      completer_(pool, BatchCompleter::Options{}) {}

Runner::~Runner() {
  {
    std::lock_guard lock(mutex_);
    stop_claiming_ = executors_exit_ = stop_background_ = abandon_ = true;
  }
  cv_.notify_all();
  work_cv_.notify_all();
  for (auto* t : {&producer_, &heartbeat_, &maintenance_}) {
    if (t->joinable()) t->join();
  }
  completer_.stop(true);
  for (auto& t : executors_) {
    if (!t.joinable()) continue;
    if (abandoned_threads_) {
      t.detach();  // stuck in a handler; the process exits right after
    } else {
      t.join();
    }
  }
}

void Runner::request_stop() {
  {
    std::lock_guard lock(mutex_);
    stop_claiming_ = true;
  }
  cv_.notify_all();
  work_cv_.notify_all();
}

bool Runner::wait_or(const std::atomic<bool>& flag, milliseconds d) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, d, [&flag] { return flag.load(); });
}

int Runner::run() {
  register_worker();
  if (stop_claiming_) return 0;

  completer_.start();
  {
    std::lock_guard lock(mutex_);
    executors_alive_ = config_.concurrency;
  }
  for (int i = 0; i < config_.concurrency; ++i) executors_.emplace_back([this] { execute_loop(); });
  heartbeat_ = std::thread([this] { heartbeat_loop(); });
  maintenance_ = std::thread([this] { maintenance_loop(); });
  producer_ = std::thread([this] { produce(); });
  log(level_enum::info, "worker started",
      {{"worker_id", config_.worker_id},
       {"concurrency", config_.concurrency},
       {"queues", config_.queues},
       {"wakeups", config_.poll_only ? "poll only" : "LISTEN/NOTIFY + polling"}});

  {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return stop_claiming_.load(); });
  }
  const auto deadline = Clock::now() + config_.shutdown_timeout;
  producer_.join();

  // Claimed jobs no executor started go back at once: another replica can run them now.
  std::vector<InFlightPtr> unstarted;
  int running = 0;
  {
    std::lock_guard lock(mutex_);
    unstarted.assign(ready_.begin(), ready_.end());
    ready_.clear();
    executors_exit_ = true;
    running = in_flight_ - static_cast<int>(unstarted.size());
  }
  work_cv_.notify_all();
  log(level_enum::info, "stopping: no more claims, waiting for running jobs",
      {{"running", running},
       {"unstarted", unstarted.size()},
       {"shutdown_timeout", format_duration(config_.shutdown_timeout)}});
  if (!unstarted.empty()) {
    const bool released = release(unstarted, Clock::now() + kReleaseGrace).has_value();
    for (const auto& job : unstarted) {
      if (released) {
        finish(job, "released", "shutdown before the job started");
      } else {
        finish(job, "abandoned", "not released; its lease will expire and it will be rescued");
      }
    }
  }

  bool drained = false;
  {
    std::unique_lock lock(mutex_);
    drained = cv_.wait_until(lock, deadline, [this] { return in_flight_ == 0; });
  }
  if (!drained) {
    std::vector<InFlightPtr> leftover;
    {
      std::lock_guard lock(mutex_);
      abandon_ = true;
      for (const auto& [id, job] : held_) {
        if (job->finished) continue;
        job->finished = true;  // whatever the executor does later is not recorded
        leftover.push_back(job);
      }
    }
    cv_.notify_all();
    const int released = release(leftover, Clock::now() + kReleaseGrace).value_or(0);
    // Only now: a handler that honours it must not get its job cancelled before the release.
    for (const auto& job : leftover) job->interrupt.fire(InterruptReason::shutdown);
    log(level_enum::warn, "shutdown timeout reached: released running jobs, attempt not spent",
        {{"jobs", leftover.size()}, {"released", released}});
    for (const auto& job : leftover) {
      metrics_.job_finished(job->job.kind, "released", Clock::now() - job->started);
      log(level_enum::warn, "job released",
          {{"job_id", job->job.id},
           {"kind", job->job.kind},
           {"attempt", job->job.attempt},
           {"outcome", "released"},
           {"error", "still running at the shutdown timeout"}});
    }
  }
  completer_.stop(abandon_);
  {
    std::lock_guard lock(mutex_);
    stop_background_ = true;
  }
  cv_.notify_all();
  heartbeat_.join();
  maintenance_.join();
  deregister();
  {
    std::lock_guard lock(mutex_);
    abandoned_threads_ = executors_alive_ > 0;
  }
  if (!abandoned_threads_) {
    for (auto& t : executors_) t.join();
  }
  log(level_enum::info, "worker stopped", {{"worker_id", config_.worker_id}});
  return 0;
}

void Runner::register_worker() {
  const queue::WorkerInfo info{config_.worker_id, hostname(),     ::getpid(),
                               DAAP_VERSION,      config_.queues, config_.concurrency};
  Backoff backoff;
  for (;;) {
    try {
      auto conn = pool_.acquire();
      pqxx::work tx(*conn);
      queue::register_worker(tx, info);
      tx.commit();
      return;
    } catch (const std::exception& e) {
      const auto delay = backoff.next();
      log(level_enum::warn, "cannot register the worker; retrying",
          {{"error", error_text(e)}, {"retry_in_ms", delay.count()}});
      if (wait_or(stop_claiming_, delay)) return;
    }
  }
}

void Runner::deregister() {
  Backoff backoff;
  const auto until = Clock::now() + kReleaseGrace;
  for (;;) {
    try {
      auto conn = pool_.acquire();
      pqxx::work tx(*conn);
      queue::deregister_worker(tx, config_.worker_id);
      tx.commit();
      return;
    } catch (const std::exception& e) {
      const auto delay = backoff.next();
      if (Clock::now() + delay > until) {
        log(level_enum::warn, "cannot deregister; the row is pruned once stale",
            {{"error", error_text(e)}});
        return;
      }
      std::this_thread::sleep_for(delay);
    }
  }
}

void Runner::produce() {
  std::unique_ptr<pqxx::connection> listen_conn;
  std::unique_ptr<queue::JobListener> listener;
  Backoff listen_backoff;
  auto listen_retry_at = Clock::now();
  Backoff claim_backoff;
  const int slots = config_.concurrency;
  const int min_batch = std::max(1, slots / 4);

  const auto drop_listener = [&](const std::exception& e) {
    listener.reset();  // before its connection
    listen_conn.reset();
    const auto delay = listen_backoff.next();
    listen_retry_at = Clock::now() + delay;
    log(level_enum::warn, "LISTEN connection unavailable; polling until it is back",
        {{"error", error_text(e)}, {"retry_in_ms", delay.count()}});
  };
  const auto ensure_listener = [&] {
    if (config_.poll_only || listener || Clock::now() < listen_retry_at) return;
    try {
      listen_conn = std::make_unique<pqxx::connection>(config_.database.url);
      listener = std::make_unique<queue::JobListener>(*listen_conn);
      if (listen_backoff.failures() > 0) log(level_enum::info, "LISTEN connection restored");
      listen_backoff.reset();
    } catch (const std::exception& e) {
      drop_listener(e);
    }
  };

  while (!stop_claiming_) {
    int free = 0;
    {
      std::unique_lock lock(mutex_);
      const auto free_slots = [&] {
        if (awaiting_completion_ >= kMaxAwaitingCompletion) return 0;
        return slots - (in_flight_ - awaiting_completion_);
      };
      cv_.wait(lock, [&] { return stop_claiming_ || free_slots() > 0; });
      if (stop_claiming_) break;
      // A busy queue frees slots one by one; wait a moment to claim several at once.
      if (free_slots() < min_batch) {
        cv_.wait_for(lock, milliseconds(5),
                     [&] { return stop_claiming_ || free_slots() >= min_batch; });
      }
      free = free_slots();
    }
    // LISTEN before claiming: a job inserted after an empty claim still wakes us.
    ensure_listener();
    std::vector<queue::Job> jobs;
    try {
      auto conn = pool_.acquire();
      jobs = queue::claim(*conn, config_.worker_id, config_.queues, free, config_.lease_duration);
      if (claim_backoff.failures() > 0) log(level_enum::info, "claiming again");
      claim_backoff.reset();
    } catch (const std::exception& e) {
      const auto delay = claim_backoff.next();
      log(level_enum::warn, "claim failed; retrying",
          {{"error", error_text(e)}, {"retry_in_ms", delay.count()}});
      wait_or(stop_claiming_, delay);
      continue;
    }
    const int claimed = static_cast<int>(jobs.size());
    if (claimed > 0) {
      metrics_.claimed(claimed);
      log(level_enum::debug, "claimed jobs", {{"jobs", claimed}, {"slots", free}});
      dispatch(std::move(jobs));
    }
    if (claimed == free) continue;  // there may be more

    // Nothing more for now: sleep until a notification or the poll interval.
    const auto deadline = Clock::now() + config_.poll_interval;
    while (!stop_claiming_ && Clock::now() < deadline) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (!listener) {
        auto nap = left;
        if (!config_.poll_only) {
          const auto retry =
              std::chrono::duration_cast<milliseconds>(listen_retry_at - Clock::now());
          nap = std::clamp(retry, milliseconds(1), left);
        }
        wait_or(stop_claiming_, nap);
        ensure_listener();
        continue;
      }
      try {
        if (listener->wait(std::min(left, kListenSlice))) break;
      } catch (const std::exception& e) {
        drop_listener(e);
      }
    }
  }
}

void Runner::dispatch(std::vector<queue::Job> jobs) {
  {
    std::lock_guard lock(mutex_);
    for (auto& job : jobs) {
      auto in_flight = std::make_shared<InFlight>(std::move(job));
      held_.emplace(in_flight->job.id, in_flight);
      ready_.push_back(std::move(in_flight));
      ++in_flight_;
    }
  }
  work_cv_.notify_all();
}

void Runner::execute_loop() {
  for (;;) {
    InFlightPtr job;
    {
      std::unique_lock lock(mutex_);
      work_cv_.wait(lock, [this] { return !ready_.empty() || executors_exit_; });
      if (ready_.empty()) break;
      job = std::move(ready_.front());
      ready_.pop_front();
    }
    execute(job);
  }
  {
    std::lock_guard lock(mutex_);
    --executors_alive_;
  }
  cv_.notify_all();
}

void Runner::execute(const InFlightPtr& job) {
  job->started = Clock::now();
  ++metrics_.running;
  struct Done {
    std::atomic<int>& running;
    ~Done() { --running; }
  } done{metrics_.running};

  const Registration* registration = handlers_.find(job->job.kind);
  if (registration == nullptr) {
    record_failure(
        job, Failure{Failure::Type::permanent, "unknown job kind '" + job->job.kind + "'", {}});
    return;
  }
  if (registration->needs_transaction) {
    run_in_transaction(job, *registration);
    return;
  }
  nlohmann::json result;
  try {
    result = registration->handler(JobContext(job->job, nullptr, job->interrupt));
  } catch (...) {
    record_failure(job, Failure::from(std::current_exception()));
    return;
  }
  job->completing = true;
  {
    std::lock_guard lock(mutex_);
    job->awaiting_completion = true;
    ++awaiting_completion_;
  }
  cv_.notify_all();
  completer_.submit(job->job.lease(), std::move(result), [this, job](bool held) {
    if (held) {
      finish(job, "succeeded");
    } else {
      finish(job, "lost", "lease lost before completion (rescued or cancelled elsewhere)");
    }
  });
}

void Runner::run_in_transaction(const InFlightPtr& job, const Registration& registration) {
  std::optional<Failure> failure;
  try {
    auto conn = pool_.acquire();
    nlohmann::json outside;
    if (registration.outside) {
      try {
        outside = registration.outside(JobContext(job->job, nullptr, job->interrupt), *conn);
      } catch (...) {
        failure = Failure::from(std::current_exception());
      }
    }
    std::optional<pqxx::work> tx;
    if (!failure) tx.emplace(*conn);
    nlohmann::json result;
    if (!failure) {
      try {
        result = registration.handler(JobContext(job->job, &*tx, job->interrupt, std::move(outside)));
      } catch (...) {
        failure = Failure::from(std::current_exception());
      }
    }
    if (!failure) {
      job->completing = true;
      queue::complete(*tx, job->job.lease(), result);
      tx->commit();
      finish(job, "succeeded");
      return;
    }
    // Leaving the scope rolls back the handler's writes; the failure is recorded apart.
  } catch (const queue::FenceLost& e) {
    finish(job, "lost", std::string("rolled back: ") + e.what());
    return;
  } catch (...) {
    failure = Failure::from(std::current_exception());
  }
  record_failure(job, *failure);
}

void Runner::record_failure(const InFlightPtr& job, const Failure& failure) {
  const auto lease = job->job.lease();
  job->completing = true;
  Backoff backoff;
  int other_errors = 0;
  for (;;) {
    if (job->lost) {
      finish(job, "lost", "lease lost while recording: " + failure.error);
      return;
    }
    try {
      auto conn = pool_.acquire();
      pqxx::work tx(*conn);
      std::string outcome = "lost";
      switch (failure.type) {
        case Failure::Type::snooze:
          if (queue::snooze(tx, lease, failure.delay)) outcome = "snoozed";
          break;
        case Failure::Type::cancelled:
          if (queue::cancel_running(tx, lease, failure.error)) outcome = "cancelled";
          break;
        case Failure::Type::transient:
        case Failure::Type::permanent:
          switch (queue::fail(tx, lease, failure.error, failure.type == Failure::Type::permanent,
                              queue::retry_delay(job->job.attempt))) {
            case queue::FailOutcome::retried:
              outcome = "retried";
              break;
            case queue::FailOutcome::failed:
              outcome = "failed";
              if (const auto* r = handlers_.find(job->job.kind); r != nullptr && r->on_failed) {
                r->on_failed(tx, job->job, failure.error);
              }
              break;
            case queue::FailOutcome::cancelled:
              outcome = "cancelled";
              break;
            case queue::FailOutcome::fence_lost:
              outcome = "lost";
              break;
          }
          break;
      }
      tx.commit();
      finish(job, outcome, failure.error);
      return;
    } catch (const queue::FenceLost& e) {
      finish(job, "lost", e.what());
      return;
    } catch (const std::exception& e) {
      const bool connection = is_connection_error(e);
      if (abandon_ || (!connection && ++other_errors >= kRecordAttempts)) {
        // Stop heartbeating it: the lease expires and maintenance makes it available again.
        {
          std::lock_guard lock(mutex_);
          held_.erase(job->job.id);
        }
        finish(job, "abandoned",
               "could not record '" + failure.error + "': " + error_text(e) +
                   "; the lease will expire and the job be rescued");
        return;
      }
      const auto delay = backoff.next();
      log(level_enum::warn, "cannot record a job outcome; retrying",
          {{"job_id", job->job.id}, {"error", error_text(e)}, {"retry_in_ms", delay.count()}});
      wait_or(abandon_, delay);
    }
  }
}

void Runner::finish(const InFlightPtr& job, const std::string& outcome, const std::string& error) {
  {
    std::lock_guard lock(mutex_);
    if (job->finished) return;
    job->finished = true;
    if (const auto it = held_.find(job->job.id); it != held_.end() && it->second == job) {
      held_.erase(it);
    }
    --in_flight_;
    if (job->awaiting_completion) --awaiting_completion_;
  }
  cv_.notify_all();
  const std::chrono::duration<double> duration = Clock::now() - job->started;
  metrics_.job_finished(job->job.kind, outcome, duration);
  nlohmann::json fields = {{"job_id", job->job.id},
                           {"kind", job->job.kind},
                           {"queue", job->job.queue},
                           {"attempt", job->job.attempt},
                           {"duration_ms", std::round(duration.count() * 100000) / 100},
                           {"outcome", outcome}};
  if (!error.empty()) fields["error"] = error;
  log(outcome_level(outcome), "job " + outcome, fields);
}

void Runner::heartbeat_loop() {
  const auto interval = config_.lease_duration / 3;
  const queue::WorkerInfo info{config_.worker_id, hostname(),     ::getpid(),
                               DAAP_VERSION,      config_.queues, config_.concurrency};
  Backoff backoff;
  bool reregister = false;
  auto next = interval;
  while (!wait_or(stop_background_, next)) {
    std::vector<queue::JobLease> leases;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [id, job] : held_) leases.push_back(job->job.lease());
    }
    queue::HeartbeatResult result;
    try {
      auto conn = pool_.acquire();
      pqxx::work tx(*conn);
      if (!leases.empty()) result = queue::heartbeat(tx, leases, config_.lease_duration);
      // After an outage the row may have been pruned as stale: upsert it.
      if (reregister) {
        queue::register_worker(tx, info);
      } else {
        queue::touch_worker(tx, config_.worker_id);
      }
      tx.commit();
      if (reregister) log(level_enum::info, "heartbeats resumed");
      reregister = false;
      backoff.reset();
      next = interval;
    } catch (const std::exception& e) {
      reregister = true;
      next = std::min(backoff.next(), interval);
      log(level_enum::warn, "heartbeat failed; retrying",
          {{"error", error_text(e)}, {"retry_in_ms", next.count()}});
      continue;
    }
    std::vector<queue::JobId> lost, cancelled;
    {
      std::lock_guard lock(mutex_);
      for (const auto id : result.lost) {
        if (const auto it = held_.find(id); it != held_.end() && !it->second->completing) {
          it->second->lost = true;
          held_.erase(it);
          lost.push_back(id);
        }
      }
      for (const auto id : result.cancel_requested) {
        if (const auto it = held_.find(id);
            it != held_.end() && it->second->interrupt.fire(InterruptReason::cancel)) {
          cancelled.push_back(id);
        }
      }
    }
    for (const auto id : lost) {
      log(level_enum::warn, "lease lost (job rescued or finished elsewhere); forgetting it",
          {{"job_id", id}});
    }
    for (const auto id : cancelled) {
      log(level_enum::info, "cancellation requested; told the handler", {{"job_id", id}});
    }
    try {
      pool_.maintain();
    } catch (const std::exception& e) {
      log(level_enum::debug, "pool top-up failed", {{"error", error_text(e)}});
    }
  }
}

void Runner::maintenance_loop() {
  const auto interval = std::max(milliseconds(250), config_.lease_duration / 2);
  if (config_.poll_only) {
    maintenance_loop_per_transaction(interval);
    return;
  }
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<queue::LeaderElector> elector;  // refers to *conn: reset first
  Backoff backoff;
  auto next = milliseconds(0);
  while (!wait_or(stop_background_, next)) {
    try {
      if (!conn) {
        conn = std::make_unique<pqxx::connection>(config_.database.url);
        elector = std::make_unique<queue::LeaderElector>(*conn);
      }
      const bool was_leader = elector->is_leader();
      const bool leader = elector->try_lead();
      if (leader != was_leader) {
        log(level_enum::info,
            leader ? "became maintenance leader" : "no longer maintenance leader");
      }
      if (leader) maintain_once(*conn);
      backoff.reset();
      next = interval;
    } catch (const std::exception& e) {
      elector.reset();
      conn.reset();
      next = backoff.next();
      log(level_enum::warn, "maintenance failed; reconnecting",
          {{"error", error_text(e)}, {"retry_in_ms", next.count()}});
    }
  }
  if (elector && elector->is_leader()) {
    try {
      elector->resign();
    } catch (const std::exception&) {
      // The lock goes away with the connection anyway.
    }
  }
  elector.reset();
}

// Behind PgBouncer in transaction mode a session advisory lock can stay with a server
// connection other clients then use; a transaction-scoped lock on the same key cannot (and it
// excludes session-lock leaders of other replicas too).
void Runner::maintenance_loop_per_transaction(milliseconds interval) {
  std::unique_ptr<pqxx::connection> conn;
  bool leader = false;
  Backoff backoff;
  auto next = milliseconds(0);
  while (!wait_or(stop_background_, next)) {
    try {
      if (!conn) conn = std::make_unique<pqxx::connection>(config_.database.url);
      pqxx::work tx(*conn);
      const bool lead = tx.query_value<bool>("SELECT pg_try_advisory_xact_lock($1)",
                                             pqxx::params{queue::LeaderElector::kLockKey});
      if (lead != leader) {
        log(level_enum::info, lead ? "became maintenance leader" : "no longer maintenance leader");
      }
      leader = lead;
      if (lead) maintain_in(tx);
      tx.commit();
      backoff.reset();
      next = interval;
    } catch (const std::exception& e) {
      conn.reset();
      next = backoff.next();
      log(level_enum::warn, "maintenance failed; reconnecting",
          {{"error", error_text(e)}, {"retry_in_ms", next.count()}});
    }
  }
}

void Runner::maintain_once(pqxx::connection& conn) {
  pqxx::work tx(conn);
  maintain_in(tx);
  tx.commit();
}

void Runner::maintain_in(pqxx::transaction_base& tx) {
  // One bounded batch of each per pass: a backlog is worked off over the next passes.
  const auto rescued = queue::rescue_expired_leases(tx);
  const int pruned =
      queue::prune_finished_jobs(tx, config_.succeeded_retention, config_.failed_retention);
  const int workers = queue::prune_stale_workers(tx, queue::kStaleWorkerAfterDefault);
  if (rescued.made_available + rescued.failed + rescued.cancelled > 0) {
    log(level_enum::info, "rescued jobs with expired leases",
        {{"made_available", rescued.made_available},
         {"failed", rescued.failed},
         {"cancelled", rescued.cancelled}});
  }
  if (pruned + workers > 0) {
    log(level_enum::info, "pruned", {{"finished_jobs", pruned}, {"stale_workers", workers}});
  }
}

std::optional<int> Runner::release(const std::vector<InFlightPtr>& jobs, Clock::time_point until) {
  if (jobs.empty()) return 0;
  std::vector<queue::JobLease> leases;
  for (const auto& job : jobs) leases.push_back(job->job.lease());
  Backoff backoff;
  for (;;) {
    try {
      auto conn = pool_.acquire();
      pqxx::work tx(*conn);
      const int released = queue::release(tx, leases);
      tx.commit();
      return released;
    } catch (const std::exception& e) {
      const auto delay = backoff.next();
      if (Clock::now() + delay > until) {
        log(level_enum::err, "cannot release jobs; their leases will expire and be rescued",
            {{"jobs", leases.size()}, {"error", error_text(e)}});
        return std::nullopt;
      }
      log(level_enum::warn, "release failed; retrying",
          {{"error", error_text(e)}, {"retry_in_ms", delay.count()}});
      std::this_thread::sleep_for(delay);
    }
  }
}

}  // namespace daap::worker
