// list(): filters, literal name search, both sort orders and keyset pagination, against rows
// written with plain SQL (as other services write them) in a rolled-back transaction.
#include <algorithm>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "schema/database_repository.h"
#include "schema/errors.h"
#include "tests/support/test_database.h"

namespace daap::schema {
namespace {

using S = DatabaseStatus;

// A row to insert; created_at defaults to the transaction's now().
struct Row {
  std::string name;
  std::string owner_team = "payments";
  std::string status = "ready";
  std::string namespace_name = "default";
  std::optional<std::string> created_at{};
};

class DatabaseListTest : public daap::test::RollbackTest {
 protected:
  std::string insert(const Row& row) {
    return tx().query_value<std::string>(
        "INSERT INTO daap.databases (name, owner_team, status, namespace, created_at, deleted_at) "
        "VALUES ($1, $2, $3, $4, coalesce($5::timestamptz, now()), "
        "        CASE WHEN $3 = 'deleted' THEN now() END) RETURNING id",
        pqxx::params{row.name, row.owner_team, row.status, row.namespace_name, row.created_at});
  }

  ListPage page(ListQuery q) { return list(tx(), q); }

  static std::vector<std::string> names_of(const ListPage& p) {
    std::vector<std::string> out;
    for (const auto& r : p.items) out.push_back(r.name);
    return out;
  }

  std::vector<std::string> names(ListQuery q) { return names_of(page(std::move(q))); }

  // Walks every page of `q` with page size `limit`; `between` runs after each page.
  std::vector<DatabaseRecord> walk(ListQuery q, int limit,
                                   const std::function<void(int)>& between = nullptr) {
    q.limit = limit;
    std::vector<DatabaseRecord> all;
    for (int n = 0;; ++n) {
      auto p = list(tx(), q);
      EXPECT_LE(p.items.size(), static_cast<std::size_t>(limit));
      all.insert(all.end(), p.items.begin(), p.items.end());
      if (!p.next_cursor) break;
      EXPECT_EQ(p.items.size(), static_cast<std::size_t>(limit));
      if (between) between(n);
      q.cursor = p.next_cursor;
      if (n > 1000) {
        ADD_FAILURE() << "pagination does not end";
        break;
      }
    }
    return all;
  }

  static std::vector<std::string> ids(const std::vector<DatabaseRecord>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) out.push_back(r.id);
    return out;
  }

