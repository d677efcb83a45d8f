// The in-flight registry alone, without a database: each job's phase, who reports its outcome,
// and what the heartbeat, the producer and the shutdown see.
#include "worker/runtime/in_flight.h"

#include <future>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace daap::worker::runtime {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

queue::Job job(queue::JobId id, const std::string& kind = "k") {
  queue::Job j;
  j.id = id;
  j.kind = kind;
  j.attempt = 1;
  j.worker_id = "w";
  return j;
}

std::vector<queue::Job> jobs(std::initializer_list<queue::JobId> ids) {
  std::vector<queue::Job> out;
  for (const auto id : ids) out.push_back(job(id));
  return out;
}

std::vector<queue::JobId> ids(const std::vector<JobPtr>& batch) {
  std::vector<queue::JobId> out;
  for (const auto& j : batch) out.push_back(j->job.id);
  return out;
}

std::vector<queue::JobId> lease_ids(const InFlightRegistry& r) {
  std::vector<queue::JobId> out;
  for (const auto& l : r.leases()) out.push_back(l.id);
  return out;
}

const InFlightRegistry::BatchWith kSameKind = [](const queue::Job& a, const queue::Job& b) {
  return a.kind == b.kind;
};
const InFlightRegistry::BatchWith kAlone = [](const queue::Job&, const queue::Job&) {
  return false;
};

class InFlightTest : public ::testing::Test {
 protected:
  InFlightRegistry registry{[](const queue::Job&) { return std::chrono::milliseconds(60000); }};
};

TEST_F(InFlightTest, TakeHandsOutBufferedJobsInClaimOrderAndBatchesThoseThatGoTogether) {
  std::vector<queue::Job> claimed = {job(1, "a"), job(2, "a"), job(3, "b"), job(4, "a")};
  registry.add(claimed);
  EXPECT_THAT(ids(registry.take(10, kSameKind)), ElementsAre(1, 2)) << "stops at another kind";
  EXPECT_THAT(ids(registry.take(10, kSameKind)), ElementsAre(3));
  EXPECT_THAT(ids(registry.take(10, kAlone)), ElementsAre(4));
  const auto counts = registry.counts();
  EXPECT_EQ(counts.buffered, 0);
  EXPECT_EQ(counts.running, 4);
  EXPECT_EQ(counts.started, 4U);
}

