#!/usr/bin/env python3
"""No two GoogleTest binaries share a suite name: the JUnit log (and CI's count) and
--gtest_filter patterns would mix their cases. Lists every gtest test of this build (from
meson's introspection) with --gtest_list_tests."""
import json
import os
import subprocess
import sys


def main():
    build = os.environ["DAAP_BUILD_ROOT"]
    with open(os.path.join(build, "meson-info", "intro-tests.json")) as f:
        tests = [t for t in json.load(f) if t["protocol"] == "gtest"]
    owners = {}  # suite -> test names
    for t in tests:
        listing = subprocess.run(t["cmd"] + ["--gtest_list_tests"], capture_output=True,
                                 text=True, check=True).stdout
        for line in listing.splitlines():
            # "Suite." lines, each followed by its indented cases (gtest_main prints a
            # "Running main() ..." line first).
            if line.endswith(".") and not line.startswith(" "):
                owners.setdefault(line[:-1], set()).add(t["name"])
    shared = {s: sorted(n) for s, n in owners.items() if len(n) > 1}
    for suite, names in sorted(shared.items()):
        print(f"suite {suite} is in several test binaries: {', '.join(names)}; rename one")
    print(f"{len(owners)} suites in {len(tests)} GoogleTest binaries")
    return 1 if shared or not tests else 0


if __name__ == "__main__":
    sys.exit(main())
