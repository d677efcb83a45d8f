// Picks the provisioner the worker's settings ask for.
#pragma once

#include <memory>

#include "worker/provisioners/provisioner.h"
#include "worker/worker_config.h"

namespace daap::worker::provisioners {

// The configured provisioner. With DAAP_TEST_HANDLERS=1, DAAP_TEST_PROVISION_DELAY_MS slows
// each provision/deprovision down (for tests that kill a worker mid-way).
std::shared_ptr<Provisioner> make(const WorkerConfig& config);

}  // namespace daap::worker::provisioners