TEST_F(InFlightTest, ABatchLeavesAnEvenShareForTheOtherWaitingExecutors) {
  auto a = std::async(std::launch::async, [&] { return registry.take(50, kSameKind); });
  auto b = std::async(std::launch::async, [&] { return registry.take(50, kSameKind); });
  while (registry.counts().idle_takers < 2) std::this_thread::yield();
  registry.add(jobs({1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(a.get().size(), 4U);
  EXPECT_EQ(b.get().size(), 4U);
}

TEST_F(InFlightTest, EachJobsOutcomeIsReportedOnceByWhoeverEndsIt) {
  registry.add(jobs({1, 2}));
  const auto batch = registry.take(10, kSameKind);
  registry.recording(batch[0]);
  EXPECT_TRUE(registry.finish(batch[0]));
  EXPECT_FALSE(registry.finish(batch[0])) << "a second report of the same job";
  // The heartbeat found job 2's lease gone: it reports it, the executor must not.
  EXPECT_THAT(ids(registry.lose({2})), ElementsAre(2));
  EXPECT_EQ(batch[1]->interrupt.reason(), InterruptReason::lease_lost);
  EXPECT_FALSE(registry.finish(batch[1]));
  EXPECT_TRUE(registry.leases().empty());
}

TEST_F(InFlightTest, ALostBufferedJobIsNeverHandedOut) {
  registry.add(jobs({1, 2, 3}));
  EXPECT_THAT(ids(registry.lose({2})), ElementsAre(2));
  EXPECT_THAT(ids(registry.take(10, kSameKind)), ElementsAre(1, 3));
  EXPECT_EQ(registry.counts().buffered, 0);
}

TEST_F(InFlightTest, AJobWhoseOutcomeIsBeingRecordedIsNotLostWhenItsLeaseIsGone) {
  registry.add(jobs({1}));
  const auto batch = registry.take(1, kSameKind);
  registry.recording(batch[0]);
  EXPECT_TRUE(registry.lose({1}).empty()) << "the heartbeat is seeing its completion commit";
  EXPECT_THAT(lease_ids(registry), ElementsAre(1)) << "its lease is renewed until recorded";
  EXPECT_TRUE(registry.finish(batch[0]));
}

TEST_F(InFlightTest, EveryHeldJobsLeaseIsRenewedWhateverItsPhase) {
  registry.add(jobs({1, 2, 3}));
  const auto batch = registry.take(1, kSameKind);  // 1 running
  registry.recording(batch[0]);                    // 1 recording; 2, 3 buffered
  EXPECT_THAT(lease_ids(registry), UnorderedElementsAre(1, 2, 3));
}

TEST_F(InFlightTest, ACancellationRequestInterruptsTheJobOnce) {
  registry.add(jobs({1}));
  const auto batch = registry.take(1, kSameKind);
  EXPECT_TRUE(registry.request_cancel(1));
  EXPECT_FALSE(registry.request_cancel(1)) << "already interrupted";
  EXPECT_FALSE(registry.request_cancel(99)) << "not held here";
  EXPECT_EQ(batch[0]->interrupt.reason(), InterruptReason::cancel);
}

TEST_F(InFlightTest, OverdueListsRunningJobsPastTheirDeadlineUntilInterrupted) {
  InFlightRegistry short_limits{[](const queue::Job& j) {
    return j.id == 1 ? std::chrono::milliseconds(10) : std::chrono::milliseconds(60000);
  }};
  short_limits.add(jobs({1, 2, 3}));
  const auto batch = short_limits.take(2, kSameKind);  // 1 and 2 run; 3 stays buffered
  const auto later = SteadyClock::now() + 1s;
  EXPECT_THAT(ids(short_limits.overdue(later)), ElementsAre(1));
  batch[0]->interrupt.fire(InterruptReason::timeout);
  EXPECT_TRUE(short_limits.overdue(later).empty());
}

TEST_F(InFlightTest, ShutdownTakesTheUnstartedThenTheRunningAndTakeEndsOnceClosed) {
  registry.add(jobs({1, 2, 3}));
  const auto running = registry.take(1, kSameKind);
  EXPECT_THAT(ids(registry.take_unstarted()), ElementsAre(2, 3));
  registry.close();
  EXPECT_TRUE(registry.take(10, kSameKind).empty()) << "closed and nothing buffered";
  EXPECT_FALSE(registry.wait_until_empty(SteadyClock::now() + 10ms));
  EXPECT_THAT(ids(registry.abandon_running()), ElementsAre(1));
  EXPECT_FALSE(registry.finish(running[0])) << "abandoned: the executor reports nothing";
  EXPECT_TRUE(registry.wait_until_empty(SteadyClock::now()));
}

TEST_F(InFlightTest, TakeWaitsForAClaimAndCountsItsWaitingTakers) {
  auto taken = std::async(std::launch::async, [&] { return registry.take(10, kSameKind); });
  while (registry.counts().idle_takers == 0) std::this_thread::yield();
  EXPECT_EQ(taken.wait_for(0ms), std::future_status::timeout) << "nothing buffered yet";
  registry.add(jobs({7}));
  EXPECT_THAT(ids(taken.get()), ElementsAre(7));
  EXPECT_EQ(registry.counts().idle_takers, 0);
}

TEST_F(InFlightTest, CloseReleasesWaitingTakers) {
  auto taken = std::async(std::launch::async, [&] { return registry.take(10, kSameKind); });
  while (registry.counts().idle_takers == 0) std::this_thread::yield();
  registry.close();
  EXPECT_TRUE(taken.get().empty());
}

TEST_F(InFlightTest, WaitForRoomReturnsOnceTheBufferDrainsBelowTheMark) {
  registry.add(jobs({1, 2, 3, 4}));
  EXPECT_FALSE(registry.wait_for_room(2, 1ms));
  auto room = std::async(std::launch::async, [&] { return registry.wait_for_room(2, 60s); });
  registry.take(3, kSameKind);
  EXPECT_TRUE(room.get());
}

}  // namespace
}  // namespace daap::worker::runtime
