// Database URLs read as golang-migrate reads them: its lock id's database name, its x-
// parameters, and server settings (search_path=public) that libpq alone would refuse.
#include "migrate/database_url.h"

#include <gtest/gtest.h>

#include "tests/support/test_database.h"

namespace daap::migrate {
namespace {

TEST(UrlPath, IsThePathWithItsSlashAsGoDecodesIt) {
  EXPECT_EQ(url_path("postgres://u:p@h:5432/daap"), "/daap");
  EXPECT_EQ(url_path("postgresql://u:p@h/daap?sslmode=disable&search_path=public"), "/daap");
  EXPECT_EQ(url_path("postgres://u:p@h/?dbname=daap"), "/");
  EXPECT_EQ(url_path("postgres:///daap?host=/run/postgresql"), "/daap");
  EXPECT_EQ(url_path("postgres://u:p@h/da%5Fap"), "/da_ap") << "percent-decoded";
  EXPECT_EQ(url_path("postgres://u:p@h/da+ap"), "/da+ap") << "a '+' is a space only in a query";
  EXPECT_EQ(url_path("postgres://u:p@h/daap#frag"), "/daap");
}

TEST(UrlPath, IsAbsentWithoutAPathAndForKeyValueStrings) {
  EXPECT_EQ(url_path("postgres://u:p@h:5432?dbname=daap"), std::nullopt);
  EXPECT_EQ(url_path("postgres://u:p@h:5432"), std::nullopt);
  EXPECT_EQ(url_path("host=h dbname=daap"), std::nullopt);
}

TEST(LibpqConninfo, LeavesWhatLibpqTakesAlone) {
  for (const std::string url :
       {"postgres://u:p@h/daap", "postgres://u:p@h/daap?sslmode=disable&connect_timeout=5",
        "postgresql://u:p@h/daap?options=-c%20work_mem%3D8MB", "host=h dbname=daap"}) {
    EXPECT_EQ(libpq_conninfo(url), url);
  }
}

TEST(LibpqConninfo, LeavesLibpqsOwnValuesUndecoded) {
  // Not decoded, so a malformed one cannot end in an error message: libpq reads it.
  EXPECT_EQ(libpq_conninfo("postgres://u@h/daap?password=p%zz&search_path=public"),
            "postgres://u@h/daap?password=p%zz&options=-c%20search_path%3Dpublic");
}

TEST(LibpqConninfo, DropsGolangMigratesOwnParameters) {
  EXPECT_EQ(libpq_conninfo("postgres://u:p@h/daap?x-multi-statement=true&sslmode=disable&"
                           "x-statement-timeout=100&x-no-lock=true&x-migrations-table="
                           "schema_migrations"),
            "postgres://u:p@h/daap?sslmode=disable");
  EXPECT_EQ(libpq_conninfo("postgres://u:p@h/daap?x-multi-statement=true"),
            "postgres://u:p@h/daap");
}

TEST(LibpqConninfo, RefusesAnotherHistoryTableNamingTheParameter) {
  try {
    libpq_conninfo("postgres://u:p@h/daap?x-migrations-table=my_history");
    FAIL() << "another history table would split the history between the tools";
  } catch (const DatabaseUrlError& e) {
    EXPECT_NE(std::string(e.what()).find("x-migrations-table=my_history"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("public.schema_migrations"), std::string::npos)
        << e.what();
  }
}

TEST(LibpqConninfo, SendsOtherParametersToTheServerThroughOptions) {
  EXPECT_EQ(libpq_conninfo("postgres://u:p@h/daap?sslmode=disable&search_path=public"),
            "postgres://u:p@h/daap?sslmode=disable&options=-c%20search_path%3Dpublic");
  // Spaces are escaped for libpq's options; the URL's own options are kept in front.
  EXPECT_EQ(libpq_conninfo("postgres://u:p@h/daap?search_path=a,+b&options=-c%20work_mem%3D8MB"),
            "postgres://u:p@h/daap?options=-c%20work_mem%3D8MB%20-c%20search_path%3Da%2C%5C%20b");
}

TEST(LibpqConninfo, TheServerGetsTheSearchPathFromTheUrl) {
  const auto url = test::shared_database_url();
  const auto sep = url.find('?') == std::string::npos ? "?" : "&";
  pqxx::connection conn(libpq_conninfo(url + sep + "search_path=public&x-multi-statement=true"));
  pqxx::nontransaction tx(conn);
  EXPECT_EQ(tx.query_value<std::string>("SHOW search_path"), "public");
  EXPECT_EQ(tx.query_value<std::string>("SELECT current_schema()"), "public")
      << "golang-migrate, given the same URL, keeps its history in current_schema()";
}

TEST(LockDatabaseName, IsCurrentDatabaseWithoutAPathAndSlashedForKeyValueStrings) {
  const auto url = test::shared_database_url();
  pqxx::connection conn(url);
  const std::string name = conn.dbname();
  EXPECT_EQ(lock_database_name(url, conn), "/" + name);
  EXPECT_EQ(lock_database_name("postgres://u:p@h:5432?dbname=x", conn), name)
      << "golang-migrate asks the server when the URL has no path";
  EXPECT_EQ(lock_database_name("postgres://u:p@h:5432/?dbname=x", conn), "/");
  EXPECT_EQ(lock_database_name("host=h dbname=x", conn), "/" + name);
}

}  // namespace
}  // namespace daap::migrate
