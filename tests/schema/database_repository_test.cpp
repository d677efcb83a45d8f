// The databases repository against a real PostgreSQL: each test runs in a rolled-back
// transaction and asserts what the table holds afterwards.
#include "schema/database_repository.h"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "schema/errors.h"
#include "tests/support/test_database.h"

namespace daap::schema {
namespace {

using S = DatabaseStatus;

class DatabaseRepositoryTest : public daap::test::RollbackTest {
 protected:
  DatabaseRecord create_named(const std::string& name, const std::string& team = "payments") {
    return create(tx(), NewDatabase{.name = name, .owner_team = team, .purpose = "tests"});
  }

  // The record moved along the lifecycle to `status` through the repository.
  DatabaseRecord create_in(const std::string& name, S status) {
    auto r = create_named(name);
    const ConnectionDetails conn{.host = "db.example", .port = 6432, .secret_name = "s"};
    switch (status) {
      case S::provisioning:
        return r;
      case S::ready:
        return transition(tx(), r.id, S::ready, std::nullopt, conn);
      case S::degraded:
        transition(tx(), r.id, S::ready, std::nullopt, conn);
        return transition(tx(), r.id, S::degraded, "database is missing");
      case S::error:
        return transition(tx(), r.id, S::error, "boom");
      case S::deleting:
        transition(tx(), r.id, S::ready, std::nullopt, conn);
        return transition(tx(), r.id, S::deleting);
      case S::deleted:
        transition(tx(), r.id, S::ready, std::nullopt, conn);
        transition(tx(), r.id, S::deleting);
        return transition(tx(), r.id, S::deleted);
    }
    return r;
  }

  // Reads a column of the row as stored, bypassing the repository.
  std::optional<std::string> column(const std::string& id, const std::string& col) {
    return tx().query_value<std::optional<std::string>>(
        "SELECT " + tx().quote_name(col) + "::text FROM daap.databases WHERE id = $1",
        pqxx::params{id});
  }

