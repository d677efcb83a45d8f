#include "worker/interrupt.h"

#include <utility>

namespace daap::worker {

std::string_view to_string(InterruptReason reason) {
  switch (reason) {
    case InterruptReason::none:
      return "none";
    case InterruptReason::cancel:
      return "cancel";
    case InterruptReason::timeout:
      return "timeout";
    case InterruptReason::lease_lost:
      return "lease lost";
    case InterruptReason::shutdown:
      return "shutdown";
  }
  return "unknown";
}

Interrupt::Hook::Hook(Hook&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), id_(other.id_) {}

Interrupt::Hook& Interrupt::Hook::operator=(Hook&& other) noexcept {
  if (this != &other) {
    if (owner_ != nullptr) owner_->remove(id_);
    owner_ = std::exchange(other.owner_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

Interrupt::Hook::~Hook() {
  if (owner_ != nullptr) owner_->remove(id_);
}

bool Interrupt::fire(InterruptReason reason) {
  std::lock_guard lock(mutex_);
  auto expected = InterruptReason::none;
  if (!reason_.compare_exchange_strong(expected, reason)) return false;
  for (auto& [id, action] : actions_) action();
  return true;
}

Interrupt::Hook Interrupt::on_interrupt(std::function<void()> action) {
  std::lock_guard lock(mutex_);
  if (requested()) action();
  const int id = ++next_id_;
  actions_.emplace(id, std::move(action));
  return Hook(this, id);
}

void Interrupt::remove(int id) {
  std::lock_guard lock(mutex_);
  actions_.erase(id);
}

}  // namespace daap::worker
