// The `postgres` provisioner: one login role and one database owned by it per record, on a
// target PostgreSQL server; credentials in <secrets_dir>/<secret_name>.json (mode 0600).
#pragma once

#include <chrono>
#include <string>

#include "worker/provisioners/provisioner.h"
#include "worker/provisioners/target_connection.h"

namespace daap::worker::provisioners {

struct PostgresProvisionerConfig {
  std::string target_url;  // a superuser (or CREATEROLE + CREATEDB) connection; may hold a password
  std::string secrets_dir;  // created 0700 if missing; a warning if open to group or others
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
  std::chrono::milliseconds statement_timeout = std::chrono::seconds(60);
  std::chrono::milliseconds test_delay{0};  // tests only: pause between steps
};

// The role and database of a record: "daap_" + the name's first 25 characters ('-' as '_') +
// "_" + the record id's 32 hex digits. At most 63 bytes (a PostgreSQL identifier), and two
// records never share it whatever their names. Validates name and id first (InvalidInput).
std::string role_name_for(const schema::DatabaseRecord& record);
// "daap-" + the name's first 25 characters + "-" + the id's 32 hex digits: the secret's file is
// <secrets_dir>/<secret_name>.json.
std::string secret_name_for(const schema::DatabaseRecord& record);
// "daap:database-id=<record id>": the comment that marks a role or database as the record's.
// Nothing without it is altered or dropped (OwnershipConflict).
std::string ownership_mark(const schema::DatabaseRecord& record);

class PostgresProvisioner : public Provisioner {
 public:
  // Checks the secrets directory (at start-up: make() builds the provisioner).
  explicit PostgresProvisioner(PostgresProvisionerConfig config);
  ProvisionResult provision(const schema::DatabaseRecord& record, Interrupt& interrupt) override;
  void deprovision(const schema::DatabaseRecord& record, Interrupt& interrupt) override;
  ReconcileReport reconcile(const std::vector<schema::DatabaseRecord>& records,
                            const std::vector<std::string>& live_ids,
                            Interrupt& interrupt) override;

 private:
  TargetSettings target() const;
  void test_pause(Interrupt& interrupt) const;

  PostgresProvisionerConfig config_;
};

}  // namespace daap::worker::provisioners
