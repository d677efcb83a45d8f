// What a provisioner does for a database record: make it real, or remove it. Both are
// idempotent and run outside any platform transaction.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "queue/errors.h"
#include "schema/database_record.h"
#include "worker/interrupt.h"

namespace daap::worker::provisioners {

// A provisioning step failed. Its message is safe to log and to store (never a password or
// a statement's text). Transient: the job retries.
class ProvisionError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// An object the provisioner would have to adopt, alter or drop belongs to something else
// (another record, or nobody the provisioner knows). Permanent: the job fails at once and the
// object is left untouched. The message names the object and its owner mark.
class OwnershipConflict : public queue::PermanentError {
  using queue::PermanentError::PermanentError;
};

// Outcome of provision(): connection details once ready, nullopt while still starting.
using ProvisionResult = std::optional<schema::ConnectionDetails>;

class Provisioner {
 public:
  virtual ~Provisioner() = default;
  // Creates (or finds) the database of `record`. Throws ProvisionError, or OwnershipConflict.
  // A blocking step ends soon after `interrupt` fires (throwing ProvisionError).
  virtual ProvisionResult provision(const schema::DatabaseRecord& record,
                                    Interrupt& interrupt) = 0;
  // Removes the database of `record` and its credentials; nothing to remove is fine. Never
  // removes what another record owns (OwnershipConflict).
  virtual void deprovision(const schema::DatabaseRecord& record, Interrupt& interrupt) = 0;
};

}  // namespace daap::worker::provisioners
