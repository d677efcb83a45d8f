#!/usr/bin/env python3
"""Writes deploy/kubernetes/monitoring/prometheusrule.yaml from deploy/monitoring/daap-rules.yaml
(the rules file is the source; tests/deploy/monitoring_test.py fails when the two differ).
Run it after changing the rules: deploy/monitoring/generate_prometheusrule.py"""
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = os.path.join(HERE, "daap-rules.yaml")
OUTPUT = os.path.join(HERE, "..", "kubernetes", "monitoring", "prometheusrule.yaml")

HEADER = """\
# Generated from deploy/monitoring/daap-rules.yaml by deploy/monitoring/generate_prometheusrule.py:
# edit the rules file and run the script, never this file.
"""


def render():
    with open(RULES) as f:
        rules = yaml.safe_load(f)
    rule = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": "daap-worker",
            "labels": {"app.kubernetes.io/name": "daap-worker"},
        },
        "spec": {"groups": rules["groups"]},
    }
    return HEADER + yaml.safe_dump(rule, sort_keys=False, width=100)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--stdout":
        sys.stdout.write(render())
    else:
        with open(OUTPUT, "w") as f:
            f.write(render())
