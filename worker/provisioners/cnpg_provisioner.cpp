#include "worker/provisioners/cnpg_provisioner.h"

#include <utility>
#include <vector>

#include "schema/database_record.h"
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

  // Runs `kubectl <args>`; a non-zero exit is a ProvisionError with kubectl's first error line.
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
                           "): " + first_line(result.err));
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

nlohmann::json labels(const schema::DatabaseRecord& record) {
  return {{"app.kubernetes.io/managed-by", "daap-worker"}, {"daap.io/database-id", record.id}};
}

}  // namespace

nlohmann::json render_manifests(const schema::DatabaseRecord& record,
                                const CnpgProvisionerConfig& config) {
  schema::validate_name(record.name);
  schema::validate_namespace(record.namespace_name);
  schema::validate_name(record.cluster_name);
  schema::validate_name(record.pooler_name);
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
  kubectl.run(
      {"apply", "--server-side", "--force-conflicts", "--field-manager", kFieldManager, "-f", "-"},
      manifests.dump());
  const auto cluster =
      kubectl.get("clusters.postgresql.cnpg.io", record.cluster_name, record.namespace_name);
  const auto status = cluster.value("status", nlohmann::json::object());
  if (status.value("phase", "") != kHealthy ||
      status.value("readyInstances", 0) < config_.instances) {
    return std::nullopt;
  }
  const auto pooler =
      kubectl.get("poolers.postgresql.cnpg.io", record.pooler_name, record.namespace_name);
  if (pooler.value("status", nlohmann::json::object()).value("instances", 0) < 1) {
    return std::nullopt;
  }
  return schema::ConnectionDetails{record.pooler_name + "." + record.namespace_name + ".svc", 5432,
                                   record.cluster_name + "-app"};
}

void CnpgProvisioner::deprovision(const schema::DatabaseRecord& record, Interrupt& interrupt) {
  schema::validate_name(record.cluster_name);
  schema::validate_name(record.pooler_name);
  schema::validate_namespace(record.namespace_name);
  Kubectl(config_, interrupt)
      .run({"delete", "--namespace", record.namespace_name, "--ignore-not-found",
            "poolers.postgresql.cnpg.io/" + record.pooler_name,
            "clusters.postgresql.cnpg.io/" + record.cluster_name});
}

}  // namespace daap::worker::provisioners
