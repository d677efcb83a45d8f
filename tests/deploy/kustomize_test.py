#!/usr/bin/env python3
"""deploy/kubernetes, validated offline: `kubectl kustomize` renders it (Debian 12's kubectl
1.20 as well as newer ones) and the rendered objects are the deployment the runbook
describes; so is the optional console (deploy/kubernetes/console). Set KUBECTL to choose the
kubectl binary."""
import os
import unittest

import deploy_checks as dc

yaml = dc.require_yaml()
KUBECTL = dc.require_tool("KUBECTL", "kubectl", "kubernetes-client")
ROOT = dc.source_root()
DIR = os.path.join(ROOT, "deploy", "kubernetes")
CONSOLE_DIR = os.path.join(DIR, "console")

# What the cnpg provisioner does (server-side apply, wait, delete, read <cluster>-app).
CNPG_VERBS = {"get", "list", "watch", "create", "patch", "delete"}


def pod_spec(obj):
    return obj["spec"]["template"]["spec"]


def container(obj):
    containers = pod_spec(obj)["containers"]
    assert len(containers) == 1, f"{obj['kind']} should have one container"
    return containers[0]


def env_from_secret(c, name):
    for e in c.get("env", []):
        if e["name"] == name:
            return e.get("valueFrom", {}).get("secretKeyRef")
    return None


def render(directory):
    """The objects `kubectl kustomize directory` renders, by kind."""
    by_kind = {}
    for o in yaml.safe_load_all(dc.run([KUBECTL, "kustomize", directory])):
        if o:
            by_kind.setdefault(o["kind"], []).append(o)
    return by_kind


def selector_labels(test, obj):
    """The labels obj's selector requires; fails the test when it selects nothing in
    particular (an empty selector matches every pod) or uses expressions these checks do not
    read."""
    selector = obj["spec"].get("selector") or {}
    test.assertNotIn("matchExpressions", selector, f"{obj['kind']}: only matchLabels is checked")
    labels = selector.get("matchLabels") or {}
    test.assertTrue(labels, f"{obj['kind']} has an empty selector: it would match every pod")
    return labels


