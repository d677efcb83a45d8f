// The `cnpg` provisioner: a CloudNativePG Cluster and a PgBouncer Pooler (transaction mode) per
// record, applied with `kubectl apply --server-side`; ready once the cluster is healthy and the
// pooler runs. Clients connect to <pooler>.<namespace>.svc:5432 with the <cluster>-app secret.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "worker/provisioners/provisioner.h"

namespace daap::worker::provisioners {

struct CnpgProvisionerConfig {
  std::string kubectl = "kubectl";  // looked up on PATH
  int instances = 1;                // PostgreSQL instances per cluster
  std::string storage_size = "1Gi";
  std::string image;  // spec.imageName; empty leaves the operator's default
  // kubectl --request-timeout on every call.
  std::chrono::milliseconds request_timeout = std::chrono::seconds(30);
};

// The Cluster and Pooler of `record` as a kubectl List, both labelled daap.io/database-id=<id>
// (names validated first; cluster_name and pooler_name must differ).
nlohmann::json render_manifests(const schema::DatabaseRecord& record,
                                const CnpgProvisionerConfig& config);

class CnpgProvisioner : public Provisioner {
 public:
  explicit CnpgProvisioner(CnpgProvisionerConfig config);
  // Applies the manifests (idempotent), then nullopt until the cluster is healthy. A Cluster
  // or Pooler of the record's names without its label: OwnershipConflict, nothing applied.
  ProvisionResult provision(const schema::DatabaseRecord& record, Interrupt& interrupt) override;
  // Deletes the Pooler and the Cluster (CloudNativePG removes the app secret with it), only if
  // they carry the record's label (else OwnershipConflict, nothing deleted).
  void deprovision(const schema::DatabaseRecord& record, Interrupt& interrupt) override;
  ReconcileReport reconcile(const std::vector<schema::DatabaseRecord>& records,
                            const std::vector<std::string>& live_ids,
                            Interrupt& interrupt) override;

 private:
  CnpgProvisionerConfig config_;
};

}  // namespace daap::worker::provisioners
