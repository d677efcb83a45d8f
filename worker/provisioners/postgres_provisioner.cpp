#include "worker/provisioners/postgres_provisioner.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <string>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "schema/database_record.h"
#include "schema/errors.h"
#include "worker/provisioners/interrupt_wakeup.h"
#include "worker/provisioners/queries.h"
#include "worker/provisioners/secret_file.h"

namespace daap::worker::provisioners {
namespace {

// "daap_" (5) + prefix (25) + "_" (1) + id (32) = 63: PostgreSQL's NAMEDATALEN - 1.
constexpr std::size_t kNamePrefix = 25;
constexpr int kPasswordBytes = 16;  // 32 hex characters
// The comment on a role or database that names the record it was created for.
constexpr const char* kMarkPrefix = "daap:database-id=";

std::string random_password() {
  std::random_device rd;  // /dev/urandom on Linux
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < kPasswordBytes; ++i) {
    const auto byte = static_cast<unsigned>(rd()) & 0xffU;
    out += kHex[byte >> 4U];
    out += kHex[byte & 0xfU];
  }
  return out;
}

// The start of the name, for people reading a list of roles; the id makes it unique.
std::string readable_prefix(const schema::DatabaseRecord& record) {
  schema::validate_name(record.name);
  auto prefix = record.name.substr(0, kNamePrefix);
  while (prefix.back() == '-') prefix.pop_back();  // a valid name starts with a letter
  return prefix;
}

// The record id's 32 hex digits, lowercase.
std::string id_hex(const schema::DatabaseRecord& record) {
  if (!schema::is_uuid(record.id)) {
    throw schema::InvalidInput("id", "must be a UUID, got '" + record.id + "'");
  }
  std::string hex;
  for (const char c : record.id) {
    if (c != '-') hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return hex;
}

// What the target holds under a record's name: a role or a database, its owner (databases),
// and its ownership mark (its comment).
struct Found {
  bool exists = false;
  std::string owner;
  std::optional<std::string> mark;
};

Found find_role(TargetConnection& target, const std::string& name) {
  Found role;
  target.run("looking up role " + name, [&] {
    const auto rows = pqxx::nontransaction(target.conn()).exec(sql::find_role, pqxx::params{name});
    if (rows.empty()) return;
    role.exists = true;
    if (!rows[0]["mark"].is_null()) role.mark = rows[0]["mark"].as<std::string>();
  });
  return role;
}

Found find_database(TargetConnection& target, const std::string& name) {
  Found db;
  target.run("looking up database " + name, [&] {
    const auto rows =
        pqxx::nontransaction(target.conn()).exec(sql::find_database, pqxx::params{name});
    if (rows.empty()) return;
    db.exists = true;
    db.owner = rows[0]["owner"].as<std::string>();
    if (!rows[0]["mark"].is_null()) db.mark = rows[0]["mark"].as<std::string>();
  });
  return db;
}

// Closes the target's own databases to PUBLIC, so tenants connect to nothing but their own
// database: CONNECT on them is PUBLIC's by default. This role keeps it (granted first, in the
// same transaction) so that it can still connect when it is not a superuser.
void close_server_databases(TargetConnection& target) {
  bool open = false;  // looked at without a lock first: once closed, they stay closed
  target.run("looking up who may connect to the target's own databases", [&] {
    open = !pqxx::nontransaction(target.conn()).exec(sql::open_server_databases).empty();
  });
  if (!open) return;
  target.run("closing the target's own databases to PUBLIC", [&] {
    pqxx::work tx(target.conn());
    tx.exec(sql::lock_server_databases);
    for (const auto& row : tx.exec(sql::open_server_databases)) {  // again, under the lock
      const auto db = row["datname"].as<std::string>();
      if (!row["can_close"].as<bool>()) {
        throw ProvisionError(
            "PUBLIC may connect to database " + db +
            " on the provisioning target, so every tenant could, and the provisioning role can "
            "neither change that nor is it a superuser: as the database's owner, run REVOKE "
            "CONNECT ON DATABASE " +
            db + " FROM PUBLIC; GRANT CONNECT ON DATABASE " + db +
            " TO <the role of PROVISION_DATABASE_URL>");
      }
      tx.exec("GRANT CONNECT ON DATABASE " + tx.quote_name(db) + " TO CURRENT_USER");
      tx.exec("REVOKE CONNECT ON DATABASE " + tx.quote_name(db) + " FROM PUBLIC");
    }
    tx.commit();
  });
}

bool is_superuser(TargetConnection& target) {
  bool superuser = false;
  target.run("looking up the provisioning role", [&] {
    superuser = pqxx::nontransaction(target.conn())
                    .exec(sql::current_role_is_superuser)
                    .one_field()
                    .as<bool>();
  });
  return superuser;
}

// A mark (a comment: the owner of a database can write anything there) fit for an error text.
std::string describe_mark(const std::optional<std::string>& mark) {
  if (!mark) return "no comment";
  std::string shown;
  for (const char c : mark->substr(0, 100)) shown += c >= 0x20 && c < 0x7f ? c : '?';
  return "comment '" + shown + "'" + (mark->size() > 100 ? " (cut)" : "");
}

// A role is this record's only if it carries its mark: only a role with CREATEROLE can change
// a role's comment, and the role's CREATE and COMMENT commit together.
void require_own_role(const Found& role, const std::string& name, const std::string& mark) {
  if (!role.exists || role.mark == mark) return;
  throw OwnershipConflict("role " + name + " exists on the provisioning target with " +
                          describe_mark(role.mark) + ", not this record's mark '" + mark +
                          "': it is not this record's, so it was left untouched; if it is a "
                          "leftover, drop it there, then retry the job");
}

// A database is this record's only if its owner is the record's (marked) role, and its
// comment, which that owner can change, does not name another record.
void require_own_database(const Found& db, const std::string& name, const std::string& mark) {
  if (!db.exists) return;
  if (db.owner != name) {
    throw OwnershipConflict("database " + name + " exists on the provisioning target owned by " +
                            db.owner + " (" + describe_mark(db.mark) +
                            "), not by this record's role: it is not this record's, so it was "
                            "left untouched; if it is a leftover, drop it there, then retry the "
                            "job");
  }
  if (db.mark && db.mark->rfind(kMarkPrefix, 0) == 0 && *db.mark != mark) {
    throw OwnershipConflict("database " + name + " on the provisioning target has " +
                            describe_mark(db.mark) + ", another record's mark, not '" + mark +
                            "': it was left untouched; set its comment to this record's mark "
                            "if it is this record's, then retry the job");
  }
}

// What is wrong with the record's secret file and, when it is whole, whether it logs in to the
// record's database as the record's role; nullopt when it does.
std::optional<std::string> secret_problem(const std::filesystem::path& path,
                                          const std::string& name,
                                          const TargetSettings& target, Interrupt& interrupt) {
  std::ifstream in(path);
  if (!in) return "secret file " + path.string() + " is missing";
  const auto s = nlohmann::json::parse(in, nullptr, false);
  const auto text = [&](const char* key) {
    return s.is_object() && s.contains(key) && s[key].is_string() ? s[key].get<std::string>()
                                                                  : std::string();
  };
  if (text("user") != name || text("password").empty() || text("host").empty() ||
      !s.contains("port") || !s["port"].is_number_integer()) {
    return "secret file " + path.string() + " is not a secret of role " + name +
           " (user, password, host or port missing)";
  }
  TargetSettings login = target;
  login.url = "host='" + text("host") + "' port=" + std::to_string(s["port"].get<int>()) +
              " dbname='" + name + "' user='" + name + "' password='" + text("password") + "'";
  try {
    TargetConnection(login, interrupt);
  } catch (const ProvisionError& e) {
    if (interrupt.requested()) throw;
    return std::string("the secret does not log in: ") + e.what();
  }
  return std::nullopt;
}

}  // namespace

std::string role_name_for(const schema::DatabaseRecord& record) {
  std::string name = "daap_" + readable_prefix(record) + "_" + id_hex(record);
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

std::string secret_name_for(const schema::DatabaseRecord& record) {
  return "daap-" + readable_prefix(record) + "-" + id_hex(record);
}

std::string ownership_mark(const schema::DatabaseRecord& record) {
  const auto hex = id_hex(record);  // validates; the mark holds the canonical lowercase form
  return kMarkPrefix + hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

PostgresProvisioner::PostgresProvisioner(PostgresProvisionerConfig config)
    : config_(std::move(config)) {
  check_secrets_dir(config_.secrets_dir);
}

TargetSettings PostgresProvisioner::target() const {
  return {config_.target_url, config_.connect_timeout, config_.statement_timeout};
}

void PostgresProvisioner::test_pause(Interrupt& interrupt) const {
  if (config_.test_delay.count() > 0) InterruptWakeup(interrupt).wait_for(config_.test_delay);
}

ProvisionResult PostgresProvisioner::provision(const schema::DatabaseRecord& record,
                                               Interrupt& interrupt) {
  const std::string name = role_name_for(record);  // validates before any SQL
  const std::string mark = ownership_mark(record);
  const std::string secret_name = secret_name_for(record);
  const auto path = secret_path(config_.secrets_dir, secret_name);

  TargetConnection target(this->target(), interrupt);
  const auto exec = [&](const std::string& sql) { pqxx::nontransaction(target.conn()).exec(sql); };
  const auto quoted = target.conn().quote_name(name);
  close_server_databases(target);
  // Nothing is adopted or changed before both are known to be this record's (or absent).
  const auto role = find_role(target, name);
  require_own_role(role, name, mark);
  const auto db = find_database(target, name);
  require_own_database(db, name, mark);

  // The secret is written before the role gets its password, and an existing one is reused:
  // a crash between the two leaves a secret the next attempt makes true.
  const auto password = read_secret_password(path, name).value_or(random_password());
  const nlohmann::json secret = {{"host", target.host()},
                                 {"port", target.port()},
                                 {"dbname", name},
                                 {"user", name},
                                 {"password", password}};
  write_secret(path, secret.dump(2) + "\n");

  // Only a SCRAM-SHA-256 verifier computed here reaches the server, so the password is in no
  // server log line (log_statement, or the STATEMENT line of a failing CREATE ROLE). The
  // verifier cannot log in; it stays out of error texts all the same (Secrecy::credential).
  const auto verifier = target.conn().encrypt_password(name, password, "scram-sha-256");
  const auto set_password = " WITH LOGIN PASSWORD " + target.conn().quote(verifier);
  if (role.exists) {
    target.run(
        "setting the password of role " + name,
        [&] { exec("ALTER ROLE " + quoted + set_password); }, Secrecy::credential);
  } else {
    // Created and marked in one transaction: a role with this name but no mark is never ours.
    // A provisioning role that is not a superuser must be a member of the tenant's role to
    // create, mark and drop the database it owns.
    const bool superuser = is_superuser(target);
    target.run(
        "creating role " + name,
        [&] {
          pqxx::work tx(target.conn());
          tx.exec("CREATE ROLE " + quoted + set_password);
          tx.exec("COMMENT ON ROLE " + quoted + " IS " + tx.quote(mark));
          if (!superuser) tx.exec("GRANT " + quoted + " TO CURRENT_USER");
          tx.commit();
        },
        Secrecy::credential);
  }
  test_pause(interrupt);
  if (!db.exists) {
    target.run("creating database " + name,
               [&] { exec("CREATE DATABASE " + quoted + " OWNER " + quoted); });
  }
  target.run("marking database " + name,
             [&] { exec("COMMENT ON DATABASE " + quoted + " IS " + target.conn().quote(mark)); });
  target.run("revoking public access to database " + name,
             [&] { exec("REVOKE CONNECT, TEMPORARY ON DATABASE " + quoted + " FROM PUBLIC"); });
  return schema::ConnectionDetails{target.host(), target.port(), secret_name};
}

void PostgresProvisioner::deprovision(const schema::DatabaseRecord& record, Interrupt& interrupt) {
  const std::string name = role_name_for(record);
  const std::string mark = ownership_mark(record);
  const auto path = secret_path(config_.secrets_dir, secret_name_for(record));

  TargetConnection target(this->target(), interrupt);
  const auto exec = [&](const std::string& sql) { pqxx::nontransaction(target.conn()).exec(sql); };
  const auto quoted = target.conn().quote_name(name);
  // Nothing is dropped unless both are this record's (or absent).
  const auto role = find_role(target, name);
  require_own_role(role, name, mark);
  const auto db = find_database(target, name);
  require_own_database(db, name, mark);
  test_pause(interrupt);
  if (db.exists) {
    target.run("dropping database " + name,
               [&] { exec("DROP DATABASE IF EXISTS " + quoted + " WITH (FORCE)"); });
  }
  if (role.exists) {
    target.run("ending sessions of role " + name, [&] {
      pqxx::nontransaction(target.conn()).exec(sql::end_role_sessions, pqxx::params{name});
    });
    target.run("dropping role " + name, [&] { exec("DROP ROLE IF EXISTS " + quoted); });
  }
  remove_secret(path);
}

ReconcileReport PostgresProvisioner::reconcile(const std::vector<schema::DatabaseRecord>& records,
                                              const std::vector<std::string>& live_ids,
                                              Interrupt& interrupt) {
  ReconcileReport report;
  TargetConnection target(this->target(), interrupt);
  for (const auto& record : records) {
    const std::string name = role_name_for(record);
    const std::string mark = ownership_mark(record);
    std::vector<std::string> problems;
    const auto role = find_role(target, name);
    if (!role.exists) {
      problems.push_back("role " + name + " is missing");
    } else if (role.mark != mark) {
      problems.push_back("role " + name + " has " + describe_mark(role.mark) +
                         ", not this record's mark");
    }
    const auto db = find_database(target, name);
    if (!db.exists) {
      problems.push_back("database " + name + " is missing");
    } else if (db.owner != name) {
      problems.push_back("database " + name + " is owned by " + db.owner + ", not by role " +
                         name);
    }
    const auto path =
        secret_path(config_.secrets_dir, record.secret_name.value_or(secret_name_for(record)));
    if (problems.empty()) {
      if (auto secret = secret_problem(path, name, this->target(), interrupt)) {
        problems.push_back(*secret);
      }
    } else if (!std::filesystem::exists(path)) {
      problems.push_back("secret file " + path.string() + " is missing");
    }
    RecordHealth health{record.id, std::nullopt};
    if (!problems.empty()) {
      std::string joined;
      for (const auto& p : problems) joined += (joined.empty() ? "" : "; ") + p;
      health.problem = joined;
    }
    report.records.push_back(std::move(health));
  }
  const std::set<std::string> live(live_ids.begin(), live_ids.end());
  target.run("looking up the roles and databases the provisioner marked", [&] {
    for (const auto& row : pqxx::nontransaction(target.conn()).exec(sql::find_marked_objects)) {
      const auto id = row["database_id"].as<std::string>();
      if (live.count(id) != 0U) continue;
      report.orphans.push_back(
          {row["kind"].as<std::string>() + " " + row["name"].as<std::string>(), id});
    }
  });
  return report;
}

}  // namespace daap::worker::provisioners
