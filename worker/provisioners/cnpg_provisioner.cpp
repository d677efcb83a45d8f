#include "worker/provisioners/cnpg_provisioner.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <utility>
#include <vector>

#include "schema/database_record.h"

namespace daap::worker::provisioners {
namespace {

constexpr const char* kApiVersion = "postgresql.cnpg.io/v1";
constexpr const char* kHealthy = "Cluster in healthy state";
constexpr const char* kFieldManager = "daap-worker";

struct Output {
  int status = -1;
  std::string out;
  std::string err;
};

std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

// Owns a pipe's two ends.
struct Pipe {
  std::array<int, 2> fd{-1, -1};
  Pipe() {
    if (::pipe2(fd.data(), O_CLOEXEC) != 0) throw ProvisionError("cannot create a pipe");
  }
  ~Pipe() { close_all(); }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
  void close_all() {
    close_end(0);
    close_end(1);
  }
};

// Runs argv (PATH lookup) with `input` on stdin; collects stdout and stderr.
Output run(const std::vector<std::string>& args, const std::string& input) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  Pipe in, out, err;
  const pid_t pid = ::fork();
  if (pid < 0) throw ProvisionError("cannot start " + args[0]);
  if (pid == 0) {
    ::dup2(in.fd[0], 0);
    ::dup2(out.fd[1], 1);
    ::dup2(err.fd[1], 2);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  in.close_end(0);
  out.close_end(1);
  err.close_end(1);
  // Manifests are far below a pipe's buffer. A child that exits early gives EPIPE: daap-worker
  // ignores SIGPIPE (main.cpp), and the exit status says what went wrong.
  std::size_t done = 0;
  while (done < input.size()) {
    const auto n = ::write(in.fd[1], input.data() + done, input.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    done += static_cast<std::size_t>(n);
  }
  in.close_end(1);
  Output result;
  std::array<pollfd, 2> fds{pollfd{out.fd[0], POLLIN, 0}, pollfd{err.fd[0], POLLIN, 0}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  int open = 2;
  std::array<char, 4096> buffer{};
  while (open > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const auto n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n > 0) {
        sinks[i]->append(buffer.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

Output kubectl(const std::string& binary, std::vector<std::string> args,
               const std::string& input = "") {
  args.insert(args.begin(), binary);
  auto result = run(args, input);
  if (result.status == 127) {
    throw ProvisionError("cannot run " + binary + " (is it installed and on PATH?)");
  }
  if (result.status != 0) {
    throw ProvisionError("kubectl " + args[1] + " failed (exit " + std::to_string(result.status) +
                         "): " + first_line(result.err));
  }
  return result;
}

nlohmann::json get(const std::string& binary, const std::string& resource, const std::string& name,
                   const std::string& namespace_name) {
  const auto result =
      kubectl(binary, {"get", resource, name, "--namespace", namespace_name, "-o", "json"});
  auto j = nlohmann::json::parse(result.out, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw ProvisionError("kubectl get " + resource + " " + name + " printed no JSON object");
  }
  return j;
}

nlohmann::json labels(const schema::DatabaseRecord& record) {
  return {{"app.kubernetes.io/managed-by", "daap-worker"}, {"daap.io/database-id", record.id}};
}

}  // namespace

nlohmann::json render_manifests(const schema::DatabaseRecord& record,
                                const CnpgProvisionerConfig& config) {
  schema::validate_name(record.name);
  schema::validate_namespace(record.namespace_name);
  schema::validate_name(record.cluster_name);
  schema::validate_name(record.pooler_name);
  nlohmann::json cluster = {
      {"apiVersion", kApiVersion},
      {"kind", "Cluster"},
      {"metadata",
       {{"name", record.cluster_name},
        {"namespace", record.namespace_name},
        {"labels", labels(record)}}},
      {"spec",
       {{"instances", config.instances},
        {"storage", {{"size", config.storage_size}}},
        {"bootstrap", {{"initdb", {{"database", "app"}, {"owner", "app"}}}}}}}};
  if (!config.image.empty()) cluster["spec"]["imageName"] = config.image;
  const nlohmann::json pooler = {{"apiVersion", kApiVersion},
                                 {"kind", "Pooler"},
                                 {"metadata",
                                  {{"name", record.pooler_name},
                                   {"namespace", record.namespace_name},
                                   {"labels", labels(record)}}},
                                 {"spec",
                                  {{"cluster", {{"name", record.cluster_name}}},
                                   {"instances", 1},
                                   {"type", "rw"},
                                   {"pgbouncer", {{"poolMode", "transaction"}}}}}};
  return {{"apiVersion", "v1"}, {"kind", "List"}, {"items", {cluster, pooler}}};
}

CnpgProvisioner::CnpgProvisioner(CnpgProvisionerConfig config) : config_(std::move(config)) {}

ProvisionResult CnpgProvisioner::provision(const schema::DatabaseRecord& record,
                                              Interrupt& /*interrupt*/) {
  const auto manifests = render_manifests(record, config_);
  kubectl(
      config_.kubectl,
      {"apply", "--server-side", "--force-conflicts", "--field-manager", kFieldManager, "-f", "-"},
      manifests.dump());
  const auto cluster = get(config_.kubectl, "clusters.postgresql.cnpg.io", record.cluster_name,
                           record.namespace_name);
  const auto status = cluster.value("status", nlohmann::json::object());
  if (status.value("phase", "") != kHealthy ||
      status.value("readyInstances", 0) < config_.instances) {
    return std::nullopt;
  }
  const auto pooler =
      get(config_.kubectl, "poolers.postgresql.cnpg.io", record.pooler_name, record.namespace_name);
  if (pooler.value("status", nlohmann::json::object()).value("instances", 0) < 1) {
    return std::nullopt;
  }
  return schema::ConnectionDetails{record.pooler_name + "." + record.namespace_name + ".svc", 5432,
                                   record.cluster_name + "-app"};
}

void CnpgProvisioner::deprovision(const schema::DatabaseRecord& record,
                                       Interrupt& /*interrupt*/) {
  schema::validate_name(record.cluster_name);
  schema::validate_name(record.pooler_name);
  schema::validate_namespace(record.namespace_name);
  kubectl(config_.kubectl, {"delete", "--namespace", record.namespace_name, "--ignore-not-found",
                            "poolers.postgresql.cnpg.io/" + record.pooler_name,
                            "clusters.postgresql.cnpg.io/" + record.cluster_name});
}

}  // namespace daap::worker::provisioners
