#include "worker/provisioners/cnpg_provisioner.h"

#include <set>
#include <utility>
#include <vector>

#include "schema/database_record.h"
#include "schema/errors.h"
#include "worker/config.h"
#include "worker/provisioners/child_process.h"

namespace daap::worker::provisioners {
namespace {

constexpr const char* kApiVersion = "postgresql.cnpg.io/v1";
constexpr const char* kHealthy = "Cluster in healthy state";
constexpr const char* kFieldManager = "daap-worker";

std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

// kubectl calls for one provisioning step: each with --request-timeout, in a process group of
// its own that the job's interrupt ends (then ProvisionError: interrupted).
class Kubectl {
 public:
  Kubectl(const CnpgProvisionerConfig& config, Interrupt& interrupt)
      : config_(config), interrupt_(interrupt) {}

  // Runs `kubectl <args>`; a non-zero exit is a ProvisionError with kubectl's first error line
  // (a server URL in it may hold credentials: redacted).
  ChildResult run(std::vector<std::string> args, const std::string& input = "") const {
    const std::string verb = args.front();
    args.insert(args.begin() + 1, "--request-timeout=" + format_duration(config_.request_timeout));
    args.insert(args.begin(), config_.kubectl);
    auto result = run_child(args, input, interrupt_);
    if (result.interrupted) {
      throw ProvisionError("kubectl " + verb + ": interrupted (" +
                           std::string(to_string(interrupt_.reason())) + ")");
    }
    if (result.status == 127) {
      throw ProvisionError("cannot run " + config_.kubectl + " (is it installed and on PATH?)");
    }
    if (result.status != 0) {
      throw ProvisionError("kubectl " + verb + " failed (exit " + std::to_string(result.status) +
                           "): " + redact_url(first_line(result.err)));
    }
    return result;
  }

  // `kubectl get <resource> <name> -o json`: the object.
  nlohmann::json get(const std::string& resource, const std::string& name,
                     const std::string& namespace_name) const {
    const auto result = run({"get", resource, name, "--namespace", namespace_name, "-o", "json"});
    auto j = nlohmann::json::parse(result.out, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      throw ProvisionError("kubectl get " + resource + " " + name + " printed no JSON object");
    }
    return j;
  }

