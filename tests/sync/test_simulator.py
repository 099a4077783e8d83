"""The simulator at a small size: devices with faults converge, nothing lost or doubled."""

from __future__ import annotations

import pytest

from sync.simulate import simulate
from sync.simulation.faults import FaultRates
from tests.sync.conftest import World


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 29])
async def test_devices_with_faults_converge_on_the_server(world: World, seed: int) -> None:
    """Every kind of fault strikes: the server is killed at 5% of requests, not the default
    1%. A run is a few hundred requests, their number set by the timing; at 1% a run now and
    then had no kill at all, and the test failed on that, not on the server. For the same
    reason one device in eight pushes its malformed value at a set step (sync/simulate.py)."""
    summary = await simulate(world.engine, world.settings, devices=16, mutations=20, seed=seed,
                             stations=2, progress=False, rates=FaultRates(killed=0.05))
    print(summary.render())
    assert summary.ok, summary.divergent
    assert summary.outcomes["applied"] > 80
    faults = summary.injected
    assert faults.dropped and faults.duplicated and faults.delayed and faults.killed
    assert faults.server_errors == 0
    assert summary.codes["invalid_request"] > 0  # malformed mutations were refused alone