  int count_rows() { return tx().query_value<int>("SELECT count(*) FROM daap.databases"); }
};

TEST_F(DatabaseRepositoryTest, CreateInsertsProvisioningRecordWithDerivedClusterAndPoolerNames) {
  const auto r = create(tx(), NewDatabase{.name = "orders",
                                          .owner_team = "payments",
                                          .purpose = "order history",
                                          .namespace_name = "team-payments"});
  EXPECT_TRUE(is_uuid(r.id));
  EXPECT_EQ(r.status, S::provisioning);
  EXPECT_EQ(r.cluster_name, "orders");
  EXPECT_EQ(r.pooler_name, "orders-pooler");
  EXPECT_EQ(r.namespace_name, "team-payments");
  EXPECT_FALSE(r.host || r.port || r.secret_name || r.error_message || r.deleted_at);
  EXPECT_EQ(column(r.id, "status"), "provisioning");
  EXPECT_EQ(column(r.id, "pooler_name"), "orders-pooler");
  EXPECT_EQ(column(r.id, "purpose"), "order history");
  EXPECT_EQ(column(r.id, "owner_team"), "payments");
  // created_at is the transaction's now(), read back exactly.
  const auto now_us =
      tx().query_value<std::int64_t>("SELECT (extract(epoch FROM now()) * 1000000)::bigint");
  EXPECT_EQ(r.created_at.time_since_epoch().count(), now_us);
}

// The record id's 32 hex digits.
std::string id_hex(const DatabaseRecord& r) {
  std::string hex;
  for (const char c : r.id) {
    if (c != '-') hex += c;
  }
  return hex;
}

TEST_F(DatabaseRepositoryTest, CreateDerivesPoolerNameThatFitsA63CharacterLabel) {
  const std::string longest_plain = std::string(56, 'a');
  EXPECT_EQ(create_named(longest_plain).pooler_name, longest_plain + "-pooler");
  // Longer: the first 30 characters ('-' trimmed), then the id.
  const std::string name = std::string(29, 'a') + "-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  const auto r = create_named(name);
  EXPECT_EQ(r.cluster_name, name);
  EXPECT_EQ(r.pooler_name, std::string(29, 'a') + "-" + id_hex(r));
  EXPECT_LE(r.pooler_name.size(), 63U);
  EXPECT_NO_THROW(validate_name(r.pooler_name));
}

TEST_F(DatabaseRepositoryTest, NamesSharingTheirFirst56CharactersGetTheirOwnPoolers) {
  const std::string shared = "orders-archive-" + std::string(41, 'x');
  const auto a = create_named(shared + "-2023");
  const auto b = create_named(shared + "-2024");
  EXPECT_NE(a.pooler_name, b.pooler_name);
  EXPECT_EQ(b.pooler_name, "orders-archive-xxxxxxxxxxxxxxx-" + id_hex(b));
  EXPECT_EQ(b.pooler_name.size(), 63U);
}

TEST_F(DatabaseRepositoryTest, TwoActiveRecordsNeverShareAClusterOrAPoolerInANamespace) {
  // Other services may set cluster_name and pooler_name themselves.
  const auto insert = [&](const std::string& name, const std::string& ns,
                          const std::string& cluster, const std::string& pooler) {
    pqxx::subtransaction sub(tx());
    sub.exec(
        "INSERT INTO daap.databases (name, owner_team, namespace, cluster_name, pooler_name) "
        "VALUES ($1, 't', $2, $3, $4)",
        pqxx::params{name, ns, cluster, pooler});
    sub.commit();
  };
  insert("one", "shop", "shared", "one-pooler");
  EXPECT_THROW(insert("two", "shop", "shared", "two-pooler"), pqxx::unique_violation);
  EXPECT_THROW(insert("two", "shop", "two", "one-pooler"), pqxx::unique_violation);
  EXPECT_NO_THROW(insert("two", "other-shop", "shared", "one-pooler"));  // another namespace
  // A deleted record frees its names.
  tx().exec("UPDATE daap.databases SET status = 'deleted', deleted_at = now() WHERE name = 'one'");
  EXPECT_NO_THROW(insert("three", "shop", "shared", "one-pooler"));
}

TEST_F(DatabaseRepositoryTest, CreateFailsPermanentlyWhenItsPoolerNameIsTakenAndStaysUsable) {
  tx().exec(
      "INSERT INTO daap.databases (name, owner_team, pooler_name) "
      "VALUES ('other', 't', 'orders-pooler')");
  try {
    create_named("orders");
    FAIL() << "a second Pooler orders-pooler in namespace default";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("Cluster or Pooler name"), std::string::npos) << e.what();
  }
  EXPECT_EQ(count_rows(), 1);
}

TEST_F(DatabaseRepositoryTest, CreateRejectsInvalidInputWithoutWriting) {
  EXPECT_THROW(create_named("a'; drop table x;--"), InvalidInput);
  EXPECT_THROW(create_named("Orders"), InvalidInput);
  EXPECT_THROW(create_named("orders", "   "), InvalidInput);
  EXPECT_THROW(create(tx(), NewDatabase{.name = "orders", .owner_team = "t", .namespace_name = ""}),
               InvalidInput);
  EXPECT_EQ(count_rows(), 0);  // and the transaction is still usable
}

TEST_F(DatabaseRepositoryTest, TableCheckRefusesInvalidValuesOnPlainInsert) {
  // Other services write this table with plain SQL: the table itself holds the line.
  const auto insert = [&](const std::string& name, const std::string& team, const std::string& ns) {
    pqxx::subtransaction sub(tx());
    sub.exec("INSERT INTO daap.databases (name, owner_team, namespace) VALUES ($1, $2, $3)",
             pqxx::params{name, team, ns});
  };
  EXPECT_THROW(insert("Bad_Name", "t", "default"), pqxx::check_violation);
  EXPECT_THROW(insert("a'; drop table x;--", "t", "default"), pqxx::check_violation);
  EXPECT_THROW(insert("orders-", "t", "default"), pqxx::check_violation);
  EXPECT_THROW(insert("orders", "  ", "default"), pqxx::check_violation);
  EXPECT_THROW(insert("orders", "t", "Default"), pqxx::check_violation);
  EXPECT_THROW(insert(std::string(64, 'a'), "t", "default"), pqxx::data_exception);
  EXPECT_EQ(count_rows(), 0);
}

TEST_F(DatabaseRepositoryTest, CreateWithActiveNameThrowsNameTakenAndKeepsTransactionUsable) {
  create_named("orders", "payments");
  try {
    create_named("orders", "billing");
    FAIL() << "duplicate active name accepted";
  } catch (const NameTaken& e) {
    EXPECT_EQ(e.name(), "orders");
  }
  EXPECT_EQ(count_rows(), 1);
  EXPECT_EQ(get_by_active_name(tx(), "orders").owner_team, "payments");
}

TEST_F(DatabaseRepositoryTest, NameStaysTakenWhileDeletingAndIsFreeAfterSoftDelete) {
  const auto old = create_in("orders", S::deleting);
  EXPECT_THROW(create_named("orders"), NameTaken);
  soft_delete(tx(), old.id);
  const auto reborn = create_named("orders", "billing");
  EXPECT_NE(reborn.id, old.id);
  EXPECT_EQ(get_by_active_name(tx(), "orders").id, reborn.id);
  EXPECT_EQ(count_rows(), 2);
  EXPECT_EQ(get_by_id(tx(), old.id).status, S::deleted);
}

TEST_F(DatabaseRepositoryTest, GetByIdReturnsTheRecordDeletedOrNot) {
  const auto live = create_named("orders");
  const auto gone = create_in("invoices", S::deleted);
  const auto got = get_by_id(tx(), live.id);
  EXPECT_EQ(got.name, "orders");
  EXPECT_EQ(got.created_at, live.created_at);
  EXPECT_EQ(got.pooler_name, "orders-pooler");
  EXPECT_EQ(get_by_id(tx(), gone.id).status, S::deleted);
  EXPECT_TRUE(get_by_id(tx(), gone.id).deleted_at.has_value());
}

TEST_F(DatabaseRepositoryTest, GetByUnknownIdThrowsNotFoundNamingTheId) {
  const std::string id = "123e4567-e89b-12d3-a456-426614174000";
  try {
    get_by_id(tx(), id);
    FAIL();
  } catch (const NotFound& e) {
    EXPECT_NE(std::string(e.what()).find(id), std::string::npos) << e.what();
  }
  EXPECT_FALSE(find_by_id(tx(), id).has_value());
}

TEST_F(DatabaseRepositoryTest, GetByMalformedIdIsInvalidInputNamingId) {
  try {
    get_by_id(tx(), "not-a-uuid");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "id");
  }
  EXPECT_EQ(count_rows(), 0);  // refused before the database could abort the transaction
}