 private:
  const CnpgProvisionerConfig& config_;
  Interrupt& interrupt_;
};

constexpr const char* kOwnerLabel = "daap.io/database-id";
constexpr const char* kClusters = "clusters.postgresql.cnpg.io";
constexpr const char* kPoolers = "poolers.postgresql.cnpg.io";

nlohmann::json labels(const schema::DatabaseRecord& record) {
  return {{"app.kubernetes.io/managed-by", "daap-worker"}, {kOwnerLabel, record.id}};
}

// Names come from the record, which other services write too: checked before any use.
void validate_names(const schema::DatabaseRecord& record) {
  schema::validate_name(record.name);
  schema::validate_namespace(record.namespace_name);
  schema::validate_name(record.cluster_name);
  schema::validate_name(record.pooler_name);
  // CloudNativePG names a Cluster's and a Pooler's ServiceAccount, Role and RoleBinding after
  // the object: the two must not share a name.
  if (record.cluster_name == record.pooler_name) {
    throw schema::InvalidInput("pooler_name",
                               "must differ from cluster_name '" + record.cluster_name + "'");
  }
}

// The Cluster and Pooler of this record as the API server has them, plus any Cluster named
// like its Pooler or Pooler named like its Cluster (they would share the operator-made
// ServiceAccount, Role and RoleBinding). Missing ones are left out.
std::vector<nlohmann::json> existing_objects(const Kubectl& kubectl,
                                             const schema::DatabaseRecord& record) {
  const auto result =
      kubectl.run({"get", "--namespace", record.namespace_name, "--ignore-not-found", "-o", "json",
                   std::string(kClusters) + "/" + record.cluster_name,
                   std::string(kPoolers) + "/" + record.pooler_name,
                   std::string(kClusters) + "/" + record.pooler_name,
                   std::string(kPoolers) + "/" + record.cluster_name});
  // Nothing found prints nothing; several names asked for print a List.
  if (result.out.find_first_not_of(" \t\r\n") == std::string::npos) return {};
  const auto j = nlohmann::json::parse(result.out, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw ProvisionError("kubectl get of the record's Cluster and Pooler printed no JSON object");
  }
  if (j.value("kind", "") != "List") return {j};
  const auto items = j.value("items", nlohmann::json::array());
  return {items.begin(), items.end()};
}

std::string owner_label_of(const nlohmann::json& object) {
  const auto labels =
      object.value("metadata", nlohmann::json::object()).value("labels", nlohmann::json::object());
  const auto it = labels.find(kOwnerLabel);
  return it != labels.end() && it->is_string() ? it->get<std::string>() : "";
}

// Throws OwnershipConflict unless every existing Cluster or Pooler of this record carries its
// label (and, when `creating`, unless no other object would share their names' accounts).
void require_own_objects(const Kubectl& kubectl, const schema::DatabaseRecord& record,
                         bool creating) {
  for (const auto& object : existing_objects(kubectl, record)) {
    const auto kind = object.value("kind", "");
    const auto name = object.value("metadata", nlohmann::json::object()).value("name", "");
    const auto where = kind + " " + record.namespace_name + "/" + name;
    const bool ours_by_name = (kind == "Cluster" && name == record.cluster_name) ||
                              (kind == "Pooler" && name == record.pooler_name);
    if (ours_by_name) {
      const auto owner = owner_label_of(object);
      if (owner == record.id) continue;
      throw OwnershipConflict(
          where + " exists " +
          (owner.empty() ? "without the label " + std::string(kOwnerLabel)
                         : "labelled " + std::string(kOwnerLabel) + "=" + owner) +
          ", not " + kOwnerLabel + "=" + record.id +
          ": it is not this record's, so nothing was applied or deleted; if it is a leftover, "
          "delete it, then retry the job");
    }
    if (creating) {
      throw OwnershipConflict(
          where + " exists: this record's " + (kind == "Cluster" ? "Pooler" : "Cluster") +
          " of the same name would share its ServiceAccount, Role and RoleBinding, so nothing "
          "was applied; give the record another " +
          (kind == "Cluster" ? "pooler_name" : "cluster_name"));
    }
  }
}

}  // namespace

nlohmann::json render_manifests(const schema::DatabaseRecord& record,
                                const CnpgProvisionerConfig& config) {
  validate_names(record);
  nlohmann::json cluster = {
      {"apiVersion", kApiVersion},
      {"kind", "Cluster"},
      {"metadata",
       {{"name", record.cluster_name},
        {"namespace", record.namespace_name},
        {"labels", labels(record)}}},
      {"spec",
       {{"instances", config.instances},
        {"storage", {{"size", config.storage_size}}},
        {"bootstrap", {{"initdb", {{"database", "app"}, {"owner", "app"}}}}}}}};
  if (!config.image.empty()) cluster["spec"]["imageName"] = config.image;
  const nlohmann::json pooler = {{"apiVersion", kApiVersion},
                                 {"kind", "Pooler"},
                                 {"metadata",
                                  {{"name", record.pooler_name},
                                   {"namespace", record.namespace_name},
                                   {"labels", labels(record)}}},
                                 {"spec",
                                  {{"cluster", {{"name", record.cluster_name}}},
                                   {"instances", 1},
                                   {"type", "rw"},
                                   {"pgbouncer", {{"poolMode", "transaction"}}}}}};
  return {{"apiVersion", "v1"}, {"kind", "List"}, {"items", {cluster, pooler}}};
}

CnpgProvisioner::CnpgProvisioner(CnpgProvisionerConfig config) : config_(std::move(config)) {}

ProvisionResult CnpgProvisioner::provision(const schema::DatabaseRecord& record,
                                           Interrupt& interrupt) {
  const auto manifests = render_manifests(record, config_);
  const Kubectl kubectl(config_, interrupt);
  require_own_objects(kubectl, record, true);
  kubectl.run(
      {"apply", "--server-side", "--force-conflicts", "--field-manager", kFieldManager, "-f", "-"},
      manifests.dump());
  const auto cluster = kubectl.get(kClusters, record.cluster_name, record.namespace_name);
  const auto status = cluster.value("status", nlohmann::json::object());
  if (status.value("phase", "") != kHealthy ||
      status.value("readyInstances", 0) < config_.instances) {
    return std::nullopt;
  }
  const auto pooler = kubectl.get(kPoolers, record.pooler_name, record.namespace_name);
  if (pooler.value("status", nlohmann::json::object()).value("instances", 0) < 1) {
    return std::nullopt;
  }
  return schema::ConnectionDetails{record.pooler_name + "." + record.namespace_name + ".svc", 5432,
                                   record.cluster_name + "-app"};
}

void CnpgProvisioner::deprovision(const schema::DatabaseRecord& record, Interrupt& interrupt) {
  validate_names(record);
  const Kubectl kubectl(config_, interrupt);
  require_own_objects(kubectl, record, false);
  kubectl.run({"delete", "--namespace", record.namespace_name, "--ignore-not-found",
               std::string(kPoolers) + "/" + record.pooler_name,
               std::string(kClusters) + "/" + record.cluster_name});
}

ReconcileReport CnpgProvisioner::reconcile(const std::vector<schema::DatabaseRecord>& records,
                                           const std::vector<std::string>& live_ids,
                                           Interrupt& interrupt) {
  ReconcileReport report;
  const Kubectl kubectl(config_, interrupt);
  for (const auto& record : records) {
    validate_names(record);
    const auto where = record.namespace_name + "/";
    std::vector<std::string> problems;
    bool cluster_found = false;
    bool pooler_found = false;
    for (const auto& object : existing_objects(kubectl, record)) {
      const auto kind = object.value("kind", "");
      const auto name = object.value("metadata", nlohmann::json::object()).value("name", "");
      const bool cluster = kind == "Cluster" && name == record.cluster_name;
      const bool pooler = kind == "Pooler" && name == record.pooler_name;
      if (!cluster && !pooler) continue;
      (cluster ? cluster_found : pooler_found) = true;
      const auto owner = owner_label_of(object);
      if (owner != record.id) {
        problems.push_back(kind + " " + where + name + " is not labelled " + kOwnerLabel + "=" +
                           record.id);
      } else if (cluster) {
        const auto status = object.value("status", nlohmann::json::object());
        if (status.value("phase", "") != kHealthy) {
          problems.push_back("Cluster " + where + name + " is not healthy (phase '" +
                             status.value("phase", "") + "')");
        }
      }
    }
    if (!cluster_found) problems.push_back("Cluster " + where + record.cluster_name + " is missing");
    if (!pooler_found) problems.push_back("Pooler " + where + record.pooler_name + " is missing");
    // The app secret CloudNativePG keeps for the cluster's owner: what clients log in with.
    const auto secret = record.secret_name.value_or(record.cluster_name + "-app");
    const auto found = kubectl.run({"get", "--namespace", record.namespace_name,
                                    "--ignore-not-found", "-o", "name", "secret/" + secret});
    if (found.out.find_first_not_of(" \t\r\n") == std::string::npos) {
      problems.push_back("Secret " + where + secret + " is missing");
    }
    RecordHealth health{record.id, std::nullopt};
    for (const auto& p : problems) {
      health.problem = health.problem ? *health.problem + "; " + p : p;
    }
    report.records.push_back(std::move(health));
  }
  // Every Cluster and Pooler with the label, in every namespace the credentials may list.
  const auto labelled = kubectl.run({"get", std::string(kClusters) + "," + kPoolers,
                                     "--all-namespaces", "-l", kOwnerLabel, "-o", "json"});
  const auto list = nlohmann::json::parse(labelled.out, nullptr, false);
  if (list.is_discarded() || !list.is_object()) {
    throw ProvisionError("kubectl get of the labelled Clusters and Poolers printed no JSON object");
  }
  const std::set<std::string> live(live_ids.begin(), live_ids.end());
  for (const auto& object : list.value("items", nlohmann::json::array())) {
    const auto id = owner_label_of(object);
    if (id.empty() || live.count(id) != 0U) continue;
    const auto metadata = object.value("metadata", nlohmann::json::object());
    report.orphans.push_back({object.value("kind", "") + " " + metadata.value("namespace", "") +
                                  "/" + metadata.value("name", ""),
                              id});
  }
  return report;
}

}  // namespace daap::worker::provisioners
