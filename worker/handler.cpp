#include "worker/handler.h"

#include <stdexcept>

#include "queue/errors.h"

namespace daap::worker {

pqxx::transaction_base& JobContext::transaction() const {
  if (tx_ == nullptr) {
    throw std::logic_error("handler for '" + job_.kind +
                           "' was registered without a transaction but asked for one");
  }
  return *tx_;
}

void JobContext::throw_if_interrupted() const {
  const auto reason = interrupt_.reason();
  if (reason == InterruptReason::cancel) throw queue::JobCancelled();
  if (reason != InterruptReason::none) throw JobInterrupted(reason);
}

void HandlerRegistry::add(const std::string& kind, Handler handler, bool needs_transaction) {
  add(kind, Registration{std::move(handler), needs_transaction});
}

void HandlerRegistry::add(const std::string& kind, Registration registration) {
  if (registration.outside && !registration.needs_transaction) {
    throw std::invalid_argument("job kind '" + kind + "': an outside step needs a transaction");
  }
  if (registration.group && (!registration.needs_transaction || registration.outside)) {
    throw std::invalid_argument("job kind '" + kind +
                                "': only transactional kinds without an outside step group");
  }
  if (!handlers_.emplace(kind, std::move(registration)).second) {
    throw std::invalid_argument("a handler for job kind '" + kind + "' is already registered");
  }
}

const Registration* HandlerRegistry::find(std::string_view kind) const {
  const auto it = handlers_.find(kind);
  return it == handlers_.end() ? nullptr : &it->second;
}

std::vector<std::string> HandlerRegistry::kinds() const {
  std::vector<std::string> out;
  for (const auto& [kind, registration] : handlers_) out.push_back(kind);
  return out;
}

}  // namespace daap::worker
