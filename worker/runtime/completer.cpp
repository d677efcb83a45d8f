#include "worker/runtime/completer.h"

#include <unordered_set>

#include "queue/errors.h"
#include "queue/executor_sql.h"
#include "queue/transaction_settings.h"
#include "worker/runtime/retry.h"

namespace daap::worker::runtime {

Completer::Completer(ConnectionPool& pool, Options options) : pool_(pool), options_(options) {}

Completer::~Completer() { stop(true); }

void Completer::start() {
  thread_ = std::thread([this] { run(); });
}

void Completer::submit(queue::JobLease lease, nlohmann::json result, Done done) {
  std::lock_guard lock(mutex_);
  pending_.push_back(Item{std::move(lease), std::move(result), std::move(done)});
  if (pending_.size() == 1 || pending_.size() >= options_.max_batch) cv_.notify_one();
}

void Completer::submit(std::vector<Item> items) {
  if (items.empty()) return;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    wake = pending_.empty();
    for (auto& item : items) pending_.push_back(std::move(item));
    wake = wake || pending_.size() >= options_.max_batch;
  }
  if (wake) cv_.notify_one();
}

void Completer::stop(bool abandon) {
  if (abandon) abandon_.request_stop();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Completer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) return;
    std::vector<Item> batch;
    if (pending_.size() <= options_.max_batch) {
      batch.swap(pending_);
    } else {
      const auto end = pending_.begin() + static_cast<std::ptrdiff_t>(options_.max_batch);
      batch.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(end));
      pending_.erase(pending_.begin(), end);
    }
    lock.unlock();
    flush(batch);
    lock.lock();
  }
}

void Completer::flush(std::vector<Item>& batch) {
  std::vector<queue::JobLease> leases;
  std::vector<nlohmann::json> results;
  leases.reserve(batch.size());
  results.reserve(batch.size());
  for (const auto& item : batch) {
    leases.push_back(item.lease);
    results.push_back(item.result);
  }
  bool refused = false;
  const auto held = retry("grouped completion", abandon_.get_token(), {1, std::nullopt}, [&] {
    try {
      auto conn = pool_.acquire();
      pqxx::work tx(*conn, "complete");
      queue::limit_idle_time(tx, options_.idle_limit);
      auto ids = queue::complete_many(tx, leases, results);
      tx.commit();
      return ids;
    } catch (const std::exception& e) {
      // Not the connection: the statement itself failed; retrying the same batch cannot help.
      if (!is_connection_error(e)) refused = true;
      throw;
    }
  });
  if (!held) {
    if (refused && !abandon_.stop_requested()) {
      flush_one_by_one(batch);
    } else {
      for (auto& item : batch) item.done(Outcome::abandoned);
    }
    return;
  }
  const std::unordered_set<queue::JobId> ok(held->begin(), held->end());
  for (auto& item : batch) item.done(ok.contains(item.lease.id) ? Outcome::succeeded : Outcome::lost);
}

void Completer::flush_one_by_one(std::vector<Item>& batch) {
  for (auto& item : batch) {
    const auto outcome = retry(
        "completing job " + std::to_string(item.lease.id), abandon_.get_token(), {}, [&] {
          auto conn = pool_.acquire();
          std::string refused;
          try {
            pqxx::work tx(*conn, "complete");
            queue::limit_idle_time(tx, options_.idle_limit);
            queue::complete(tx, item.lease, item.result);
            tx.commit();
            return Outcome::succeeded;
          } catch (const queue::FenceLost&) {
            return Outcome::lost;
          } catch (const pqxx::sql_error& e) {
            if (is_connection_error(e)) throw;
            refused = error_text(e);
          }
          // The server refuses this job's result (a value jsonb cannot hold): retrying cannot
          // help, so the job fails saying why instead of staying unrecorded.
          pqxx::work tx(*conn, "fail");
          const auto failed = queue::fail(tx, item.lease, "the result cannot be stored: " + refused,
                                          /*permanent=*/true, {});
          tx.commit();
          return failed == queue::FailOutcome::fence_lost ? Outcome::lost : Outcome::failed;
        });
    item.done(outcome.value_or(Outcome::abandoned));
  }
}

}  // namespace daap::worker::runtime
