// One connection of the `postgres` provisioner to its target server: connected without
// blocking (PROVISION_CONNECT_TIMEOUT, or until the job's interrupt fires), every statement
// limited by the server's statement_timeout (PROVISION_STATEMENT_TIMEOUT) and ended at once by
// the interrupt, errors turned into ProvisionError texts that never hold a statement's text.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <pqxx/pqxx>

#include "worker/interrupt.h"

namespace daap::worker::provisioners {

struct TargetSettings {
  std::string url;  // may hold a password: never shown
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
  std::chrono::milliseconds statement_timeout = std::chrono::seconds(60);
};

// Whether a statement carries a credential (a password verifier): then the server's message
// is left out of the error and only its SQLSTATE kept.
enum class Secrecy { none, credential };

class TargetConnection {
 public:
  // Connects; throws ProvisionError (unreachable, no answer within the connect timeout,
  // interrupted).
  TargetConnection(const TargetSettings& settings, Interrupt& interrupt);
  TargetConnection(const TargetConnection&) = delete;
  TargetConnection& operator=(const TargetConnection&) = delete;

  pqxx::connection& conn() { return conn_; }
  // The server's host and port, as clients should use them.
  const std::string& host() const { return host_; }
  int port() const { return port_; }

  // Runs one step (`what` says it in errors: "creating role x"). Throws ProvisionError with
  // the server's first line and SQLSTATE, or that it was interrupted or lost the connection.
  void run(const std::string& what, const std::function<void()>& step,
           Secrecy secrecy = Secrecy::none);

 private:
  Interrupt& interrupt_;
  pqxx::connection conn_;
  std::string host_;
  int port_ = 5432;
  Interrupt::Hook hook_;  // shuts conn_'s socket down; destroyed before conn_
};

}  // namespace daap::worker::provisioners
