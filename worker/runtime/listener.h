// Hears the database's notifications on a dedicated connection (LISTEN): new jobs wake the
// producer, cancellation requests interrupt the running job at once. Reconnects with backoff
// when the connection drops; the producer's polling covers the gap.
#pragma once

#include <functional>
#include <stop_token>
#include <string>
#include <thread>

#include "queue/job.h"

namespace daap::worker::runtime {

class Listener {
 public:
  // `on_jobs`: jobs may be due (also called after each (re)connect, for what was missed).
  // `on_cancel`: a running job's cancellation was requested.
  Listener(std::string url, std::function<void()> on_jobs,
           std::function<void(queue::JobId)> on_cancel);
  void start();
  void stop();

 private:
  void run(std::stop_token stop);

  std::string url_;
  std::function<void()> on_jobs_;
  std::function<void(queue::JobId)> on_cancel_;
  std::jthread thread_;
};

}  // namespace daap::worker::runtime
