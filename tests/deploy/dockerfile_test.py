#!/usr/bin/env python3
"""The Dockerfile, validated offline (no Docker engine here; the image is not built):
its stages and runtime settings are checked, and its build stage's packaging step is run
against this build tree's binaries, then the runtime stage's COPY lines are replayed into a
scratch root: the binaries land on PATH, MIGRATIONS_DIR holds the migrations, and every
runtime package it names is a real Debian package (or one a package provides)."""
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import unittest

import deploy_checks as dc

ROOT = dc.source_root()
BUILD_ROOT = os.environ.get("DAAP_BUILD_ROOT")
DOCKERFILE = os.path.join(ROOT, "Dockerfile")
DOCKERIGNORE = os.path.join(ROOT, ".dockerignore")
for tool, package in (("dpkg-shlibdeps", "dpkg-dev"), ("dpkg-query", "dpkg"),
                      ("strip", "binutils")):
    dc.require_tool(None, tool, package)


def instructions(text):
    """(instruction, arguments) pairs; continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        lines.append(current)
        current = ""
    out = []
    for line in lines:
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def stages(text):
    """{stage name: [(instruction, arguments)]} plus the final stage's name and global ARGs."""
    args, result, order, name = {}, {}, [], None
    for ins, rest in instructions(text):
        if ins == "FROM":
            parts = rest.split()
            image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), parts[0])
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else str(len(order))
            result[name] = [("FROM", image)]
            order.append(name)
        elif name is None and ins == "ARG":
            key, _, value = rest.partition("=")
            args[key] = value
        elif name is not None:
            result[name].append((ins, rest))
    return result, order[-1]


def env_of(stage):
    env = {}
    for ins, rest in stage:
        if ins == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def pattern_regex(pattern):
    """A .dockerignore pattern as a regex (Go's filepath.Match plus `**`)."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def ignored(path, patterns):
    """Whether .dockerignore's patterns exclude `path` (or a folder above it); last match wins."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        regex = pattern_regex(os.path.normpath(pattern.lstrip("!").strip("/")))
        if any(regex.match(p) for p in prefixes):
            excluded = not negate
    return excluded