  // Ids in (created_at, id) order straight from SQL: the expected order of a full walk.
  std::vector<std::string> ids_in_sql_order(const std::string& order_by) {
    std::vector<std::string> out;
    for (auto [id] : tx().query<std::string>("SELECT id::text FROM daap.databases WHERE "
                                             "deleted_at IS NULL ORDER BY " +
                                             order_by)) {
      out.push_back(id);
    }
    return out;
  }
};

TEST_F(DatabaseListTest, ExcludesDeletedRecordsUnlessAsked) {
  insert({.name = "orders"});
  insert({.name = "orders", .status = "deleted"});
  insert({.name = "carts", .status = "deleting"});
  EXPECT_EQ(names({.sort = SortOrder::name}), (std::vector<std::string>{"carts", "orders"}));
  const auto all = page({.include_deleted = true, .sort = SortOrder::name});
  ASSERT_EQ(all.items.size(), 3U);
  EXPECT_EQ(std::count_if(all.items.begin(), all.items.end(),
                          [](const auto& r) { return r.status == S::deleted; }),
            1);
  EXPECT_FALSE(all.next_cursor.has_value());
}

TEST_F(DatabaseListTest, FiltersByOwnerTeam) {
  insert({.name = "orders", .owner_team = "payments"});
  insert({.name = "carts", .owner_team = "shop"});
  insert({.name = "refunds", .owner_team = "payments"});
  EXPECT_EQ(names({.owner_team = "payments", .sort = SortOrder::name}),
            (std::vector<std::string>{"orders", "refunds"}));
  EXPECT_TRUE(names({.owner_team = "Payments"}).empty());  // exact match
}

TEST_F(DatabaseListTest, FiltersByStatus) {
  insert({.name = "a", .status = "provisioning"});
  insert({.name = "b", .status = "ready"});
  insert({.name = "c", .status = "error"});
  insert({.name = "d", .status = "ready"});
  insert({.name = "e", .status = "deleted"});
  EXPECT_EQ(names({.status = S::ready, .sort = SortOrder::name}),
            (std::vector<std::string>{"b", "d"}));
  EXPECT_EQ(names({.status = S::error}), std::vector<std::string>{"c"});
  EXPECT_TRUE(names({.status = S::deleted}).empty());  // deleted rows need include_deleted
  EXPECT_EQ(names({.status = S::deleted, .include_deleted = true}), std::vector<std::string>{"e"});
}

TEST_F(DatabaseListTest, FiltersByNamespace) {
  insert({.name = "a", .namespace_name = "default"});
  insert({.name = "b", .namespace_name = "team-shop"});
  EXPECT_EQ(names({.namespace_name = "team-shop"}), std::vector<std::string>{"b"});
  EXPECT_EQ(names({.namespace_name = "default"}), std::vector<std::string>{"a"});
}

TEST_F(DatabaseListTest, CombinesFilters) {
  insert({.name = "orders", .owner_team = "payments", .status = "ready"});
  insert({.name = "orders-archive", .owner_team = "payments", .status = "error"});
  insert({.name = "order-events", .owner_team = "shop", .status = "ready"});
  insert({.name = "refunds", .owner_team = "payments", .status = "ready"});
  EXPECT_EQ(names({.owner_team = "payments", .status = S::ready, .name_contains = "order"}),
            std::vector<std::string>{"orders"});
}

TEST_F(DatabaseListTest, NameContainsMatchesSubstringsCaseInsensitively) {
  insert({.name = "orders"});
  insert({.name = "pre-orders-v2"});
  insert({.name = "carts"});
  EXPECT_EQ(names({.name_contains = "ORDER", .sort = SortOrder::name}),
            (std::vector<std::string>{"orders", "pre-orders-v2"}));
  EXPECT_EQ(names({.name_contains = "Rs-V", .sort = SortOrder::name}),
            std::vector<std::string>{"pre-orders-v2"});
  EXPECT_EQ(names({.name_contains = "", .sort = SortOrder::name}).size(), 3U);
}

TEST_F(DatabaseListTest, NameContainsMatchesWildcardsAndBackslashLiterally) {
  insert({.name = "a-b"});
  insert({.name = "axb"});
  insert({.name = "ab"});
  // Unescaped, '%' and '_' would match every row and "a%b" / "a_b" two or three of them.
  for (const std::string& text :
       std::vector<std::string>{"%", "_", "\\", "a%b", "a_b", "a\\-b", "%%", "\\%"}) {
    EXPECT_TRUE(names({.name_contains = text}).empty()) << "'" << text << "'";
  }
  EXPECT_EQ(names({.name_contains = "-"}), std::vector<std::string>{"a-b"});
  EXPECT_EQ(names({.name_contains = "A-B"}), std::vector<std::string>{"a-b"});
}

TEST_F(DatabaseListTest, NameContainsWithQuotesIsJustText) {
  insert({.name = "orders"});
  EXPECT_TRUE(names({.name_contains = "'; drop table daap.databases;--"}).empty());
  EXPECT_EQ(names({}).size(), 1U);
}

TEST_F(DatabaseListTest, FilterTextPostgresqlCannotHoldIsInvalidInput) {
  insert({.name = "orders"});
  try {
    page({.name_contains = std::string("or\xff")});
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "name_contains");
  }
  EXPECT_THROW(page({.owner_team = std::string("pay\0ments", 9)}), InvalidInput);
  EXPECT_EQ(page({}).items.size(), 1U);  // refused before the transaction could abort
}

