#include "worker/handlers/handlers.h"

#include <cstdlib>
#include <string_view>
#include <utility>

namespace daap::worker::handlers {

void register_builtin_handlers(HandlerRegistry& registry,
                               std::shared_ptr<provisioners::Provisioner> provisioner) {
  register_noop(registry);
  register_database_create(registry);
  register_database_provision(registry, provisioner);
  register_database_update(registry);
  register_database_reconcile(registry, provisioner);
  register_database_delete(registry, std::move(provisioner));
  const char* test = std::getenv("DAAP_TEST_HANDLERS");
  if (test != nullptr && std::string_view(test) == "1") register_test_handlers(registry);
}

}  // namespace daap::worker::handlers