TEST_F(DatabaseRepositoryTest, GetByActiveNameIgnoresDeletedRecords) {
  create_in("orders", S::deleted);
  EXPECT_FALSE(find_by_active_name(tx(), "orders").has_value());
  try {
    get_by_active_name(tx(), "orders");
    FAIL();
  } catch (const NotFound& e) {
    EXPECT_EQ(e.lookup(), "active name 'orders'");
  }
  const auto live = create_named("orders");
  EXPECT_EQ(get_by_active_name(tx(), "orders").id, live.id);
}

TEST_F(DatabaseRepositoryTest, UpdateChangesOwnerTeamAndPurposeAndTouchesUpdatedAt) {
  const auto id = tx().query_value<std::string>(
      "INSERT INTO daap.databases (name, owner_team, purpose, created_at, updated_at) "
      "VALUES ('orders', 'payments', 'old', '2020-01-01Z', '2020-01-01Z') RETURNING id");
  const auto r = update(tx(), id, "billing", "new purpose");
  EXPECT_EQ(r.owner_team, "billing");
  EXPECT_EQ(r.purpose, "new purpose");
  EXPECT_EQ(column(id, "owner_team"), "billing");
  EXPECT_EQ(column(id, "purpose"), "new purpose");
  EXPECT_TRUE(tx().query_value<bool>("SELECT updated_at = now() FROM daap.databases WHERE id = $1",
                                     pqxx::params{id}));
  EXPECT_GT(r.updated_at, r.created_at);
}

TEST_F(DatabaseRepositoryTest, UpdateKeepsFieldsThatAreNotGiven) {
  const auto r = create_named("orders", "payments");
  update(tx(), r.id, std::nullopt, "only purpose");
  EXPECT_EQ(column(r.id, "owner_team"), "payments");
  EXPECT_EQ(column(r.id, "purpose"), "only purpose");
  update(tx(), r.id, "billing", std::nullopt);
  EXPECT_EQ(column(r.id, "owner_team"), "billing");
  EXPECT_EQ(column(r.id, "purpose"), "only purpose");
}

