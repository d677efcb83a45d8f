// Interrupt alone: the first reason wins, actions run once at the first fire (or at once when
// registered late), and never after their hook is gone.
#include "worker/interrupt.h"

#include <gtest/gtest.h>

namespace daap::worker {
namespace {

TEST(Interrupt, TheFirstReasonWinsAndRunsTheActionsOnce) {
  Interrupt interrupt;
  int runs = 0;
  const auto hook = interrupt.on_interrupt([&] { ++runs; });
  EXPECT_FALSE(interrupt.requested());
  EXPECT_TRUE(interrupt.fire(InterruptReason::timeout));
  EXPECT_FALSE(interrupt.fire(InterruptReason::cancel));
  EXPECT_EQ(interrupt.reason(), InterruptReason::timeout);
  EXPECT_EQ(runs, 1);
}

TEST(Interrupt, AnActionRegisteredAfterTheInterruptRunsAtOnce) {
  Interrupt interrupt;
  interrupt.fire(InterruptReason::cancel);
  int runs = 0;
  const auto hook = interrupt.on_interrupt([&] { ++runs; });
  EXPECT_EQ(runs, 1);
}

TEST(Interrupt, AnActionWhoseHookIsGoneNeverRuns) {
  Interrupt interrupt;
  int runs = 0;
  { const auto hook = interrupt.on_interrupt([&] { ++runs; }); }
  auto moved = interrupt.on_interrupt([&] { runs += 10; });
  Interrupt::Hook kept = std::move(moved);
  interrupt.fire(InterruptReason::shutdown);
  EXPECT_EQ(runs, 10) << "only the moved hook's action";
}

}  // namespace
}  // namespace daap::worker
