#include "worker/runtime/listener.h"

#include <memory>

#include "queue/notifier.h"
#include "worker/backoff.h"
#include "worker/logging.h"
#include "worker/runtime/retry.h"

namespace daap::worker::runtime {

// How long one wait blocks before the loop looks at its stop token again.
constexpr std::chrono::milliseconds kListenSlice(250);

Listener::Listener(std::string url, std::function<void()> on_jobs,
                   std::function<void(queue::JobId)> on_cancel)
    : url_(std::move(url)), on_jobs_(std::move(on_jobs)), on_cancel_(std::move(on_cancel)) {}

void Listener::start() {
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void Listener::stop() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void Listener::run(std::stop_token stop) {
  Backoff backoff;
  bool was_down = false;
  while (!stop.stop_requested()) {
    try {
      pqxx::connection conn(url_);
      queue::JobListener listener(conn);
      if (was_down) log(spdlog::level::info, "LISTEN connection back");
      was_down = false;
      backoff.reset();
      on_jobs_();  // whatever was enqueued before LISTEN took effect
      while (!stop.stop_requested()) {
        const auto heard = listener.listen(kListenSlice);
        for (const auto id : heard.cancel_requests) on_cancel_(id);
        if (heard.jobs) on_jobs_();
      }
    } catch (const std::exception& e) {
      was_down = true;
      const auto delay = backoff.next();
      log(spdlog::level::warn, "LISTEN connection unavailable; polling until it is back",
          {{"error", error_text(e)}, {"retry_in_ms", delay.count()}});
      sleep_for(stop, delay);
    }
  }
}

}  // namespace daap::worker::runtime
