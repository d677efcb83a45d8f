#include "worker/console/overview_cache.h"

#include "worker/console/pages.h"
#include "worker/console/queries.h"

namespace daap::worker::console {

OverviewCounts read_overview_counts(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  limit_statements(tx);
  OverviewCounts out;
  out.as_of = tx.query_value<std::string>("SELECT to_jsonb(now()) #>> '{}'");
  for (auto& q : queue::queue_overview(tx)) {
    const auto name = q.controls.name;
    out.queues.emplace(name, std::move(q));
  }
  for (const auto& row : tx.exec(sql::finished_counts)) {
    out.finished[row["queue"].as<std::string>()] = {
        row["succeeded_1h"].as<std::int64_t>(), row["failed_1h"].as<std::int64_t>(),
        row["succeeded_24h"].as<std::int64_t>(), row["failed_24h"].as<std::int64_t>()};
  }
  for (const auto& row : tx.exec(sql::throughput)) {
    out.minutes.push_back({row["succeeded"].as<std::int64_t>(), row["failed"].as<std::int64_t>()});
  }
  return out;
}

OverviewCache::OverviewCache(ConnectionPool& pool, std::chrono::milliseconds max_age)
    : pool_(pool), max_age_(max_age) {
  if (max_age_.count() > 0) {
    // Read once at start, so that the first page finds counts (or waits only for the rest of
    // this read) instead of reading them itself.
    refresh_wanted_ = true;
    refresher_ = std::thread([this] { refresh_loop(); });
  }
}

OverviewCache::~OverviewCache() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (refresher_.joinable()) refresher_.join();
}

std::shared_ptr<const OverviewCounts> OverviewCache::get() {
  {
    std::lock_guard lock(mutex_);
    if (counts_ && max_age_.count() > 0) {
      if (std::chrono::steady_clock::now() - read_at_ > max_age_ && !refresh_wanted_) {
        refresh_wanted_ = true;
        wake_.notify_all();
      }
      return counts_;
    }
  }
  std::lock_guard reading(read_mutex_);
  {
    // Another request may have read them while this one waited.
    std::lock_guard lock(mutex_);
    if (counts_ && max_age_.count() > 0) return counts_;
  }
  auto conn = pool_.acquire();
  auto fresh = std::make_shared<const OverviewCounts>(read_overview_counts(*conn));
  std::lock_guard lock(mutex_);
  counts_ = fresh;
  read_at_ = std::chrono::steady_clock::now();
  return fresh;
}

void OverviewCache::refresh_loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || refresh_wanted_; });
    if (stopping_) return;
    lock.unlock();
    std::shared_ptr<const OverviewCounts> fresh;
    try {
      std::lock_guard reading(read_mutex_);
      auto conn = pool_.acquire();
      fresh = std::make_shared<const OverviewCounts>(read_overview_counts(*conn));
    } catch (const std::exception&) {
      // The last counts stay, with their as-of time; the next stale request tries again.
    }
    lock.lock();
    if (fresh) counts_ = fresh;
    read_at_ = std::chrono::steady_clock::now();
    refresh_wanted_ = false;
  }
}

}  // namespace daap::worker::console
