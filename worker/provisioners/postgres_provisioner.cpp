#include "worker/provisioners/postgres_provisioner.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "schema/database_record.h"
#include "schema/errors.h"
#include "worker/provisioners/interrupt_wakeup.h"

namespace daap::worker::provisioners {
namespace {

// "daap_" (5) + prefix (25) + "_" (1) + id (32) = 63: PostgreSQL's NAMEDATALEN - 1.
constexpr std::size_t kNamePrefix = 25;
constexpr int kPasswordBytes = 16;  // 32 hex characters

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

std::filesystem::path secret_path(const std::string& dir, const std::string& secret_name) {
  return std::filesystem::path(dir) / (secret_name + ".json");
}

// The password of an existing secret for `user`, if there is a usable one.
std::optional<std::string> existing_password(const std::filesystem::path& path,
                                             const std::string& user) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || j.value("user", "") != user) return std::nullopt;
  const auto it = j.find("password");
  if (it == j.end() || !it->is_string() || it->get<std::string>().empty()) return std::nullopt;
  return it->get<std::string>();
}

void write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw ProvisionError(std::string("cannot write a secret: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
}

// Temp file (0600) in the same directory, fsync, rename, fsync the directory.
void write_secret_atomically(const std::filesystem::path& path, const std::string& content) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    throw ProvisionError("cannot create the secrets directory " + path.parent_path().string() +
                         ": " + ec.message());
  }
  std::string tmp = path.string() + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());  // mode 0600
  if (fd < 0) {
    throw ProvisionError("cannot create a secret in " + path.parent_path().string() + ": " +
                         std::strerror(errno));
  }
  try {
    ::fchmod(fd, S_IRUSR | S_IWUSR);
    write_all(fd, content);
    if (::fsync(fd) != 0) throw ProvisionError("cannot fsync a secret");
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw ProvisionError("cannot write the secret " + path.string() + ": " + why);
  }
  const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
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

bool exists(pqxx::nontransaction& tx, const char* sql, const std::string& name) {
  return !tx.exec(sql, pqxx::params{name}).empty();
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

PostgresProvisioner::PostgresProvisioner(PostgresProvisionerConfig config)
    : config_(std::move(config)) {}

TargetSettings PostgresProvisioner::target() const {
  return {config_.target_url, config_.connect_timeout, config_.statement_timeout};
}

void PostgresProvisioner::test_pause(Interrupt& interrupt) const {
  if (config_.test_delay.count() > 0) InterruptWakeup(interrupt).wait_for(config_.test_delay);
}

ProvisionResult PostgresProvisioner::provision(const schema::DatabaseRecord& record,
                                               Interrupt& interrupt) {
  const std::string name = role_name_for(record);  // validates before any SQL
  const std::string secret_name = secret_name_for(record);
  const auto path = secret_path(config_.secrets_dir, secret_name);

  TargetConnection target(this->target(), interrupt);
  pqxx::nontransaction tx(target.conn());

  // The secret is written before the role gets its password, and an existing one is reused:
  // a crash between the two leaves a secret the next attempt makes true.
  const auto password = existing_password(path, name).value_or(random_password());
  const nlohmann::json secret = {{"host", target.host()},
                                 {"port", target.port()},
                                 {"dbname", name},
                                 {"user", name},
                                 {"password", password}};
  write_secret_atomically(path, secret.dump(2) + "\n");

  bool role_exists = false;
  target.run("looking up role " + name,
             [&] { role_exists = exists(tx, "SELECT 1 FROM pg_roles WHERE rolname = $1", name); });
  // A password cannot be a bind parameter here: quoted, and never in an error text.
  target.run((role_exists ? "setting the password of role " : "creating role ") + name,
             [&] {
               tx.exec((role_exists ? "ALTER ROLE " : "CREATE ROLE ") + tx.quote_name(name) +
                       " WITH LOGIN PASSWORD " + tx.quote(password));
             },
             Secrecy::credential);
  test_pause(interrupt);
  bool db_exists = false;
  target.run("looking up database " + name,
             [&] { db_exists = exists(tx, "SELECT 1 FROM pg_database WHERE datname = $1", name); });
  if (!db_exists) {
    target.run("creating database " + name, [&] {
      tx.exec("CREATE DATABASE " + tx.quote_name(name) + " OWNER " + tx.quote_name(name));
    });
  }
  target.run("revoking public access to database " + name, [&] {
    tx.exec("REVOKE CONNECT, TEMPORARY ON DATABASE " + tx.quote_name(name) + " FROM PUBLIC");
  });
  return schema::ConnectionDetails{target.host(), target.port(), secret_name};
}

void PostgresProvisioner::deprovision(const schema::DatabaseRecord& record, Interrupt& interrupt) {
  const std::string name = role_name_for(record);
  const auto path = secret_path(config_.secrets_dir, secret_name_for(record));

  TargetConnection target(this->target(), interrupt);
  pqxx::nontransaction tx(target.conn());
  test_pause(interrupt);
  target.run("ending sessions of database " + name, [&] {
    tx.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_backend_pid()",
        pqxx::params{name});
  });
  target.run("dropping database " + name,
             [&] { tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name) + " WITH (FORCE)"); });
  target.run("dropping role " + name,
             [&] { tx.exec("DROP ROLE IF EXISTS " + tx.quote_name(name)); });
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (ec) throw ProvisionError("cannot remove the secret " + path.string() + ": " + ec.message());
}

}  // namespace daap::worker::provisioners
