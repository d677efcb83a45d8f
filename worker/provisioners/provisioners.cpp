#include "worker/provisioners/provisioners.h"

#include <cstdlib>
#include <string>
#include <string_view>

#include "worker/provisioners/cnpg_provisioner.h"
#include "worker/provisioners/postgres_provisioner.h"

namespace daap::worker::provisioners {
namespace {

std::chrono::milliseconds test_delay() {
  const char* test = std::getenv("DAAP_TEST_HANDLERS");
  const char* delay = std::getenv("DAAP_TEST_PROVISION_DELAY_MS");
  if (test == nullptr || std::string_view(test) != "1" || delay == nullptr) return {};
  return std::chrono::milliseconds(std::atoll(delay));
}

}  // namespace

std::shared_ptr<Provisioner> make(const WorkerConfig& config) {
  if (config.provisioner == "cnpg")
    return std::make_shared<CnpgProvisioner>(
        CnpgProvisionerConfig{config.kubectl, config.cnpg_instances, config.cnpg_storage_size,
                              config.cnpg_image, config.kubectl_request_timeout});
  return std::make_shared<PostgresProvisioner>(PostgresProvisionerConfig{
      config.provision_database_url, config.secrets_dir, config.provision_connect_timeout,
      config.provision_statement_timeout, test_delay()});
}

}  // namespace daap::worker::provisioners
