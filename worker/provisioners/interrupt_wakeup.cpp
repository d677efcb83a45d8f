#include "worker/provisioners/interrupt_wakeup.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "worker/provisioners/provisioner.h"

namespace daap::worker::provisioners {

InterruptWakeup::InterruptWakeup(Interrupt& interrupt)
    : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0) throw ProvisionError("cannot create an eventfd to wait on");
  hook_ = interrupt.on_interrupt([fd = fd_] {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(fd, &one, sizeof one);  // cannot fail but for overflow
  });
}

InterruptWakeup::~InterruptWakeup() {
  hook_ = Interrupt::Hook();
  ::close(fd_);
}

bool InterruptWakeup::wait_for(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace daap::worker::provisioners
