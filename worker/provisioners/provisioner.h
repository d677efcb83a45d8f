// What a provisioner does for a database record: make it real, or remove it. Both are
// idempotent and run outside any platform transaction.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

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

// What a reconcile found for one record: nullopt when its database, role and secret are there
// and the secret logs in, else what is missing or wrong (for the record's error_message).
struct RecordHealth {
  std::string database_id;
  std::optional<std::string> problem;
};

// An object carrying the provisioner's ownership mark whose record is not live (deleted or
// gone): reported, never dropped.
struct Orphan {
  std::string object;       // "database daap_x_...", "role ...", "Cluster ns/name"
  std::string database_id;  // the id its mark names
};

struct ReconcileReport {
  std::vector<RecordHealth> records;
  std::vector<Orphan> orphans;
};

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
  // Checks that each of `records` (ready or degraded) still has what provision() made, and
  // lists marked objects whose id is not in `live_ids`. Reads only: never creates, changes or
  // drops anything. Throws ProvisionError when the target cannot be asked.
  virtual ReconcileReport reconcile(const std::vector<schema::DatabaseRecord>& records,
                                    const std::vector<std::string>& live_ids,
                                    Interrupt& interrupt) = 0;
};

}  // namespace daap::worker::provisioners
