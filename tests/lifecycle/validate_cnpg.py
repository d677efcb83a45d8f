#!/usr/bin/env python3
"""Validates a kubectl List of CloudNativePG objects (JSON, argv[2]) against the CRDs' v1
OpenAPI schemas in the directory argv[1]. Exit 0 when every item validates."""
import glob
import json
import os
import sys

import jsonschema
import yaml


def schemas(crd_dir):
    out = {}
    for path in glob.glob(os.path.join(crd_dir, "*.yaml")):
        with open(path) as f:
            for crd in yaml.safe_load_all(f):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
                for version in crd["spec"]["versions"]:
                    api = f"{group}/{version['name']}"
                    out[(api, kind)] = version["schema"]["openAPIV3Schema"]
    return out


def main():
    crds = schemas(sys.argv[1])
    with open(sys.argv[2]) as f:
        doc = json.load(f)
    failures = 0
    for item in doc["items"]:
        key = (item["apiVersion"], item["kind"])
        if key not in crds:
            print(f"no CRD schema for {key}")
            failures += 1
            continue
        errors = list(jsonschema.Draft7Validator(crds[key]).iter_errors(item))
        for e in errors:
            print(f"{item['kind']} {item['metadata']['name']}: {'/'.join(map(str, e.path))}: "
                  f"{e.message}")
        failures += len(errors)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
