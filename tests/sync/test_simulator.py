"""The simulator at a small size: devices with faults converge, nothing lost or doubled."""

from __future__ import annotations

import pytest

from sync.simulate import simulate
from tests.sync.conftest import World


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 29])
async def test_devices_with_faults_converge_on_the_server(world: World, seed: int) -> None:
    summary = await simulate(world.engine, world.settings, devices=16, mutations=20, seed=seed,
                             stations=2, progress=False)
    print(summary.render())
    assert summary.ok, summary.divergent
    assert summary.outcomes["applied"] > 80
    faults = summary.injected
    assert faults.dropped and faults.duplicated and faults.delayed and faults.killed
    assert faults.server_errors == 0
    assert summary.codes["invalid_request"] > 0  # malformed mutations were refused alone
