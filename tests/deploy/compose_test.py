#!/usr/bin/env python3
"""compose.yaml, validated offline: Debian's docker-compose (v1) `config -q` accepts it, and
the normalised file has the stack the README promises (postgres, one-shot migrate, two
scalable workers started after migrate succeeded, healthcheck on /healthz; the web console
only in its profile, on the host's loopback, its token from the environment)."""
import os
import signal
import socket
import subprocess
import time
import unittest

import deploy_checks as dc

yaml = dc.require_yaml()
COMPOSE = dc.require_tool("DOCKER_COMPOSE", "docker-compose", "docker-compose")
ROOT = dc.source_root()
FILE = os.path.join(ROOT, "compose.yaml")
# postgres:16-alpine's default.
POSTGRES_MAX_CONNECTIONS = 100
# The scale documented in compose.yaml and docs/operations.md.
DOCUMENTED_SCALE = 5


class ComposeFile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(FILE) as f:
            cls.raw = yaml.safe_load(f)
        cls.config = yaml.safe_load(dc.run([COMPOSE, "-f", FILE, "config"], cwd=ROOT))
        cls.services = cls.config["services"]

    def test_config_quiet_accepts_it(self):
        dc.run([COMPOSE, "-f", FILE, "config", "-q"], cwd=ROOT)

    def test_has_no_top_level_name_which_compose_v1_rejects(self):
        self.assertNotIn("name", self.raw)

    def test_has_exactly_the_three_services_and_the_optional_console(self):
        self.assertEqual(set(self.services), {"postgres", "migrate", "worker", "console"})

    def test_plain_up_starts_everything_but_the_console_which_has_a_profile(self):
        for name, service in self.services.items():
            self.assertEqual(service.get("profiles"), ["console"] if name == "console" else None,
                             name)

    def test_console_publishes_its_port_on_the_host_loopback_only(self):
        c = self.services["console"]
        self.assertTrue(c["ports"])
        for port in c["ports"]:
            host_ip = port.get("host_ip") if isinstance(port, dict) else port.split(":")[0]
            self.assertEqual(host_ip, "127.0.0.1", port)
        addr = c["command"][c["command"].index("--addr") + 1]
        self.assertEqual(c["command"][:2], ["daapctl", "console"])
        published = c["ports"][0]
        target = published["target"] if isinstance(published, dict) else \
            published.split("/")[0].rsplit(":", 1)[1]
        self.assertEqual(addr, f"0.0.0.0:{target}")

    def test_console_token_comes_from_the_environment_never_from_the_file(self):
        self.assertIsNone(self.raw["services"]["console"]["environment"]["CONSOLE_TOKEN"],
                          "CONSOLE_TOKEN is passed through from compose's environment")
        env = dict(os.environ, CONSOLE_TOKEN="from-the-environment")
        result = subprocess.run([COMPOSE, "-f", FILE, "config"], cwd=ROOT, env=env,
                                capture_output=True, text=True, check=True)
        config = yaml.safe_load(result.stdout)
        self.assertEqual(config["services"]["console"]["environment"]["CONSOLE_TOKEN"],
                         "from-the-environment")

    def test_console_runs_the_worker_image_after_migrate_completed(self):
        c = self.services["console"]
        self.assertEqual(c["image"], self.services["worker"]["image"])
        self.assertEqual(c["depends_on"]["migrate"]["condition"], "service_completed_successfully")
        self.assertIn("@postgres:5432/daap", c["environment"]["DATABASE_URL"])

    def test_postgres_is_the_adr_database(self):
        pg = self.services["postgres"]
        self.assertEqual(pg["image"], "postgres:16-alpine")
        self.assertEqual(pg["environment"],
                         {"POSTGRES_USER": "daap", "POSTGRES_PASSWORD": "daap", "POSTGRES_DB": "daap"})
        self.assertIn("pg_isready", " ".join(pg["healthcheck"]["test"]))

    def test_migrate_runs_once_after_postgres_is_healthy(self):
        m = self.services["migrate"]
        self.assertEqual(m["command"], ["daapctl", "migrate", "up"])
        self.assertEqual(m["depends_on"]["postgres"]["condition"], "service_healthy")
        self.assertEqual(m.get("restart", "no"), "no")
        self.assertIn("@postgres:5432/daap", m["environment"]["DATABASE_URL"])

    def test_worker_starts_only_after_migrate_completed_successfully(self):
        w = self.services["worker"]
        self.assertEqual(w["depends_on"]["migrate"]["condition"], "service_completed_successfully")
        self.assertEqual(w["command"], ["daap-worker"])
        self.assertIn("@postgres:5432/daap", w["environment"]["DATABASE_URL"])

    def test_worker_and_migrate_share_the_image(self):
        self.assertEqual(self.services["worker"]["image"], self.services["migrate"]["image"])
        self.assertTrue(self.services["worker"].get("build"))

    def test_worker_runs_two_replicas_and_scales_without_port_clashes(self):
        w = self.services["worker"]
        self.assertEqual(w["deploy"]["replicas"], 2)
        for port in w.get("ports", []):
            published = port.get("published") if isinstance(port, dict) else None
            self.assertIsNone(published, f"a fixed host port breaks --scale: {port}")
        self.assertNotIn("container_name", w)

    def test_worker_healthcheck_asks_healthz_on_the_http_port(self):
        w = self.services["worker"]
        test = " ".join(w["healthcheck"]["test"])
        port = w["environment"]["HTTP_ADDR"].rsplit(":", 1)[1]
        self.assertIn("/healthz", test)
        self.assertIn(f"/{port}", test)

    def test_worker_healthcheck_command_passes_against_a_real_worker(self):
        build_root = os.environ.get("DAAP_BUILD_ROOT")
        url = os.environ.get("DATABASE_URL")
        self.assertTrue(build_root, "DAAP_BUILD_ROOT is not set (run through meson test)")
        self.assertTrue(url, "DATABASE_URL is not set (run through scripts/test or with-postgres)")
        w = self.services["worker"]
        command = w["healthcheck"]["test"]
        self.assertEqual(command[:3], ["CMD", "bash", "-c"])
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        script = command[3].replace("/" + w["environment"]["HTTP_ADDR"].rsplit(":", 1)[1],
                                    f"/{port}")
        env = dict(os.environ, DATABASE_URL=url, HTTP_ADDR=f"127.0.0.1:{port}",
                   QUEUES="compose-healthcheck-test", LOG_LEVEL="warn")
        worker = subprocess.Popen([os.path.join(build_root, "worker/daap_worker/daap-worker")],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline, healthy = time.monotonic() + 20, False
            while not healthy and time.monotonic() < deadline and worker.poll() is None:
                healthy = subprocess.run(["bash", "-c", script]).returncode == 0
                time.sleep(0.1)
            self.assertTrue(healthy, f"healthcheck never passed: {script}")
            broken = script.replace("/healthz", "/no-such-path")
            self.assertNotEqual(subprocess.run(["bash", "-c", broken]).returncode, 0)
        finally:
            worker.send_signal(signal.SIGTERM)
            self.assertEqual(worker.wait(timeout=30), 0)

    def test_console_healthcheck_command_passes_against_a_real_console(self):
        build_root = os.environ.get("DAAP_BUILD_ROOT")
        url = os.environ.get("DATABASE_URL")
        self.assertTrue(build_root, "DAAP_BUILD_ROOT is not set (run through meson test)")
        self.assertTrue(url, "DATABASE_URL is not set (run through scripts/test or with-postgres)")
        c = self.services["console"]
        command = c["healthcheck"]["test"]
        self.assertEqual(command[:3], ["CMD", "bash", "-c"])
        container_port = c["command"][c["command"].index("--addr") + 1].rsplit(":", 1)[1]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        script = command[3].replace(f"/{container_port}", f"/{port}")
        # With a token, as in the container: /healthz must answer without the login.
        env = dict(os.environ, DATABASE_URL=url, CONSOLE_TOKEN="compose-healthcheck-test")
        console = subprocess.Popen(
            [os.path.join(build_root, "worker/daapctl/daapctl"), "console",
             "--addr", f"127.0.0.1:{port}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline, healthy = time.monotonic() + 20, False
            while not healthy and time.monotonic() < deadline and console.poll() is None:
                healthy = subprocess.run(["bash", "-c", script]).returncode == 0
                time.sleep(0.1)
            self.assertTrue(healthy, f"healthcheck never passed: {script}")
            broken = script.replace("/healthz", "/no-such-path")
            self.assertNotEqual(subprocess.run(["bash", "-c", broken]).returncode, 0)
        finally:
            console.send_signal(signal.SIGTERM)
            self.assertEqual(console.wait(timeout=30), 0)

    def test_stop_grace_period_exceeds_the_shutdown_timeout(self):
        w = self.services["worker"]
        self.assertGreater(dc.seconds(w["stop_grace_period"]),
                           dc.seconds(w["environment"]["SHUTDOWN_TIMEOUT"]))

    def test_pool_holds_concurrency_plus_five_and_the_documented_scale_fits(self):
        env = self.services["worker"]["environment"]
        max_conns = int(env["DB_MAX_CONNS"])
        self.assertGreaterEqual(max_conns, int(env["CONCURRENCY"]) + 5)
        # Each replica also keeps a LISTEN connection outside its pool; leave 10 for daapctl,
        # psql and superuser_reserved_connections.
        self.assertLessEqual(DOCUMENTED_SCALE * (max_conns + 1) + 10, POSTGRES_MAX_CONNECTIONS)

    def test_scaling_is_documented(self):
        with open(FILE) as f:
            self.assertIn(f"--scale worker={DOCUMENTED_SCALE}", f.read())


if __name__ == "__main__":
    dc.main()
