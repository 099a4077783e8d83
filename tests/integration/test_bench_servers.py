"""The bench's server processes behind one address (bench/reuseport.py) run as `api.cli run`
does, so the benches that use them (scale, couch, surge) measure the server operators run."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bench.scale_out import servers


def test_each_process_behind_one_address_runs_on_uvloop_and_answers(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They ran on the standard library's event loop (asyncio.run of uvicorn's serve), which
    cost them about a fifth more CPU per push than the single server the push bench measures,
    and made the couch bench compare the peer with a slower server than ours."""
    monkeypatch.setenv("FIELDOPS_DATA_DIR", str(tmp_path))
    with servers(database_url, 2) as (base, pids):
        for pid in pids:
            assert "uvloop/loop." in Path(f"/proc/{pid}/maps").read_text(), pid
        assert httpx.get(f"{base}/health", timeout=10).status_code == 200
