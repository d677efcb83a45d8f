// A file descriptor that becomes readable when an Interrupt fires: a step waiting in poll() on
// a socket or a pipe puts it in the same poll set and wakes at once.
#pragma once

#include <chrono>

#include "worker/interrupt.h"

namespace daap::worker::provisioners {

class InterruptWakeup {
 public:
  explicit InterruptWakeup(Interrupt& interrupt);
  ~InterruptWakeup();
  InterruptWakeup(const InterruptWakeup&) = delete;
  InterruptWakeup& operator=(const InterruptWakeup&) = delete;

  // Readable (POLLIN) once the interrupt has fired.
  int fd() const { return fd_; }
  // Waits up to `timeout`; true if the interrupt fired.
  bool wait_for(std::chrono::milliseconds timeout) const;

 private:
  int fd_;
  Interrupt::Hook hook_;  // removed before fd_ is closed, so it never writes to a reused fd
};

}  // namespace daap::worker::provisioners
