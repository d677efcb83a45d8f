// What a provisioner does for a database record: make it real, or remove it. Both are
// idempotent and run outside any platform transaction.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "schema/database_record.h"

namespace daap::worker::provisioners {

// A provisioning step failed. Its message is safe to log and to store (never a password or
// a statement's text). Transient: the job retries.
class ProvisionError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Outcome of provision(): connection details once ready, nullopt while still starting.
using ProvisionResult = std::optional<schema::ConnectionDetails>;

class Provisioner {
 public:
  virtual ~Provisioner() = default;
  // Creates (or finds) the database of `record`. Throws ProvisionError.
  virtual ProvisionResult provision(const schema::DatabaseRecord& record) = 0;
  // Removes the database of `record` and its credentials; nothing to remove is fine.
  virtual void deprovision(const schema::DatabaseRecord& record) = 0;
};

}  // namespace daap::worker::provisioners
