#include "queue/notifier.h"

#include <charconv>

namespace daap::queue {

JobListener::JobListener(pqxx::connection& conn) : conn_(conn) {
  conn_.listen(kJobsChannel, [this](pqxx::notification) { heard_.jobs = true; });
  conn_.listen(kCancelChannel, [this](pqxx::notification n) {
    JobId id = 0;
    const auto text = n.payload;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (error == std::errc() && end == text.data() + text.size()) {
      heard_.cancel_requests.push_back(id);
    }
  });
}

JobListener::~JobListener() {
  try {
    conn_.listen(kJobsChannel);  // an empty handler UNLISTENs
    conn_.listen(kCancelChannel);
  } catch (const std::exception&) {
    // The connection is gone: nothing listens any more.
  }
}

JobListener::Heard JobListener::listen(std::chrono::milliseconds timeout) {
  using std::chrono::steady_clock;
  conn_.get_notifs();  // what arrived since the last wait counts
  const auto deadline = steady_clock::now() + timeout;
  while (!heard_.any()) {
    // Rounded up, so the wait never ends before the deadline.
    const auto left = std::chrono::ceil<std::chrono::microseconds>(deadline - steady_clock::now());
    if (left.count() <= 0) break;
    // await_notification wakes up by itself at times: loop until the deadline.
    conn_.await_notification(static_cast<std::time_t>(left.count() / 1'000'000),
                             static_cast<long>(left.count() % 1'000'000));
  }
  return std::exchange(heard_, Heard{});
}

bool JobListener::wait(std::chrono::milliseconds timeout) {
  using std::chrono::steady_clock;
  const auto deadline = steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - steady_clock::now());
    if (listen(std::max(left, std::chrono::milliseconds(0))).jobs) return true;
    if (steady_clock::now() >= deadline) return false;
  }
}

}  // namespace daap::queue
