// The cnpg provisioner without a Kubernetes cluster (none runs on these machines): rendered
// manifests validated against the CloudNativePG CRD schemas, and kubectl played by a stand-in
// first on PATH that records its arguments and input and replays status documents.
#include "worker/provisioners/cnpg_provisioner.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "schema/errors.h"

namespace daap::worker::provisioners {
namespace {

namespace fs = std::filesystem;

schema::DatabaseRecord orders() {
  schema::DatabaseRecord r;
  r.id = "3f1c7c2e-8d6b-4b55-9d3c-2c4a3e1b9f00";
  r.name = "orders";
  r.namespace_name = "shop";
  r.cluster_name = "orders";
  r.pooler_name = "orders-pooler";
  return r;
}

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

constexpr const char* kStandIn = R"(#!/bin/sh
echo "$*" >> "$STANDIN_DIR/args.log"
if [ -f "$STANDIN_DIR/fail" ]; then cat "$STANDIN_DIR/fail" >&2; exit 1; fi
if [ -f "$STANDIN_DIR/hang" ]; then
  if [ -f "$STANDIN_DIR/ignore-term" ]; then
    trap '' TERM
  else
    trap 'echo > "$STANDIN_DIR/got-term"; exit 143' TERM
  fi
  sleep 1000 &
  echo $! > "$STANDIN_DIR/child.pid"
  echo $$ > "$STANDIN_DIR/kubectl.pid"
  wait
fi
case "$1" in
  apply) cat > "$STANDIN_DIR/applied.json" ;;
  get) case "$*" in
         *secret/*) cat "$STANDIN_DIR/secret.txt" 2>/dev/null || true ;;
         *--all-namespaces*) cat "$STANDIN_DIR/labelled.json" 2>/dev/null || echo '{"items": []}' ;;
         *--ignore-not-found*) cat "$STANDIN_DIR/existing.json" 2>/dev/null || true ;;
         *clusters.*) cat "$STANDIN_DIR/cluster.json" ;;
         *poolers.*) cat "$STANDIN_DIR/pooler.json" ;;
       esac ;;
esac
)";

class CnpgProvisionerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = (fs::temp_directory_path() / "daap-kubectl-XXXXXX").string();
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    write(dir_ / "kubectl", kStandIn);
    fs::permissions(dir_ / "kubectl", fs::perms::owner_all);
    const char* path = std::getenv("PATH");
    old_path_ = path != nullptr ? path : "";
    ::setenv("PATH", (dir_.string() + ":" + old_path_).c_str(), 1);
    ::setenv("STANDIN_DIR", dir_.c_str(), 1);
  }
  void TearDown() override {
    ::setenv("PATH", old_path_.c_str(), 1);
    fs::remove_all(dir_);
  }
  void cluster_status(const std::string& phase, int ready) {
    write(dir_ / "cluster.json",
          nlohmann::json{{"status", {{"phase", phase}, {"readyInstances", ready}}}}.dump());
    write(dir_ / "pooler.json", R"({"status": {"instances": 1}})");
  }
  std::string args() { return read(dir_ / "args.log"); }

  fs::path dir_;
  std::string old_path_;
  CnpgProvisioner provisioner_{CnpgProvisionerConfig{}};
  daap::worker::Interrupt interrupt_;
};

// Whether process `pid` has ended (gone, or a zombie nobody reaped yet).
bool ended(const fs::path& pid_file) {
  const auto pid = read(pid_file);
  const auto stat = read(fs::path("/proc") / pid.substr(0, pid.find('\n')) / "stat");
  if (stat.empty()) return true;
  const auto state = stat.find(") ");
  return state != std::string::npos && stat[state + 2] == 'Z';
}

bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

TEST(CnpgManifests, ValidateAgainstTheCloudNativePgCrds) {
  const char* source = std::getenv("DAAP_SOURCE_ROOT");
  ASSERT_NE(source, nullptr) << "DAAP_SOURCE_ROOT is not set (run through meson test)";
  // CloudNativePG 1.30's schemas, kept in the repository (tests/data/cnpg-crds/README.md).
  const fs::path crds = fs::path(source) / "tests" / "data" / "cnpg-crds";
  ASSERT_TRUE(fs::exists(crds / "postgresql.cnpg.io_clusters.yaml"))
      << "no CloudNativePG CRD schemas at " << crds;
  // Non-default settings, so what they render (instances, storage, imageName) is validated too.
  const CnpgProvisionerConfig config{"kubectl", 3, "20Gi",
                                     "ghcr.io/cloudnative-pg/postgresql:16.4"};
  const auto manifests = render_manifests(orders(), config);
  const auto file = fs::temp_directory_path() / ("daap-cnpg-" + std::to_string(::getpid()));
  write(file, manifests.dump());
  const std::string cmd = "python3 '" + std::string(source) +
                          "/tests/lifecycle/validate_cnpg.py' '" + crds.string() + "' '" +
                          file.string() + "'";
  const int status = std::system(cmd.c_str());
  fs::remove(file);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);

  const auto& cluster = manifests["items"][0];
  EXPECT_EQ(cluster["spec"]["instances"], 3);
  EXPECT_EQ(cluster["spec"]["storage"]["size"], "20Gi");
  EXPECT_EQ(cluster["spec"]["imageName"], "ghcr.io/cloudnative-pg/postgresql:16.4");
  EXPECT_FALSE(
      render_manifests(orders(), CnpgProvisionerConfig{})["items"][0]["spec"].contains("imageName"))
      << "no image configured leaves the operator's default";
  const auto& pooler = manifests["items"][1];
  EXPECT_EQ(pooler["spec"]["pgbouncer"]["poolMode"], "transaction");
  EXPECT_EQ(pooler["spec"]["cluster"]["name"], "orders");
  EXPECT_EQ(manifests["items"][0]["metadata"]["namespace"], "shop");
}

TEST(CnpgManifests, ABadNameIsRejectedBeforeAnythingIsRendered) {
  auto record = orders();
  record.name = "Orders; rm -rf /";
  EXPECT_THROW(render_manifests(record, CnpgProvisionerConfig{}), schema::InvalidInput);
}

TEST_F(CnpgProvisionerTest, AppliesServerSideThenWaitsUntilTheClusterIsHealthy) {
  cluster_status("Setting up primary", 0);
  EXPECT_FALSE(provisioner_.provision(orders(), interrupt_).has_value());
  EXPECT_NE(args().find("apply --request-timeout=30s --server-side"), std::string::npos) << args();
  const auto applied = nlohmann::json::parse(read(dir_ / "applied.json"));
  EXPECT_EQ(applied["items"][0]["kind"], "Cluster");
  EXPECT_EQ(applied["items"][1]["kind"], "Pooler");

  cluster_status("Cluster in healthy state", 1);
  const auto details = provisioner_.provision(orders(), interrupt_);
  ASSERT_TRUE(details.has_value());
  EXPECT_EQ(details->host, "orders-pooler.shop.svc");
  EXPECT_EQ(details->port, 5432);
  EXPECT_EQ(details->secret_name, "orders-app");
}

TEST_F(CnpgProvisionerTest, DeprovisionDeletesThePoolerAndTheCluster) {
  provisioner_.deprovision(orders(), interrupt_);
  EXPECT_NE(args().find("delete --request-timeout=30s --namespace shop --ignore-not-found "
                        "poolers.postgresql.cnpg.io/orders-pooler "
                        "clusters.postgresql.cnpg.io/orders"),
            std::string::npos)
      << args();
}

TEST_F(CnpgProvisionerTest, AKubectlFailureIsAProvisionErrorWithItsMessage) {
  write(dir_ / "fail", "error: clusters is forbidden\n");
  try {
    provisioner_.provision(orders(), interrupt_);
    FAIL() << "expected a ProvisionError";
  } catch (const ProvisionError& e) {
    EXPECT_EQ(std::string(e.what()), "kubectl get failed (exit 1): error: clusters is forbidden");
  }
}

TEST_F(CnpgProvisionerTest, EveryKubectlCallHasTheRequestTimeout) {
  CnpgProvisionerConfig config;
  config.request_timeout = std::chrono::seconds(45);
  CnpgProvisioner provisioner(config);
  cluster_status("Cluster in healthy state", 1);
  ASSERT_TRUE(provisioner.provision(orders(), interrupt_).has_value());
  provisioner.deprovision(orders(), interrupt_);
  std::istringstream calls(args());
  int n = 0;
  for (std::string call; std::getline(calls, call); ++n) {
    EXPECT_NE(call.find(" --request-timeout=45s"), std::string::npos) << call;
  }
  EXPECT_GE(n, 4);
}

// A kubectl that never returns (an API server that does not answer, a stuck credential
// plugin): the interrupt ends it and whatever it started. The step runs on a thread that
// blocks SIGTERM, as every daap-worker thread does.
class HungKubectlTest : public CnpgProvisionerTest {
 protected:
  void SetUp() override {
    CnpgProvisionerTest::SetUp();
    write(dir_ / "hang", "");
  }
  void TearDown() override {
    interrupt_.fire(InterruptReason::shutdown);  // whatever happened, the step ends
    if (result_.valid() &&
        result_.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      for (const auto* file : {"kubectl.pid", "child.pid"}) {  // it did not: end it here
        const auto pid = std::atoi(read(dir_ / file).c_str());
        if (pid > 0) ::kill(pid, SIGKILL);
      }
    }
    if (result_.valid()) result_.wait();
    CnpgProvisionerTest::TearDown();
  }
  void start() {
    result_ = std::async(std::launch::async, [this] {
      sigset_t term;
      sigemptyset(&term);
      sigaddset(&term, SIGTERM);
      pthread_sigmask(SIG_BLOCK, &term, nullptr);
      provisioner_.provision(orders(), interrupt_);
    });
  }
  std::string error() {
    try {
      result_.get();
    } catch (const ProvisionError& e) {
      return e.what();
    }
    return "no error";
  }
  std::future<void> result_;
};

TEST_F(HungKubectlTest, IsTerminatedWithWhatItStartedWhenTheInterruptFires) {
  start();
  ASSERT_TRUE(eventually([&] { return fs::exists(dir_ / "kubectl.pid"); })) << args();
  interrupt_.fire(InterruptReason::cancel);
  ASSERT_EQ(result_.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(error(), "kubectl get: interrupted (cancel)");
  EXPECT_TRUE(fs::exists(dir_ / "got-term")) << "SIGTERM first, and not blocked in the child";
  EXPECT_TRUE(ended(dir_ / "kubectl.pid"));
  EXPECT_TRUE(eventually([&] { return ended(dir_ / "child.pid"); })) << "its own child too";
}

TEST_F(HungKubectlTest, IsKilledWhenItIgnoresSigterm) {
  write(dir_ / "ignore-term", "");
  start();
  ASSERT_TRUE(eventually([&] { return fs::exists(dir_ / "kubectl.pid"); })) << args();
  interrupt_.fire(InterruptReason::timeout);
  ASSERT_EQ(result_.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(error(), "kubectl get: interrupted (timeout)");
  EXPECT_TRUE(ended(dir_ / "kubectl.pid"));
  EXPECT_TRUE(eventually([&] { return ended(dir_ / "child.pid"); }));
}

// What the API server holds under the record's names, as `kubectl get ... -o json` prints it.
nlohmann::json object(const std::string& kind, const std::string& name,
                      const std::string& owner = "") {
  nlohmann::json o = {{"apiVersion", "postgresql.cnpg.io/v1"},
                      {"kind", kind},
                      {"metadata", {{"name", name}, {"namespace", "shop"}}}};
  if (!owner.empty()) o["metadata"]["labels"] = {{"daap.io/database-id", owner}};
  return o;
}

class CnpgOwnershipTest : public CnpgProvisionerTest {
 protected:
  void existing(const std::vector<nlohmann::json>& objects) {
    write(dir_ / "existing.json",
          nlohmann::json{{"apiVersion", "v1"}, {"kind", "List"}, {"items", objects}}.dump());
  }
  std::string conflict(const std::function<void()>& step) {
    try {
      step();
    } catch (const OwnershipConflict& e) {
      return e.what();
    }
    return "no OwnershipConflict";
  }
  bool applied() { return args().find("apply ") != std::string::npos; }
  bool deleted() { return args().find("delete ") != std::string::npos; }
  const std::string other_id_ = "0b2f8a66-1111-4c4c-8888-5d5d5d5d5d5d";
};

TEST_F(CnpgOwnershipTest, LooksUpTheRecordsObjectsBeforeApplying) {
  cluster_status("Cluster in healthy state", 1);
  ASSERT_TRUE(provisioner_.provision(orders(), interrupt_).has_value());
  const auto calls = args();
  EXPECT_EQ(
      calls.find("get --request-timeout=30s --namespace shop --ignore-not-found -o json "
                 "clusters.postgresql.cnpg.io/orders poolers.postgresql.cnpg.io/orders-pooler "
                 "clusters.postgresql.cnpg.io/orders-pooler "
                 "poolers.postgresql.cnpg.io/orders"),
      0U)
      << calls;
  // Its own objects (a retry, a snooze): applied again.
  existing(
      {object("Cluster", "orders", orders().id), object("Pooler", "orders-pooler", orders().id)});
  ASSERT_TRUE(provisioner_.provision(orders(), interrupt_).has_value());
}

TEST_F(CnpgOwnershipTest, AClusterWithoutTheRecordsLabelIsNeitherAppliedOverNorDeleted) {
  existing({object("Cluster", "orders")});
  auto error = conflict([&] { provisioner_.provision(orders(), interrupt_); });
  EXPECT_NE(error.find("Cluster shop/orders exists without the label daap.io/database-id, not "
                       "daap.io/database-id=" +
                       orders().id),
            std::string::npos)
      << error;
  EXPECT_FALSE(applied()) << args();
  error = conflict([&] { provisioner_.deprovision(orders(), interrupt_); });
  EXPECT_NE(error.find("Cluster shop/orders exists without the label"), std::string::npos) << error;
  EXPECT_FALSE(deleted()) << args();
}

TEST_F(CnpgOwnershipTest, APoolerOfAnotherRecordIsNeitherAppliedOverNorDeleted) {
  existing(
      {object("Cluster", "orders", orders().id), object("Pooler", "orders-pooler", other_id_)});
  auto error = conflict([&] { provisioner_.provision(orders(), interrupt_); });
  EXPECT_NE(
      error.find("Pooler shop/orders-pooler exists labelled daap.io/database-id=" + other_id_),
      std::string::npos)
      << error;
  EXPECT_FALSE(applied());
  EXPECT_NE(conflict([&] { provisioner_.deprovision(orders(), interrupt_); }),
            "no OwnershipConflict");
  EXPECT_FALSE(deleted());
}

TEST_F(CnpgOwnershipTest, AClusterNamedLikeThePoolerBlocksCreationNotDeletion) {
  existing({object("Cluster", "orders-pooler", other_id_)});
  const auto error = conflict([&] { provisioner_.provision(orders(), interrupt_); });
  EXPECT_NE(error.find("Cluster shop/orders-pooler exists: this record's Pooler of the same name "
                       "would share its ServiceAccount"),
            std::string::npos)
      << error;
  EXPECT_FALSE(applied());
  provisioner_.deprovision(orders(), interrupt_);  // deletes only its own
  EXPECT_TRUE(deleted());
}

TEST(CnpgManifests, AClusterAndPoolerOfTheSameNameAreRejected) {
  auto record = orders();
  record.pooler_name = record.cluster_name;
  EXPECT_THROW(render_manifests(record, CnpgProvisionerConfig{}), schema::InvalidInput);
}

TEST_F(CnpgProvisionerTest, CredentialsInAKubectlErrorAreNotRepeated) {
  write(
      dir_ / "fail",
      "Unable to connect to the server: dial tcp: lookup https://admin:hunter2@api.internal:6443: "
      "no such host\n");
  try {
    provisioner_.provision(orders(), interrupt_);
    FAIL() << "expected a ProvisionError";
  } catch (const ProvisionError& e) {
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("admin:***@api.internal"), std::string::npos) << e.what();
  }
}


// The reconciler: what it reads through kubectl, and that it changes nothing.
class CnpgReconcileTest : public CnpgOwnershipTest {
 protected:
  static nlohmann::json healthy(nlohmann::json cluster) {
    cluster["status"] = {{"phase", "Cluster in healthy state"}, {"readyInstances", 1}};
    return cluster;
  }
  ReconcileReport reconcile(const std::vector<std::string>& live = {}) {
    auto record = orders();
    record.status = schema::DatabaseStatus::ready;
    record.secret_name = "orders-app";
    return provisioner_.reconcile({record}, live, interrupt_);
  }
  bool changed_anything() {
    return args().find("apply ") != std::string::npos ||
           args().find("delete ") != std::string::npos;
  }
};

TEST_F(CnpgReconcileTest, AHealthyClusterWithItsPoolerAndSecretIsWhole) {
  existing({healthy(object("Cluster", "orders", orders().id)),
            object("Pooler", "orders-pooler", orders().id)});
  write(dir_ / "secret.txt", "secret/orders-app\n");
  const auto report = reconcile({orders().id});
  ASSERT_EQ(report.records.size(), 1U);
  EXPECT_EQ(report.records[0].problem, std::nullopt);
  EXPECT_TRUE(report.orphans.empty());
  EXPECT_NE(args().find("get --request-timeout=30s --namespace shop --ignore-not-found -o name "
                        "secret/orders-app"),
            std::string::npos)
      << args();
  EXPECT_FALSE(changed_anything());
}

TEST_F(CnpgReconcileTest, AMissingClusterAndSecretAreWhatTheRecordLacks) {
  existing({object("Pooler", "orders-pooler", orders().id)});
  const auto report = reconcile({orders().id});
  ASSERT_EQ(report.records.size(), 1U);
  EXPECT_EQ(report.records[0].problem,
            "Cluster shop/orders is missing; Secret shop/orders-app is missing");
  EXPECT_FALSE(changed_anything());
}

TEST_F(CnpgReconcileTest, AnUnhealthyOrForeignClusterIsAProblem) {
  auto cluster = object("Cluster", "orders", orders().id);
  cluster["status"] = {{"phase", "Failing over"}};
  existing({cluster, object("Pooler", "orders-pooler", other_id_)});
  write(dir_ / "secret.txt", "secret/orders-app\n");
  EXPECT_EQ(reconcile({orders().id}).records[0].problem,
            "Cluster shop/orders is not healthy (phase 'Failing over'); Pooler "
            "shop/orders-pooler is not labelled daap.io/database-id=" +
                orders().id);
}

TEST_F(CnpgReconcileTest, ALabelledClusterOfNoLiveRecordIsReportedNotDeleted) {
  existing({healthy(object("Cluster", "orders", orders().id)),
            object("Pooler", "orders-pooler", orders().id)});
  write(dir_ / "secret.txt", "secret/orders-app\n");
  write(dir_ / "labelled.json",
        nlohmann::json{{"kind", "List"},
                       {"items",
                        {object("Cluster", "orders", orders().id),
                         object("Cluster", "old", other_id_),
                         object("Pooler", "old-pooler", other_id_)}}}
            .dump());
  const auto report = reconcile({orders().id});
  ASSERT_EQ(report.orphans.size(), 2U);
  EXPECT_EQ(report.orphans[0].object, "Cluster shop/old");
  EXPECT_EQ(report.orphans[0].database_id, other_id_);
  EXPECT_EQ(report.orphans[1].object, "Pooler shop/old-pooler");
  EXPECT_NE(args().find("get --request-timeout=30s clusters.postgresql.cnpg.io,"
                        "poolers.postgresql.cnpg.io --all-namespaces -l daap.io/database-id -o "
                        "json"),
            std::string::npos)
      << args();
  EXPECT_FALSE(changed_anything());
}

}  // namespace
}  // namespace daap::worker::provisioners
