// The maintenance lease across connections: one holder at a time, renewed while held, taken over
// with the next term once it lapses, and a returning old holder cannot renew. No session state is
// involved, so neither a paused holder nor a foreign session can keep it.
#include "queue/leadership.h"

#include <thread>

#include <gtest/gtest.h>

#include "tests/support/test_database.h"

namespace daap::queue {
namespace {

using namespace std::chrono_literals;

constexpr const char* kName = kMaintenanceLeadership;

class LeadershipTest : public ::testing::Test {
 protected:
  daap::test::FreshDatabase db;
  pqxx::connection a{db.url()}, b{db.url()};

  bool renew(pqxx::connection& conn, const std::string& holder, std::int64_t term,
             std::chrono::milliseconds ttl = 30s) {
    pqxx::work tx(conn);
    const bool held = renew_leadership(tx, kName, holder, term, ttl);
    tx.commit();
    return held;
  }
  // Makes the lease lapse now, as a holder that stopped renewing would let it.
  void lapse() {
    pqxx::work tx(b);
    tx.exec("UPDATE daap.leaders SET expires_at = clock_timestamp() - interval '1 second'");
    tx.commit();
  }
};

TEST_F(LeadershipTest, TheFirstToAskLeadsAndTheOthersDoNot) {
  EXPECT_EQ(acquire_leadership(a, kName, "one", 30s), 1);
  EXPECT_EQ(acquire_leadership(b, kName, "two", 30s), std::nullopt);
  EXPECT_EQ(acquire_leadership(a, kName, "one", 30s), std::nullopt)
      << "a holder renews; asking again does not start a new term";
  EXPECT_TRUE(renew(a, "one", 1));
  EXPECT_FALSE(renew(b, "two", 1)) << "only the holder renews";
}

TEST_F(LeadershipTest, ALapsedLeaseGoesToTheNextAskerWithTheNextTermAndTheOldHolderCannotRenew) {
  ASSERT_EQ(acquire_leadership(a, kName, "one", 30s), 1);
  lapse();
  EXPECT_EQ(acquire_leadership(b, kName, "two", 30s), 2);
  EXPECT_FALSE(renew(a, "one", 1)) << "the old holder finds its term gone";
  EXPECT_TRUE(renew(b, "two", 2));
}

TEST_F(LeadershipTest, ALeaseLapsesOnItsOwnWithoutRenewal) {
  ASSERT_EQ(acquire_leadership(a, kName, "one", 300ms), 1);
  EXPECT_EQ(acquire_leadership(b, kName, "two", 30s), std::nullopt);
  std::this_thread::sleep_for(400ms);  // the time to live itself is under test
  EXPECT_EQ(acquire_leadership(b, kName, "two", 30s), 2);
}

TEST_F(LeadershipTest, AnExpiredHolderCannotRenewEvenBeforeAnyoneTookOver) {
  ASSERT_EQ(acquire_leadership(a, kName, "one", 30s), 1);
  lapse();
  EXPECT_FALSE(renew(a, "one", 1));
}

TEST_F(LeadershipTest, ResigningLetsAnotherTakeOverAtOnce) {
  ASSERT_EQ(acquire_leadership(a, kName, "one", 30s), 1);
  {
    pqxx::work tx(a);
    resign_leadership(tx, kName, "one", 1);
    tx.commit();
  }
  EXPECT_EQ(acquire_leadership(b, kName, "two", 30s), 2);
}

TEST_F(LeadershipTest, ARenewalInProgressMakesATakeoverWaitBrieflyNotForever) {
  ASSERT_EQ(acquire_leadership(a, kName, "one", 30s), 1);
  lapse();
  // The holder's renewal attempt holds the row (its transaction stays open, as a paused process
  // would leave it): the takeover gives up after its lock timeout instead of hanging.
  pqxx::work holding(a);
  EXPECT_FALSE(renew_leadership(holding, kName, "one", 1, 30s));
  holding.exec("SELECT 1 FROM daap.leaders FOR UPDATE");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(acquire_leadership(b, kName, "two", 30s), std::nullopt);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s) << "it must not wait for ever";
  holding.abort();
  EXPECT_EQ(acquire_leadership(b, kName, "two", 30s), 2);
}

TEST_F(LeadershipTest, ASessionHoldingTheOldAdvisoryLockKeyChangesNothing) {
  // Before the lease, leadership was this advisory lock, and a tenant session could take it.
  pqxx::connection tenant(db.url());
  pqxx::nontransaction(tenant).exec("SELECT pg_advisory_lock(4918284081214605646)");
  EXPECT_EQ(acquire_leadership(a, kName, "one", 30s), 1);
}

}  // namespace
}  // namespace daap::queue
