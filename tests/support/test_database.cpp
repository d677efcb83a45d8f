#include "tests/support/test_database.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "migrate/migrator.h"
#include "tests/support/eventually.h"

namespace daap::test {
namespace {

std::string random_suffix() {
  std::random_device rd;
  std::ostringstream s;
  s << std::hex << rd() << rd();
  return s.str();
}

std::string migrations_fingerprint(const std::vector<migrate::Migration>& migrations) {
  std::string all;
  for (const auto& m : migrations) {
    for (const auto& path : {m.up, m.down}) {
      std::ifstream in(path, std::ios::binary);
      all += std::string(std::istreambuf_iterator<char>(in), {});
    }
  }
  std::ostringstream s;
  s << std::hex << migrate::crc32_ieee(all);
  return s.str();
}

void create_from_template(pqxx::connection& admin, const std::string& name,
                          const std::string& tpl) {
  const auto create = [&] {
    pqxx::nontransaction(admin).exec("CREATE DATABASE " + admin.quote_name(name) + " TEMPLATE " +
                                     admin.quote_name(tpl));
  };
  const bool created = eventually(
      [&] {
        try {
          create();
          return true;
        } catch (const pqxx::sql_error& e) {
          // 55006: another session is still connected to the template; it goes away quickly.
          if (e.sqlstate() != "55006") throw;
          return false;
        }
      },
      std::chrono::seconds(30), std::chrono::milliseconds(100));
  if (!created) create();  // once more, to throw what is in the way
}

}  // namespace

std::string server_url() {
  const char* url = std::getenv("DATABASE_URL");
  if (url == nullptr || *url == '\0') {
    // Never skip: a database test without a database is a failure, loudly.
    throw std::runtime_error(
        "DATABASE_URL is not set: database tests need a real PostgreSQL (run scripts/test, "
        "which starts one)");
  }
  return url;
}

std::string with_database(const std::string& url, const std::string& dbname) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) throw std::runtime_error("DATABASE_URL is not a URL");
  const auto path = url.find('/', scheme + 3);
  const auto query = url.find('?', scheme + 3);
  std::string base = url.substr(0, std::min(path, query));
  std::string rest = query == std::string::npos ? "" : url.substr(query);
  return base + "/" + dbname + rest;
}

std::string migrated_template() {
  static const std::string name = [] {
    auto migrations = migrate::load_migrations(DAAP_MIGRATIONS_DIR);
    const std::string tpl = "daap_tpl_" + migrations_fingerprint(migrations);
    pqxx::connection admin(server_url());
    pqxx::nontransaction(admin).exec("SELECT pg_advisory_lock(727274)");
    pqxx::nontransaction tx(admin);
    if (tx.query_value<int>("SELECT count(*) FROM pg_database WHERE datname = $1",
                            pqxx::params{tpl}) == 0) {
      const std::string building = tpl + "_building";
      tx.exec("DROP DATABASE IF EXISTS " + admin.quote_name(building));
      tx.exec("CREATE DATABASE " + admin.quote_name(building));
      {
        pqxx::connection conn(with_database(server_url(), building));
        migrate::Migrator(conn, migrations, "/" + building).up();
        // The built-in periodic jobs (database.reconcile every 10 minutes) would come due in
        // the middle of tests that count jobs or read logs: tests that want one enable it.
        pqxx::nontransaction(conn).exec("UPDATE daap.periodic_jobs SET enabled = false");
      }
      tx.exec("ALTER DATABASE " + admin.quote_name(building) + " RENAME TO " +
              admin.quote_name(tpl));
    }
    tx.exec("SELECT pg_advisory_unlock(727274)");
    return tpl;
  }();
  return name;
}

FreshDatabase::FreshDatabase(Contents contents) : name_("daap_t_" + random_suffix()) {
  pqxx::connection admin(server_url());
  if (contents == Contents::migrated) {
    create_from_template(admin, name_, migrated_template());
  } else {
    pqxx::nontransaction(admin).exec("CREATE DATABASE " + admin.quote_name(name_));
  }
  url_ = with_database(server_url(), name_);
}

FreshDatabase::~FreshDatabase() {
  try {
    pqxx::connection admin(server_url());
    pqxx::nontransaction(admin).exec("DROP DATABASE IF EXISTS " + admin.quote_name(name_) +
                                     " WITH (FORCE)");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "could not drop test database %s: %s\n", name_.c_str(), e.what());
  }
}

const std::string& shared_database_url() {
  // Lives until the process exits, then is dropped.
  static const FreshDatabase db;
  return db.url();
}

void RollbackTest::SetUp() {
  conn_ = std::make_unique<pqxx::connection>(shared_database_url());
  tx_ = std::make_unique<pqxx::work>(*conn_);
}

void RollbackTest::TearDown() {
  if (tx_) tx_->abort();
  tx_.reset();
  conn_.reset();
}

}  // namespace daap::test
