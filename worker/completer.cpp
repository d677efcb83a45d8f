#include "worker/completer.h"

#include <unordered_set>

#include "queue/executor_sql.h"
#include "worker/backoff.h"
#include "worker/logging.h"

namespace daap::worker {

BatchCompleter::BatchCompleter(ConnectionPool& pool, Options options)
    : pool_(pool), options_(options) {}

BatchCompleter::~BatchCompleter() { stop(true); }

void BatchCompleter::start() {
  thread_ = std::thread([this] { run(); });
}

void BatchCompleter::submit(queue::JobLease lease, nlohmann::json result, Done done) {
  std::lock_guard lock(mutex_);
  pending_.push_back(Item{std::move(lease), std::move(result), std::move(done)});
  if (pending_.size() == 1 || pending_.size() >= options_.max_batch) cv_.notify_one();
}

void BatchCompleter::stop(bool abandon) {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    abandon_ = abandon_ || abandon;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void BatchCompleter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) return;
    // Group commit without an artificial delay: what arrives while a flush is committing goes
    // into the next flush, so batches grow with the load and an idle worker waits for nothing.
    std::vector<Item> batch;
    if (pending_.size() <= options_.max_batch) {
      batch.swap(pending_);
    } else {
      batch.assign(std::make_move_iterator(pending_.begin()),
                   std::make_move_iterator(pending_.begin() +
                                           static_cast<std::ptrdiff_t>(options_.max_batch)));
      pending_.erase(pending_.begin(),
                     pending_.begin() + static_cast<std::ptrdiff_t>(options_.max_batch));
    }
    lock.unlock();
    flush(batch);
    lock.lock();
  }
}

void BatchCompleter::flush(std::vector<Item>& batch) {
  std::vector<queue::JobLease> leases;
  std::vector<nlohmann::json> results;
  for (const auto& item : batch) {
    leases.push_back(item.lease);
    results.push_back(item.result);
  }
  Backoff backoff;
  for (;;) {
    try {
      auto conn = pool_.acquire();
      pqxx::work tx(*conn);
      const auto held = queue::complete_many(tx, leases, results);
      tx.commit();
      const std::unordered_set<queue::JobId> ok(held.begin(), held.end());
      for (auto& item : batch) item.done(ok.contains(item.lease.id));
      return;
    } catch (const std::exception& e) {
      const auto delay = backoff.next();
      {
        std::lock_guard lock(mutex_);
        if (abandon_) {
          log(spdlog::level::warn, "giving up grouped completion at shutdown",
              {{"jobs", batch.size()}, {"error", redact_url(e.what())}});
          for (auto& item : batch) item.done(false);
          return;
        }
      }
      log(spdlog::level::warn, "grouped completion failed; retrying",
          {{"jobs", batch.size()},
           {"error", redact_url(e.what())},
           {"retry_in_ms", delay.count()}});
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, delay, [this] { return abandon_; });
    }
  }
}

}  // namespace daap::worker