class Dockerfile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(DOCKERFILE) as f:
            cls.text = f.read()
        cls.stages, cls.final = stages(cls.text)
        cls.runtime = cls.stages[cls.final]

    def build_stage(self):
        for name, stage in self.stages.items():
            if any(ins == "RUN" and "scripts/setup" in rest for ins, rest in stage):
                return name, stage
        self.fail("no stage runs scripts/setup")

    def test_builds_on_debian_12_with_the_projects_setup_script(self):
        name, stage = self.build_stage()
        self.assertNotEqual(name, self.final, "the build must not be the runtime stage")
        self.assertRegex(stage[0][1], r"^debian:12(\b|-)")
        self.assertIn(("COPY", ". ."), stage)

    def test_runtime_is_slim_debian_12_and_not_the_build_stage(self):
        self.assertRegex(self.runtime[0][1], r"^debian:12-slim$")

    def test_runtime_runs_as_a_numeric_non_root_user(self):
        users = [rest for ins, rest in self.runtime if ins == "USER"]
        self.assertTrue(users, "no USER in the runtime stage")
        uid = users[-1].split(":")[0]
        self.assertTrue(uid.isdigit(), "numeric, so Kubernetes' runAsNonRoot can check it")
        self.assertNotEqual(int(uid), 0)

    def test_default_command_is_the_worker(self):
        cmd = [rest for ins, rest in self.runtime if ins == "CMD"]
        self.assertTrue(cmd, "no CMD in the runtime stage")
        self.assertEqual(json.loads(cmd[-1]), ["daap-worker"])

    def test_runtime_exposes_the_http_port(self):
        env = env_of(self.runtime)
        port = env["HTTP_ADDR"].rsplit(":", 1)[1]
        self.assertIn(("EXPOSE", port), self.runtime)

    def test_dockerignore_keeps_build_outputs_out_and_sources_in(self):
        with open(DOCKERIGNORE) as f:
            patterns = [line.strip() for line in f if line.strip() and not line.startswith("#")]
        for path in (".git/config", "build/build.ninja", "build-f/x", "subprojects/libpqxx/CMakeLists.txt"):
            self.assertTrue(ignored(path, patterns), f"{path} should be ignored")
        for path in ("meson.build", "scripts/setup", "scripts/fetch-libpqxx", "scripts/embed_sql.py",
                     "migrations/001_create_databases_table.up.sql", "tests/meson.build",
                     "worker/meson.build", "queue/meson.build", "schema/meson.build",
                     "migrate/meson.build", "bench/meson.build"):
            self.assertFalse(ignored(path, patterns), f"{path} is needed by the build")
        # Everything meson reads must be in the context.
        for dirpath, dirnames, filenames in os.walk(ROOT):
            rel = os.path.relpath(dirpath, ROOT)
            dirnames[:] = [d for d in dirnames
                           if not ignored(os.path.normpath(os.path.join(rel, d)), patterns)]
            if "meson.build" in filenames:
                self.assertFalse(ignored(os.path.normpath(os.path.join(rel, "meson.build")), patterns))

    def test_packaging_step_and_runtime_copies_give_a_working_layout(self):
        self.assertTrue(BUILD_ROOT, "DAAP_BUILD_ROOT is not set (run through meson test)")
        _, build = self.build_stage()
        run = next(rest for ins, rest in build if ins == "RUN" and "scripts/setup" in rest)
        with tempfile.TemporaryDirectory(prefix="daap-dockerfile-") as tmp:
            # The build stage's step, with this tree's build standing in for scripts/setup's.
            script = run.replace("scripts/setup", "true")
            script = re.sub(r"(?<![\w./-])build/", BUILD_ROOT.rstrip("/") + "/", script)
            script = re.sub(r"(?<![\w./-])/(out|tmp/shlibs)\b", lambda m: f"{tmp}/{m.group(1)}",
                            script)
            result = subprocess.run(["sh", "-ec", script], cwd=ROOT, capture_output=True, text=True)
            self.assertEqual(result.returncode, 0, f"{script}\n{result.stderr}")

            # The runtime stage's COPY --from=build lines, into a scratch root.
            rootfs = os.path.join(tmp, "rootfs")
            copies = [shlex.split(rest) for ins, rest in self.runtime
                      if ins == "COPY" and rest.startswith("--from=build ")]
            self.assertTrue(copies)
            for _, src, dst in copies:
                src_path = os.path.join(tmp, src.lstrip("/"))
                dst_path = os.path.join(rootfs, dst.lstrip("/"))
                if os.path.isdir(src_path):
                    shutil.copytree(src_path, dst_path, dirs_exist_ok=True)
                else:
                    os.makedirs(os.path.dirname(dst_path), exist_ok=True)
                    shutil.copy2(src_path, dst_path)

            for binary in ("daap-worker", "daapctl"):
                path = os.path.join(rootfs, "usr/local/bin", binary)
                self.assertTrue(os.access(path, os.X_OK), f"{binary} not on the image's PATH")
                out = subprocess.run([path, "--help"], capture_output=True, text=True)
                self.assertEqual(out.returncode, 0, out.stderr)
            migrations_dir = os.path.join(rootfs, env_of(self.runtime)["MIGRATIONS_DIR"].lstrip("/"))
            expected = sorted(f for f in os.listdir(os.path.join(ROOT, "migrations"))
                              if f.endswith(".sql"))
            self.assertEqual(sorted(os.listdir(migrations_dir)), expected)

            packages_file = next((os.path.join(tmp, p.lstrip("/")) for _, p, _ in copies
                                  if "runtime-packages" in p), None)
            self.assertIsNotNone(packages_file, "the runtime stage does not take the package list")
            with open(packages_file) as f:
                packages = [line.strip() for line in f if line.strip()]
            for library in ("libpq5", "libstdc++6"):
                self.assertIn(library, packages)
            known = set()
            listing = dc.run(["dpkg-query", "-W", "-f", "${Package}\n${Provides}\n"])
            for line in listing.splitlines():
                for item in line.split(","):
                    name = item.strip().split(" ")[0]
                    if name:
                        known.add(name)
            for package in packages:
                self.assertIn(package, known, f"{package} is no installed package nor provided by one")


if __name__ == "__main__":
    dc.main()
