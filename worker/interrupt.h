// Stopping one job's work from another thread: a cancellation request, its time limit, its lease
// lost to another replica, or the end of the shutdown grace period. Blocking steps (a statement on a provisioning target, a
// kubectl child) register an action that unblocks them; firing runs those actions at once.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string_view>

namespace daap::worker {

// Why a job's work was interrupted; the first reason wins.
enum class InterruptReason { none, cancel, timeout, lease_lost, shutdown };
std::string_view to_string(InterruptReason reason);

class Interrupt {
 public:
  // Unregisters its action when destroyed; the action never runs after that returns.
  class Hook {
   public:
    Hook() = default;
    Hook(Hook&& other) noexcept;
    Hook& operator=(Hook&& other) noexcept;
    ~Hook();

   private:
    friend class Interrupt;
    Hook(Interrupt* owner, int id) : owner_(owner), id_(id) {}
    Interrupt* owner_ = nullptr;
    int id_ = 0;
  };

  Interrupt() = default;
  Interrupt(const Interrupt&) = delete;
  Interrupt& operator=(const Interrupt&) = delete;

  bool requested() const { return reason_.load() != InterruptReason::none; }
  InterruptReason reason() const { return reason_.load(); }

  // Records `reason` (unless one is recorded already) and runs every registered action. Actions
  // must be quick and must not throw (shut a socket down, signal a child); returns whether this
  // call recorded the reason.
  bool fire(InterruptReason reason);

  // Registers `action` for as long as the hook lives; runs it at once if already interrupted.
  [[nodiscard]] Hook on_interrupt(std::function<void()> action);

 private:
  void remove(int id);

  std::atomic<InterruptReason> reason_{InterruptReason::none};
  std::mutex mutex_;  // actions_ and next_id_; held while actions run
  std::map<int, std::function<void()>> actions_;
  int next_id_ = 0;
};

}  // namespace daap::worker