TEST_F(DatabaseRepositoryTest, UpdateValidatesItsInput) {
  const auto r = create_named("orders", "payments");
  EXPECT_THROW(update(tx(), r.id, " ", std::nullopt), InvalidInput);
  EXPECT_THROW(update(tx(), r.id, std::string(256, 't'), std::nullopt), InvalidInput);
  EXPECT_THROW(update(tx(), r.id, std::nullopt, std::string(4097, 'p')), InvalidInput);
  EXPECT_THROW(update(tx(), "123e4567-e89b-12d3-a456-426614174000", "x", std::nullopt), NotFound);
  EXPECT_EQ(column(r.id, "owner_team"), "payments");
}

TEST_F(DatabaseRepositoryTest, UpdateRefusesRecordsBeingDeletedOrDeleted) {
  const auto deleting = create_in("orders", S::deleting);
  const auto deleted = create_in("invoices", S::deleted);
  EXPECT_THROW(update(tx(), deleting.id, "billing", std::nullopt), WrongState);
  EXPECT_THROW(update(tx(), deleted.id, std::nullopt, "x"), WrongState);
  EXPECT_EQ(column(deleting.id, "owner_team"), "payments");
  EXPECT_EQ(column(deleted.id, "purpose"), "tests");
  // Error records can still be corrected.
  const auto failed = create_in("carts", S::error);
  EXPECT_EQ(update(tx(), failed.id, "billing", std::nullopt).owner_team, "billing");
}

TEST_F(DatabaseRepositoryTest, ProvisioningToReadyRecordsConnectionDetails) {
  const auto r = create_named("orders");
  const auto ready = transition(
      tx(), r.id, S::ready, std::nullopt,
      ConnectionDetails{
          .host = "orders-pooler.default.svc", .port = 5432, .secret_name = "orders-app"});
  EXPECT_EQ(ready.status, S::ready);
  EXPECT_EQ(column(r.id, "status"), "ready");
  EXPECT_EQ(column(r.id, "host"), "orders-pooler.default.svc");
  EXPECT_EQ(column(r.id, "port"), "5432");
  EXPECT_EQ(column(r.id, "secret_name"), "orders-app");
  EXPECT_EQ(column(r.id, "deleted_at"), std::nullopt);
}

TEST_F(DatabaseRepositoryTest, ProvisioningToErrorRecordsTheMessage) {
  const auto r = create_named("orders");
  transition(tx(), r.id, S::error, "cluster did not become healthy");
  EXPECT_EQ(column(r.id, "status"), "error");
  EXPECT_EQ(column(r.id, "error_message"), "cluster did not become healthy");
}

TEST_F(DatabaseRepositoryTest, RetryFromErrorToProvisioningClearsTheMessage) {
  const auto r = create_in("orders", S::error);
  const auto retried = transition(tx(), r.id, S::provisioning);
  EXPECT_EQ(retried.status, S::provisioning);
  EXPECT_FALSE(retried.error_message.has_value());
  EXPECT_EQ(column(r.id, "status"), "provisioning");
  EXPECT_EQ(column(r.id, "error_message"), std::nullopt);
}

TEST_F(DatabaseRepositoryTest, ADegradedRecordKeepsItsDetailsAndIsReadyAgainWithoutTheMessage) {
  const auto r = create_in("orders", S::ready);
  const auto degraded = transition(tx(), r.id, S::degraded, "database daap_orders is missing");
  EXPECT_EQ(column(r.id, "status"), "degraded");
  EXPECT_EQ(column(r.id, "error_message"), "database daap_orders is missing");
  EXPECT_EQ(degraded.host, r.host);
  transition(tx(), r.id, S::degraded, "role daap_orders is missing");
  EXPECT_EQ(column(r.id, "error_message"), "role daap_orders is missing") << "what is wrong now";
  transition(tx(), r.id, S::ready);
  EXPECT_EQ(column(r.id, "status"), "ready");
  EXPECT_EQ(column(r.id, "error_message"), std::nullopt);
  EXPECT_EQ(column(r.id, "host"), r.host);
}

TEST_F(DatabaseRepositoryTest, OnlyReadyAndDegradedRecordsAreReconciled) {
  create_in("orders", S::ready);
  const auto d = create_in("invoices", S::degraded);
  create_in("refunds", S::error);
  create_in("carts", S::provisioning);
  std::vector<std::string> names;
  for (const auto& r : find_to_reconcile(tx())) names.push_back(r.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"invoices", "orders"}));
  const auto live = live_ids(tx());
  EXPECT_NE(std::find(live.begin(), live.end(), d.id), live.end());
  EXPECT_EQ(live.size(), 4U);
}