TEST_F(DatabaseListTest, SortsByCreatedAtThenId) {
  insert({.name = "c", .created_at = "2024-01-01T00:00:00Z"});
  insert({.name = "a", .created_at = "2024-01-03T00:00:00Z"});
  insert({.name = "b", .created_at = "2024-01-02T00:00:00Z"});
  insert({.name = "d", .created_at = "2024-01-02T00:00:00Z"});
  const auto p = page({.sort = SortOrder::created_at});
  ASSERT_EQ(p.items.size(), 4U);
  EXPECT_EQ(p.items[0].name, "c");
  EXPECT_EQ(p.items[3].name, "a");
  // b and d share created_at: the smaller id comes first.
  EXPECT_LT(p.items[1].id, p.items[2].id);
  EXPECT_EQ(ids(p.items), ids_in_sql_order("created_at, id"));
}

TEST_F(DatabaseListTest, SortsByNameThenIdAcrossDeletedNamesakes) {
  insert({.name = "orders", .status = "deleted"});
  insert({.name = "carts"});
  insert({.name = "orders", .status = "deleted"});
  insert({.name = "orders"});
  const auto p = page({.include_deleted = true, .sort = SortOrder::name});
  EXPECT_EQ(names_of(p), (std::vector<std::string>{"carts", "orders", "orders", "orders"}));
  EXPECT_TRUE(std::is_sorted(p.items.begin() + 1, p.items.end(),
                             [](const auto& x, const auto& y) { return x.id < y.id; }));
}

TEST_F(DatabaseListTest, PagesByCreatedAtVisitEveryRowOnce) {
  for (int i = 0; i < 10; ++i) {
    insert({.name = "db" + std::to_string(i),
            .created_at = "2024-01-01T00:00:" + std::to_string(10 + i) + "Z"});
  }
  const auto all = walk({.sort = SortOrder::created_at}, 3);
  EXPECT_EQ(ids(all), ids_in_sql_order("created_at, id"));
}

TEST_F(DatabaseListTest, PagesBreakTiesOfIdenticalCreatedAtById) {
  // Inside one transaction now() is constant: every row has the same created_at.
  for (int i = 0; i < 25; ++i) insert({.name = "db" + std::to_string(i)});
  EXPECT_EQ(tx().query_value<int>("SELECT count(DISTINCT created_at) FROM daap.databases"), 1);
  for (const int limit : {1, 2, 3, 7, 24, 25}) {
    const auto all = walk({.sort = SortOrder::created_at}, limit);
    EXPECT_EQ(ids(all), ids_in_sql_order("created_at, id")) << "limit " << limit;
  }
}

TEST_F(DatabaseListTest, PagesDistinguishCreatedAtOneMicrosecondApart) {
  // A cursor that rounded created_at (to ms, or through a double) would repeat or skip rows.
  for (int i = 0; i < 6; ++i) {
    insert({.name = "db" + std::to_string(i),
            .created_at = "2024-06-30T23:59:59.99999" + std::to_string(i) + "+02"});
  }
  // Past 2^53 microseconds (year 2255), where a double no longer holds every microsecond.
  insert({.name = "later", .created_at = "9999-12-31T23:59:59.999999Z"});
  insert({.name = "earlier", .created_at = "1969-12-31T23:59:59.999999Z"});
  const auto all = walk({.sort = SortOrder::created_at}, 1);
  EXPECT_EQ(ids(all), ids_in_sql_order("created_at, id"));
  EXPECT_EQ(all.front().name, "earlier");
  EXPECT_EQ(all.back().name, "later");
}

TEST_F(DatabaseListTest, PagesByNameVisitEveryRowOnce) {
  for (int i = 0; i < 12; ++i) {
    insert({.name = "db" + std::to_string(i % 5), .status = i < 5 ? "ready" : "deleted"});
  }
  auto q = ListQuery{.include_deleted = true, .sort = SortOrder::name};
  const auto all = walk(q, 2);
  std::vector<std::string> expected;
  for (auto [id] : tx().query<std::string>("SELECT id::text FROM daap.databases ORDER BY name, id"))
    expected.push_back(id);
  EXPECT_EQ(ids(all), expected);
}

