#include "worker/provisioners/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "worker/logging.h"
#include "worker/provisioners/provisioner.h"

namespace daap::worker::provisioners {
namespace {

constexpr mode_t kDirMode = S_IRWXU;  // 0700

void write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw ProvisionError(std::string("cannot write a secret: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
}

std::string octal(mode_t mode) {
  char out[8];
  std::snprintf(out, sizeof out, "%04o", static_cast<unsigned>(mode & 07777));
  return out;
}

}  // namespace

void create_secrets_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return;
  // Parents as the umask makes them; the directory itself 0700 whatever the umask.
  if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), kDirMode) != 0 && errno != EEXIST) {
    throw ProvisionError("cannot create the secrets directory " + dir.string() + ": " +
                         std::strerror(errno) + " (check SECRETS_DIR)");
  }
}

void check_secrets_dir(const std::filesystem::path& dir) {
  try {
    create_secrets_dir(dir);
  } catch (const ProvisionError& e) {
    log(spdlog::level::warn, "secrets directory unusable: provisioning will fail until it is",
        {{"error", e.what()}});
    return;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    log(spdlog::level::warn,
        "secrets directory is open to group or others: every tenant's password is in it; "
        "run chmod 700 on it",
        {{"secrets_dir", dir.string()}, {"mode", octal(st.st_mode)}});
  }
}

std::filesystem::path secret_path(const std::filesystem::path& dir,
                                  const std::string& secret_name) {
  return dir / (secret_name + ".json");
}

std::optional<std::string> read_secret_password(const std::filesystem::path& path,
                                                const std::string& user) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || j.value("user", "") != user) return std::nullopt;
  const auto it = j.find("password");
  if (it == j.end() || !it->is_string() || it->get<std::string>().empty()) return std::nullopt;
  return it->get<std::string>();
}

void write_secret(const std::filesystem::path& path, const std::string& content) {
  create_secrets_dir(path.parent_path());
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

void remove_secret(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (ec) throw ProvisionError("cannot remove the secret " + path.string() + ": " + ec.message());
}

}  // namespace daap::worker::provisioners
