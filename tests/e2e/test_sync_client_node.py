"""The JavaScript sync client's own tests (tests/js/*.test.mjs) under Node's test runner,
against the live server of tests/e2e/conftest.py: they fail here when any of them fails, so
`make test` runs them. Node is Debian's (`scripts/bootstrap.sh --browser` installs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from domain.demo.operations import DEMO_PASSWORD
from tests.e2e.conftest import LiveServer

ROOT = Path(__file__).resolve().parents[2]
JS_TESTS = ROOT / "tests" / "js"


def test_sync_client_node_suite(live_server: LiveServer) -> None:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is missing: `make test` installs Debian's nodejs package")
        pytest.skip("node is missing: run `apt-get install -y nodejs` (or `make test`)")
    files = sorted(str(p) for p in JS_TESTS.glob("*.test.mjs"))
    assert files, "no Node tests found"
    env = {**os.environ, "FIELDOPS_BASE_URL": live_server.base_url,
           "FIELDOPS_DEMO_PASSWORD": DEMO_PASSWORD}
    run = subprocess.run([node, "--test", *files], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600, check=False)
    assert run.returncode == 0, f"node --test failed:\n{run.stdout[-8000:]}\n{run.stderr[-4000:]}"
