#include "worker/handlers/handlers.h"

#include <cstdlib>
#include <string_view>

namespace daap::worker::handlers {

void register_builtin_handlers(HandlerRegistry& registry) {
  register_noop(registry);
  register_database_update(registry);
  const char* test = std::getenv("DAAP_TEST_HANDLERS");
  if (test != nullptr && std::string_view(test) == "1") register_test_handlers(registry);
}

}  // namespace daap::worker::handlers