TEST_F(DatabaseRepositoryTest, ReadyAndErrorRecordsMoveToDeleting) {
  const auto ready = create_in("orders", S::ready);
  const auto failed = create_in("invoices", S::error);
  transition(tx(), ready.id, S::deleting);
  transition(tx(), failed.id, S::deleting);
  EXPECT_EQ(column(ready.id, "status"), "deleting");
  EXPECT_EQ(column(ready.id, "host"), "db.example");  // still reachable until deprovisioned
  EXPECT_EQ(column(failed.id, "status"), "deleting");
  EXPECT_EQ(column(failed.id, "deleted_at"), std::nullopt);
}

TEST_F(DatabaseRepositoryTest, SoftDeleteOfDeletingRecordSetsDeletedAt) {
  const auto r = create_in("orders", S::deleting);
  const auto gone = soft_delete(tx(), r.id);
  EXPECT_EQ(gone.status, S::deleted);
  ASSERT_TRUE(gone.deleted_at.has_value());
  EXPECT_EQ(column(r.id, "status"), "deleted");
  EXPECT_TRUE(tx().query_value<bool>("SELECT deleted_at = now() FROM daap.databases WHERE id = $1",
                                     pqxx::params{r.id}));
}

TEST_F(DatabaseRepositoryTest, InvalidTransitionsAreRefusedAndLeaveTheRowUnchanged) {
  struct Case {
    S from;
    S to;
  };
  const Case cases[] = {
      {S::provisioning, S::deleting},
      {S::provisioning, S::deleted},
      {S::provisioning, S::provisioning},
      {S::ready, S::provisioning},
      {S::ready, S::error},
      {S::ready, S::deleted},
      {S::error, S::ready},
      {S::deleting, S::ready},
      {S::deleting, S::provisioning},
      {S::deleted, S::provisioning},
      {S::deleted, S::deleting},
      {S::deleted, S::deleted},
  };
  int n = 0;
  for (const auto& c : cases) {
    const auto r = create_in("db" + std::to_string(n++), c.from);
    try {
      transition(tx(), r.id, c.to);
      ADD_FAILURE() << to_string(c.from) << " -> " << to_string(c.to) << " accepted";
    } catch (const InvalidTransition& e) {
      EXPECT_EQ(e.from(), c.from);
      EXPECT_EQ(e.to(), c.to);
    }
    EXPECT_EQ(column(r.id, "status"), std::string(to_string(c.from)));
  }
}

TEST_F(DatabaseRepositoryTest, TransitionRefusesDetailsThatDoNotBelongToTheTarget) {
  const auto r = create_named("orders");
  EXPECT_THROW(transition(tx(), r.id, S::ready, "not an error"), InvalidInput);
  const ConnectionDetails conn{.host = "h", .port = 5432, .secret_name = "s"};
  EXPECT_THROW(transition(tx(), r.id, S::error, std::nullopt, conn), InvalidInput);
  EXPECT_THROW(transition(tx(), r.id, S::ready, std::nullopt,
                          ConnectionDetails{.host = "h", .port = 0, .secret_name = "s"}),
               InvalidInput);
  EXPECT_THROW(transition(tx(), r.id, S::ready, std::nullopt,
                          ConnectionDetails{.host = "", .port = 5432, .secret_name = "s"}),
               InvalidInput);
  EXPECT_EQ(column(r.id, "status"), "provisioning");
  EXPECT_THROW(transition(tx(), "123e4567-e89b-12d3-a456-426614174000", S::ready), NotFound);
}

// Needs committed rows and a second session, so it uses a database of its own.
TEST(DatabaseRepositoryLocking, TransitionHoldsTheRowLockUntilTheCallerCommits) {
  daap::test::FreshDatabase db;
  pqxx::connection writer(db.url());
  std::string id;
  {
    pqxx::work setup(writer);
    id = create(setup, NewDatabase{.name = "orders", .owner_team = "payments"}).id;
    setup.commit();
  }
  pqxx::work tx(writer);
  transition(tx, id, S::error, "boom");

  pqxx::connection other(db.url());
  pqxx::work probe(other);
  EXPECT_THROW(
      probe.exec("SELECT 1 FROM daap.databases WHERE id = $1 FOR UPDATE NOWAIT", pqxx::params{id}),
      pqxx::sql_error);
}

}  // namespace
}  // namespace daap::schema
