// A provisioning target that hangs: a loopback TCP server that accepts connections and never
// answers. Closing it (destructor) ends whatever still waits on it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace daap::test {

class HungServer {
 public:
  HungServer();
  ~HungServer();
  HungServer(const HungServer&) = delete;
  HungServer& operator=(const HungServer&) = delete;

  // A PostgreSQL URL pointing at it.
  std::string url() const;
  // Waits until a client has connected and sent its first packet, so that it now waits for
  // an answer (true), or `timeout` (false).
  bool accept_one(std::chrono::milliseconds timeout);

 private:
  int listener_;
  int port_ = 0;
  std::vector<int> accepted_;
};

}  // namespace daap::test
