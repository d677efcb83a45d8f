// noop: does nothing and succeeds; measures the queue's own overhead.
#include "worker/handlers/handlers.h"

namespace daap::worker::handlers {

void register_noop(HandlerRegistry& registry) {
  registry.add(
      "noop", [](const JobContext&) { return nlohmann::json::object(); },
      /*needs_transaction=*/false);
}

}  // namespace daap::worker::handlers
