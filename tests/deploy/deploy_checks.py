"""Shared helpers of the offline deployment checks (compose, kustomize, Dockerfile).

The checks never skip: a missing tool or module is a failure that names the Debian package.
"""
import os
import re
import shutil
import subprocess
import sys
import unittest

_DURATION_PART = re.compile(r"(\d+)(ms|h|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def require_yaml():
    try:
        import yaml  # noqa: F401 (checked here so the message names the package)
    except ImportError:
        sys.exit("FAIL: the Python module yaml is missing: install the Debian package python3-yaml")
    return yaml


def source_root():
    root = os.environ.get("DAAP_SOURCE_ROOT")
    if not root:
        root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    return root


def require_tool(env_name, name, package):
    """The path of a tool: $env_name (when given and set), else `name` on PATH; exits (a
    failure) when missing."""
    path = (os.environ.get(env_name) if env_name else None) or shutil.which(name)
    if not path or not os.access(path, os.X_OK):
        where = f"${env_name} or PATH" if env_name else "PATH"
        sys.exit(f"FAIL: {name} not found ({where}; got {path!r}): "
                 f"install the Debian package {package}")
    return path


def run(args, cwd=None):
    """Runs a command; returns its stdout, or fails with its stderr."""
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {result.returncode}:\n"
                             f"{result.stderr}{result.stdout}")
    return result.stdout


def seconds(text):
    """A duration as the worker reads it ("30s", "1h30m", "250ms", "90") in seconds."""
    text = str(text)
    if text.isdigit():
        return float(text)
    total, pos = 0.0, 0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"not a duration: {text!r}")
    return total


def main():
    """unittest's main with verbose output; exit status 0 only when every check passed."""
    unittest.main(verbosity=2)
