#include "tests/lifecycle/hung_server.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace daap::test {

HungServer::HungServer() : listener_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(listener_, 8) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("cannot listen on loopback");
  }
  port_ = ntohs(addr.sin_port);
}

HungServer::~HungServer() {
  for (const int fd : accepted_) ::close(fd);
  ::close(listener_);
}

std::string HungServer::url() const {
  return "postgresql://daap:secret@127.0.0.1:" + std::to_string(port_) + "/daap";
}

bool HungServer::accept_one(std::chrono::milliseconds timeout) {
  pollfd p{listener_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
  const int fd = ::accept(listener_, nullptr, nullptr);
  if (fd < 0) return false;
  accepted_.push_back(fd);
  p = pollfd{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

}  // namespace daap::test