class RenderedKustomization(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        rendered = dc.run([KUBECTL, "kustomize", DIR])
        cls.objects = [o for o in yaml.safe_load_all(rendered) if o]
        cls.by_kind = {}
        for o in cls.objects:
            cls.by_kind.setdefault(o["kind"], []).append(o)

    def one(self, kind):
        objs = self.by_kind.get(kind, [])
        self.assertEqual(len(objs), 1, f"expected exactly one {kind}, got {len(objs)}")
        return objs[0]

    def config(self):
        return self.one("ConfigMap")["data"]

    def test_renders_exactly_the_expected_kinds(self):
        self.assertEqual(sorted(o["kind"] for o in self.objects),
                         sorted(["ConfigMap", "Deployment", "Job", "PodDisruptionBudget", "Role",
                                 "RoleBinding", "ServiceAccount"]))

    def test_everything_lives_in_one_namespace(self):
        namespaces = {o["metadata"].get("namespace") for o in self.objects}
        self.assertEqual(len(namespaces), 1, namespaces)
        self.assertNotIn(None, namespaces)

    def test_no_secret_and_no_cluster_wide_rbac_is_rendered(self):
        for kind in ("Secret", "ClusterRole", "ClusterRoleBinding"):
            self.assertNotIn(kind, self.by_kind)

    def test_deployment_probes_healthz_for_liveness_and_readyz_for_readiness(self):
        c = container(self.one("Deployment"))
        self.assertEqual(c["livenessProbe"]["httpGet"]["path"], "/healthz")
        self.assertEqual(c["readinessProbe"]["httpGet"]["path"], "/readyz")
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        http_port = int(self.config()["HTTP_ADDR"].rsplit(":", 1)[1])
        for probe in ("livenessProbe", "readinessProbe"):
            port = c[probe]["httpGet"]["port"]
            self.assertEqual(ports.get(port, port), http_port)

    def test_grace_period_exceeds_the_shutdown_timeout(self):
        grace = pod_spec(self.one("Deployment"))["terminationGracePeriodSeconds"]
        self.assertGreater(grace, dc.seconds(self.config()["SHUTDOWN_TIMEOUT"]))

    def test_containers_request_cpu_and_memory(self):
        for kind in ("Deployment", "Job"):
            requests = container(self.one(kind))["resources"]["requests"]
            self.assertIn("cpu", requests, kind)
            self.assertIn("memory", requests, kind)

    def test_settings_come_from_the_rendered_configmap(self):
        c = container(self.one("Deployment"))
        refs = [e["configMapRef"]["name"] for e in c.get("envFrom", []) if "configMapRef" in e]
        self.assertEqual(refs, [self.one("ConfigMap")["metadata"]["name"]])

    def test_pool_holds_concurrency_plus_five(self):
        cfg = self.config()
        self.assertGreaterEqual(int(cfg["DB_MAX_CONNS"]), int(cfg["CONCURRENCY"]) + 5)
        self.assertEqual(cfg["PROVISIONER"], "cnpg")

    def test_database_url_comes_from_the_same_secret_for_worker_and_migration(self):
        worker = env_from_secret(container(self.one("Deployment")), "DATABASE_URL")
        migrate = env_from_secret(container(self.one("Job")), "DATABASE_URL")
        self.assertIsNotNone(worker)
        self.assertEqual(worker, migrate)
        with open(os.path.join(DIR, "secret.example.yaml")) as f:
            example = yaml.safe_load(f)
        self.assertEqual(example["kind"], "Secret")
        self.assertEqual(example["metadata"]["name"], worker["name"])
        url = example["stringData"][worker["key"]]
        self.assertIn("CHANGE_ME", url, "the example must hold a placeholder, never a password")

    def test_migration_job_runs_migrate_up_with_the_worker_image(self):
        job = self.one("Job")
        c = container(job)
        self.assertEqual(c.get("command", []) + c.get("args", []), ["daapctl", "migrate", "up"])
        self.assertIn(pod_spec(job)["restartPolicy"], ("Never", "OnFailure"))
        self.assertEqual(c["image"], container(self.one("Deployment"))["image"])

    def test_worker_runs_daap_worker_as_non_root_with_its_service_account(self):
        d = self.one("Deployment")
        spec = pod_spec(d)
        self.assertEqual(container(d).get("command", []) + container(d).get("args", []),
                         ["daap-worker"])
        self.assertEqual(spec["serviceAccountName"], self.one("ServiceAccount")["metadata"]["name"])
        self.assertTrue(spec["securityContext"]["runAsNonRoot"])
        self.assertNotEqual(spec["securityContext"].get("runAsUser"), 0)

    def test_deployment_selector_matches_its_pods(self):
        d = self.one("Deployment")
        labels = d["spec"]["template"]["metadata"]["labels"]
        for k, v in selector_labels(self, d).items():
            self.assertEqual(labels.get(k), v)

    def test_role_allows_exactly_what_the_cnpg_provisioner_does(self):
        rules = self.one("Role")["rules"]
        seen = {}
        for rule in rules:
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    self.assertNotIn("*", rule["verbs"])
                    self.assertNotIn("resourceNames", rule)
                    seen[(group, resource)] = set(rule["verbs"])
        self.assertEqual(seen, {
            ("postgresql.cnpg.io", "clusters"): CNPG_VERBS,
            ("postgresql.cnpg.io", "poolers"): CNPG_VERBS,
            ("", "secrets"): {"get"},
        })

    def test_rolebinding_grants_the_role_to_the_worker_service_account(self):
        rb, role, sa = self.one("RoleBinding"), self.one("Role"), self.one("ServiceAccount")
        self.assertEqual(rb["roleRef"], {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                         "name": role["metadata"]["name"]})
        self.assertEqual(rb["subjects"], [{"kind": "ServiceAccount",
                                           "name": sa["metadata"]["name"],
                                           "namespace": sa["metadata"]["namespace"]}])

    def test_pdb_covers_the_worker_pods_and_leaves_some_running(self):
        pdb, d = self.one("PodDisruptionBudget"), self.one("Deployment")
        self.assertEqual(pdb["apiVersion"], "policy/v1")
        labels = d["spec"]["template"]["metadata"]["labels"]
        for k, v in selector_labels(self, pdb).items():
            self.assertEqual(labels.get(k), v)
        replicas = d["spec"]["replicas"]
        if "maxUnavailable" in pdb["spec"]:
            self.assertLess(pdb["spec"]["maxUnavailable"], replicas)
        else:
            self.assertLess(0, pdb["spec"]["minAvailable"])
            self.assertLess(pdb["spec"]["minAvailable"], replicas)


class RenderedConsole(unittest.TestCase):
    """deploy/kubernetes/console: the optional console, applied apart from the worker."""

    @classmethod
    def setUpClass(cls):
        cls.by_kind = render(CONSOLE_DIR)
        cls.worker = render(DIR)

    def one(self, kind, by_kind=None):
        objs = (by_kind or self.by_kind).get(kind, [])
        self.assertEqual(len(objs), 1, f"expected exactly one {kind}, got {len(objs)}")
        return objs[0]

    def test_renders_only_a_deployment_and_a_cluster_ip_service(self):
        self.assertEqual(sorted(self.by_kind), ["Deployment", "Service"])
        self.assertEqual(self.one("Service")["spec"].get("type", "ClusterIP"), "ClusterIP")
        for kind in ("Ingress", "Secret"):
            self.assertNotIn(kind, self.by_kind)

    def test_is_optional_the_worker_kustomization_has_no_console(self):
        for kind, objs in self.worker.items():
            for o in objs:
                self.assertNotIn("console", o["metadata"]["name"], kind)

    def test_lives_in_the_worker_namespace_and_runs_the_worker_image(self):
        d, w = self.one("Deployment"), self.one("Deployment", self.worker)
        self.assertEqual(d["metadata"]["namespace"], w["metadata"]["namespace"])
        self.assertEqual(self.one("Service")["metadata"]["namespace"], w["metadata"]["namespace"])
        self.assertEqual(container(d)["image"], container(w)["image"])

    def test_runs_daapctl_console_on_a_non_loopback_address_with_a_token_from_a_secret(self):
        c = container(self.one("Deployment"))
        args = c.get("command", []) + c.get("args", [])
        self.assertEqual(args[:2], ["daapctl", "console"])
        addr = args[args.index("--addr") + 1]
        self.assertEqual(addr.rsplit(":", 1)[0], "0.0.0.0")
        self.assertEqual(int(addr.rsplit(":", 1)[1]), c["ports"][0]["containerPort"])
        self.assertNotIn("--read-only", args)
        token = env_from_secret(c, "CONSOLE_TOKEN")
        self.assertIsNotNone(token, "CONSOLE_TOKEN must come from a Secret")
        with open(os.path.join(CONSOLE_DIR, "secret.example.yaml")) as f:
            example = yaml.safe_load(f)
        self.assertEqual((example["kind"], example["metadata"]["name"]), ("Secret", token["name"]))
        self.assertEqual(example["stringData"][token["key"]], "CHANGE_ME")

    def test_reads_the_database_url_from_the_worker_secret(self):
        self.assertEqual(env_from_secret(container(self.one("Deployment")), "DATABASE_URL"),
                         env_from_secret(container(self.one("Deployment", self.worker)), "DATABASE_URL"))

    def test_runs_non_root_on_a_read_only_root_filesystem_like_the_worker(self):
        d, w = self.one("Deployment"), self.one("Deployment", self.worker)
        self.assertEqual(pod_spec(d)["securityContext"], pod_spec(w)["securityContext"])
        self.assertEqual(container(d)["securityContext"], container(w)["securityContext"])
        self.assertTrue(container(d)["securityContext"]["readOnlyRootFilesystem"])
        self.assertFalse(pod_spec(d).get("automountServiceAccountToken", True),
                         "the console never talks to the Kubernetes API")

    def test_probes_healthz_and_requests_cpu_and_memory(self):
        c = container(self.one("Deployment"))
        for probe in ("livenessProbe", "readinessProbe"):
            self.assertEqual(c[probe]["httpGet"]["path"], "/healthz")
            self.assertEqual(c[probe]["httpGet"]["port"], c["ports"][0]["name"])
        self.assertIn("cpu", c["resources"]["requests"])
        self.assertIn("memory", c["resources"]["requests"])

    def test_service_selects_the_console_pods_and_not_the_workers(self):
        d, w, svc = self.one("Deployment"), self.one("Deployment", self.worker), self.one("Service")
        selector = svc["spec"]["selector"]
        self.assertTrue(selector)
        console_labels = d["spec"]["template"]["metadata"]["labels"]
        worker_labels = w["spec"]["template"]["metadata"]["labels"]
        self.assertTrue(all(console_labels.get(k) == v for k, v in selector.items()))
        self.assertFalse(all(worker_labels.get(k) == v for k, v in selector.items()))
        self.assertFalse(all(console_labels.get(k) == v
                             for k, v in selector_labels(self, w).items()),
                         "the worker Deployment would adopt the console's pods")
        port = svc["spec"]["ports"][0]
        self.assertEqual(port["targetPort"], container(d)["ports"][0]["name"])


if __name__ == "__main__":
    dc.main()
