#!/usr/bin/env python3
"""deploy/monitoring and deploy/kubernetes/monitoring, validated offline with promtool: the
rules file passes `promtool check rules`, every dashboard query parses (each is written as a
recording rule and checked the same way), the PrometheusRule is the generated copy of the
rules file and renders with `kubectl kustomize`. That every metric they use exists in a live
/metrics is checked by the process suite (WorkerHttp in tests/process/worker_http_test.cpp).
Set PROMTOOL or KUBECTL to choose the binaries."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import deploy_checks as dc

yaml = dc.require_yaml()
PROMTOOL = dc.require_tool("PROMTOOL", "promtool", "prometheus")
KUBECTL = dc.require_tool("KUBECTL", "kubectl", "kubernetes-client")
ROOT = dc.source_root()
MONITORING = os.path.join(ROOT, "deploy", "monitoring")
RULES = os.path.join(MONITORING, "daap-rules.yaml")
DASHBOARD = os.path.join(MONITORING, "daap-dashboard.json")
KUSTOMIZE_DIR = os.path.join(ROOT, "deploy", "kubernetes", "monitoring")
GENERATOR = os.path.join(MONITORING, "generate_prometheusrule.py")
LEADER_CHANGE_TEST = os.path.join(ROOT, "tests", "deploy", "leader_change_rules_test.yaml")


def dashboard_queries():
    with open(DASHBOARD) as f:
        dashboard = json.load(f)
    return [(panel["title"], target["expr"])
            for panel in dashboard["panels"] for target in panel.get("targets", [])]


def check_rules(test, path):
    result = subprocess.run([PROMTOOL, "check", "rules", path], capture_output=True, text=True)
    test.assertEqual(result.returncode, 0, result.stdout + result.stderr)
    return result.stdout


class Monitoring(unittest.TestCase):
    def test_rules_file_passes_promtool(self):
        out = check_rules(self, RULES)
        self.assertIn("SUCCESS", out)

    def test_alerts_on_leader_only_gauges_hold_across_a_leader_change(self):
        # promtool's rule unit tests: no gap resets a `for`, two leaders are not added up.
        result = subprocess.run([PROMTOOL, "test", "rules", LEADER_CHANGE_TEST],
                                capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("SUCCESS", result.stdout)

    def test_every_rule_is_an_alert_with_a_severity_and_a_summary(self):
        with open(RULES) as f:
            rules = [r for g in yaml.safe_load(f)["groups"] for r in g["rules"]]
        self.assertGreaterEqual(len(rules), 10)
        for r in rules:
            self.assertIn("alert", r)
            self.assertIn(r.get("labels", {}).get("severity"), {"warning", "critical"}, r["alert"])
            self.assertTrue(r.get("annotations", {}).get("summary"), r["alert"])

    def test_every_dashboard_query_passes_promtool(self):
        queries = dashboard_queries()
        self.assertGreaterEqual(len(queries), 10)
        rules = {"groups": [{"name": "dashboard", "rules": [
            {"record": f"dashboard:query_{i}", "expr": expr}
            for i, (_, expr) in enumerate(queries)]}]}
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            yaml.safe_dump(rules, f)
            f.flush()
            out = check_rules(self, f.name)
        self.assertIn(f"SUCCESS: {len(queries)} rules found", out)

    def test_dashboard_covers_what_operators_watch(self):
        titles = " ".join(title.lower() for title, _ in dashboard_queries())
        for topic in ["backlog", "oldest due", "throughput", "failure rate", "lost leases",
                      "saturation", "pool", "leader"]:
            self.assertIn(topic, titles)

    def test_prometheusrule_is_generated_from_the_rules_file(self):
        generated = dc.run([sys.executable, GENERATOR, "--stdout"])
        with open(os.path.join(KUSTOMIZE_DIR, "prometheusrule.yaml")) as f:
            committed = f.read()
        self.assertEqual(committed, generated,
                         "prometheusrule.yaml is stale: run deploy/monitoring/generate_prometheusrule.py")
        with open(RULES) as f:
            self.assertEqual(yaml.safe_load(committed)["spec"]["groups"],
                             yaml.safe_load(f)["groups"])

    def test_kustomization_renders_the_prometheusrule_in_the_daap_namespace(self):
        objects = [o for o in yaml.safe_load_all(dc.run([KUBECTL, "kustomize", KUSTOMIZE_DIR])) if o]
        self.assertEqual([o["kind"] for o in objects], ["PrometheusRule"])
        self.assertEqual(objects[0]["metadata"]["namespace"], "daap")
        self.assertEqual(objects[0]["apiVersion"], "monitoring.coreos.com/v1")


if __name__ == "__main__":
    dc.main()