TEST_F(DatabaseListTest, RowsAddedBetweenPagesNeverRepeatOrHideOthers) {
  for (int i = 0; i < 10; ++i) {
    insert({.name = "m" + std::to_string(i),
            .created_at = "2024-01-01T00:00:1" + std::to_string(i) + "Z"});
  }
  const auto before = ids_in_sql_order("created_at, id");
  int added = 0;
  // After each page: one row sorting before everything seen, one after everything.
  const auto all = walk({.sort = SortOrder::created_at}, 3, [&](int n) {
    insert({.name = "early" + std::to_string(n), .created_at = "2023-01-01T00:00:00Z"});
    insert({.name = "late" + std::to_string(n),
            .created_at = "2025-01-01T00:00:0" + std::to_string(n) + "Z"});
    added += 2;
  });
  const auto seen = ids(all);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size()) << "repeats";
  for (const auto& id : before) {
    EXPECT_NE(std::find(seen.begin(), seen.end(), id), seen.end()) << "skipped " << id;
  }
  for (const auto& r : all) EXPECT_EQ(r.name.rfind("early", 0), std::string::npos) << r.name;
  // Every "late" row sorts after the cursor when it is added, so the walk picks them all up.
  EXPECT_EQ(seen.size(), before.size() + added / 2);
}

TEST_F(DatabaseListTest, RowsAddedBetweenPagesByNameAppearOnlyAfterTheCursor) {
  for (const auto* n : {"b1", "b2", "b3", "b4", "b5", "b6"}) insert({.name = n});
  auto first = page({.sort = SortOrder::name, .limit = 3});
  ASSERT_EQ(names_of(first), (std::vector<std::string>{"b1", "b2", "b3"}));
  insert({.name = "a0"});
  insert({.name = "b35"});
  insert({.name = "b2", .status = "deleted"});
  auto second = page({.sort = SortOrder::name, .limit = 3, .cursor = first.next_cursor});
  EXPECT_EQ(names_of(second), (std::vector<std::string>{"b35", "b4", "b5"}));
  auto third = page({.sort = SortOrder::name, .limit = 3, .cursor = second.next_cursor});
  EXPECT_EQ(names_of(third), std::vector<std::string>{"b6"});
  EXPECT_FALSE(third.next_cursor.has_value());
}

TEST_F(DatabaseListTest, PaginationKeepsApplyingFilters) {
  for (int i = 0; i < 9; ++i) {
    insert({.name = "db" + std::to_string(i), .owner_team = i % 3 == 0 ? "payments" : "shop"});
  }
  const auto all = walk({.owner_team = "payments", .sort = SortOrder::name}, 1);
  std::vector<std::string> got;
  for (const auto& r : all) got.push_back(r.name);
  EXPECT_EQ(got, (std::vector<std::string>{"db0", "db3", "db6"}));
}

TEST_F(DatabaseListTest, NextCursorOnlyWhenMoreRowsFollow) {
  for (int i = 0; i < 6; ++i) insert({.name = "db" + std::to_string(i)});
  auto first = page({.sort = SortOrder::name, .limit = 3});
  ASSERT_TRUE(first.next_cursor.has_value());
  auto second = page({.sort = SortOrder::name, .limit = 3, .cursor = first.next_cursor});
  EXPECT_EQ(second.items.size(), 3U);
  EXPECT_FALSE(second.next_cursor.has_value());  // exactly full last page: no empty page after
  EXPECT_FALSE(page({.sort = SortOrder::name, .limit = 6}).next_cursor.has_value());
  EXPECT_TRUE(page({.sort = SortOrder::name, .limit = 5}).next_cursor.has_value());
}

