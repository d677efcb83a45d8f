#include "queue/notifier.h"

namespace daap::queue {

JobListener::JobListener(pqxx::connection& conn) : conn_(conn) {
  conn_.listen(kJobsChannel, [this](pqxx::notification) { ++received_; });
}

JobListener::~JobListener() {
  try {
    conn_.listen(kJobsChannel);  // an empty handler UNLISTENs
  } catch (const std::exception&) {
    // The connection is gone: nothing listens any more.
  }
}

bool JobListener::wait(std::chrono::milliseconds timeout) {
  using std::chrono::steady_clock;
  received_ = 0;
  conn_.get_notifs();  // what arrived since the last wait counts
  const auto deadline = steady_clock::now() + timeout;
  while (received_ == 0) {
    // Rounded up, so the wait never ends before the deadline.
    const auto left = std::chrono::ceil<std::chrono::microseconds>(deadline - steady_clock::now());
    if (left.count() <= 0) break;
    // await_notification wakes up by itself at times: loop until the deadline.
    conn_.await_notification(static_cast<std::time_t>(left.count() / 1'000'000),
                             static_cast<long>(left.count() % 1'000'000));
  }
  const bool woke = received_ > 0;
  received_ = 0;
  return woke;
}

}  // namespace daap::queue