TEST_F(DatabaseListTest, LimitDefaultsTo50) {
  for (int i = 0; i < 51; ++i) insert({.name = "db" + std::to_string(i)});
  const auto p = page({});
  EXPECT_EQ(p.items.size(), 50U);
  EXPECT_TRUE(p.next_cursor.has_value());
}

TEST_F(DatabaseListTest, LimitOutsideOneToThousandIsInvalidInputNamingLimit) {
  insert({.name = "orders"});
  for (const int limit : {0, -1, 1001, std::numeric_limits<int>::max()}) {
    try {
      page({.limit = limit});
      ADD_FAILURE() << "limit " << limit << " accepted";
    } catch (const InvalidInput& e) {
      EXPECT_EQ(e.field(), "limit");
    }
  }
  EXPECT_EQ(page({.limit = 1}).items.size(), 1U);
  EXPECT_EQ(page({.limit = 1000}).items.size(), 1U);
}

TEST_F(DatabaseListTest, MalformedCursorIsInvalidInputNamingCursor) {
  insert({.name = "orders"});
  const auto b64 = [](const std::string& s) {
    // Test-side base64url so the cases can hold arbitrary JSON.
    static const std::string a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    int val = 0, bits = -6;
    for (unsigned char c : s) {
      val = (val << 8) + c;
      bits += 8;
      while (bits >= 0) {
        out += a[(val >> bits) & 0x3f];
        bits -= 6;
      }
    }
    if (bits > -6) out += a[((val << 8) >> (bits + 8)) & 0x3f];
    return out;
  };
  const std::string id = "\"id\":\"123e4567-e89b-12d3-a456-426614174000\"";
  const std::vector<std::string> bad = {
      "",
      "!!!",
      "not a cursor",
      b64("not json"),
      b64("[]"),
      b64("{}"),
      b64("{\"sort\":\"created_at\",\"last\":1}"),
      b64("{\"sort\":\"created_at\",\"last\":\"2024-01-01\"," + id + "}"),
      b64("{\"sort\":\"created_at\",\"last\":1.5," + id + "}"),
      b64("{\"sort\":\"created_at\",\"last\":1,\"id\":\"x'; drop table y;--\"}"),
      b64("{\"sort\":\"size\",\"last\":1," + id + "}"),
  };
  for (const auto& cursor : bad) {
    try {
      page({.cursor = cursor});
      ADD_FAILURE() << "cursor '" << cursor << "' accepted";
    } catch (const InvalidInput& e) {
      EXPECT_EQ(e.field(), "cursor");
    }
  }
  // A well-formed cursor made by hand is fine: the format is opaque, not secret.
  EXPECT_NO_THROW(page({.cursor = b64("{\"sort\":\"created_at\",\"last\":0," + id + "}")}));
  EXPECT_EQ(page({}).items.size(), 1U);  // the transaction is still usable
}

TEST_F(DatabaseListTest, CursorOfTheOtherSortOrderIsRefused) {
  for (int i = 0; i < 3; ++i) insert({.name = "db" + std::to_string(i)});
  const auto by_name = page({.sort = SortOrder::name, .limit = 1});
  ASSERT_TRUE(by_name.next_cursor);
  try {
    page({.sort = SortOrder::created_at, .limit = 1, .cursor = by_name.next_cursor});
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "cursor");
    EXPECT_NE(std::string(e.what()).find("sorted by name"), std::string::npos) << e.what();
  }
  const auto by_created = page({.sort = SortOrder::created_at, .limit = 1});
  EXPECT_THROW(page({.sort = SortOrder::name, .cursor = by_created.next_cursor}), InvalidInput);
}

TEST_F(DatabaseListTest, SortOrderParsesItsTwoNames) {
  EXPECT_EQ(parse_sort("name"), SortOrder::name);
  EXPECT_EQ(parse_sort("created_at"), SortOrder::created_at);
  EXPECT_THROW(parse_sort("updated_at"), InvalidInput);
}

}  // namespace
}  // namespace daap::schema
