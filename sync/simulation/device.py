"""One simulated tablet: edits shared rows of its ward while going offline and online.

Edits are what station staff do in a day: readings (most of it), contact details, status
moves, new cases, the station's own details, alerts, and now and then a case entered twice
and deleted. Choices are made from the device's own replica, so a stale view produces the
conflicts and refusals a real ward would see.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from domain.models.enums import CaseStatus, Role
from domain.rules.case_status import CASE_STATUS
from sync.client import RetriesExhausted, SyncClient
from sync.hlc import HybridClock, system_ms
from sync.simulation.faults import FaultInjector
from sync.simulation.world import SimDevice
from sync.wire import MutationResult

EVERYDAY = {CaseStatus.home_monitoring, CaseStatus.needs_attention, CaseStatus.transfer_requested}


@dataclass
class Ledger:
    """What the devices were told, shared by all of them."""

    created: set[uuid.UUID] = field(default_factory=set)
    outcomes: dict[uuid.UUID, str] = field(default_factory=dict)
    codes: Counter[str] = field(default_factory=Counter)
    events: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # mutation -> observation

    def record(self, results: list[MutationResult]) -> None:
        """Keep each mutation's latest answer."""
        for r in results:
            if r.id is None:  # the simulator's own mutations always carry a readable id
                continue
            self.outcomes[r.id] = r.status
            if r.status == "rejected":
                self.codes[r.code or "?"] += 1


class SimulatedDevice:
    """``connect`` builds the device's reference client around the device's (skewed) clock."""

    def __init__(
        self, sim: SimDevice, connect: Callable[[HybridClock], SyncClient],
        faults: FaultInjector, rng: random.Random, ledger: Ledger, skew_ms: int,
    ) -> None:
        self.sim = sim
        self.faults = faults
        self.rng = rng
        self.ledger = ledger
        self.skew_ms = skew_ms
        self.online = True
        self.client = connect(HybridClock(self.wall))

    def wall(self) -> int:
        """The device's wall clock, skewed."""
        return system_ms() + self.skew_ms

    async def sync(self, limit: asyncio.Semaphore) -> None:
        """Push the outbox, then pull; transient failures leave the outbox for next time."""
        async with limit:
            try:
                results = await self.client.push()
                self.ledger.record(results)
                await self.client.pull()
            except RetriesExhausted:
                return

    async def run(self, steps: int, limit: asyncio.Semaphore, tick: Callable[[], object],
                  *, malformed_at: int | None = None) -> None:
        """Make ``steps`` edits, going offline and online and syncing now and then; edit
        ``malformed_at`` is a value the app should not have let through, whatever the dice
        say (how many draws the faults took, and so what the dice say, depends on timing)."""
        for step in range(steps):
            if self.rng.random() < 0.2:
                self.online = not self.online
            if step == malformed_at and (cases := self._cases()):
                await self._malformed(cases)
            else:
                await self.edit()
            tick()
            if self.online and self.rng.random() < 0.35:
                await self.sync(limit)
            await asyncio.sleep(self.rng.uniform(0, 0.005))

    # -- edits -----------------------------------------------------------------------------

    def _cases(self) -> list[tuple[uuid.UUID, dict[str, Any]]]:
        """The station's cases in the device's replica."""
        return [(rid, f) for (_, rid), f in self.client.store.rows("f0_case").items()
                if f.get("station_id") == str(self.sim.station.id)]

    async def _malformed(self, cases: list[tuple[uuid.UUID, dict[str, Any]]]) -> None:
        await self._mutate("f0_case", self.rng.choice(cases)[0],
                           {"vaccine_doses": self.rng.choice(["two", -1, 99])})

    async def edit(self) -> None:
        """One edit chosen the way a ward's day goes, from the device's own replica."""
        cases = self._cases()
        r = self.rng.random()
        if not cases or r < 0.05:
            await self.new_case()
        elif r < 0.50:
            await self._reading(self.rng.choice(cases)[0])
        elif r < 0.72:
            await self._contact(self.rng.choice(cases)[0])
        elif r < 0.82:
            await self._move(*self.rng.choice(cases))
        elif r < 0.88:
            await self._station()
        elif r < 0.985:
            if not await self._alert():
                await self._reading(self.rng.choice(cases)[0])
        elif r < 0.995:  # a value the app should not have let through
            await self._malformed(cases)
        else:  # a case entered twice
            await self._mutate("f0_case", self.rng.choice(cases)[0], None)

    async def _mutate(self, entity: str, row_id: uuid.UUID, fields: dict[str, Any] | None) -> None:
        if fields is None:
            m = await self.client.delete(entity, row_id)
        else:
            m = await self.client.edit(entity, row_id, fields)
        self.ledger.created.add(m.id)
        if entity == "observation":
            self.ledger.events[m.id] = row_id

    async def new_case(self) -> None:
        """Enrol a new F0 patient at the device's station."""
        born = self.rng.randint(1940, 2005)
        await self._mutate("f0_case", uuid.uuid4(), {
            "station_id": str(self.sim.station.id), "full_name": f"F0 {self.rng.randint(1, 99999)}",
            "year_of_birth": born, "sex": self.rng.choice(["female", "male"]),
            "test_date": str(date(2021, 8, self.rng.randint(1, 20))),
            "test_type": "rapid_antigen", "vaccine_doses": self.rng.randint(0, 2),
        })

    async def _reading(self, case_id: uuid.UUID) -> None:
        kind = self.rng.choice(["spo2", "spo2", "pulse", "temperature"])
        value = {
            "spo2": self.rng.choice([97.0, 98.0, 96.0, 99.0, 95.0, 93.0]),
            "pulse": float(self.rng.randint(60, 110)),
            "temperature": round(self.rng.uniform(36.2, 38.8), 1),
        }[kind]
        # Read from the client's clock, as the server has corrected it (sync/client/client.py).
        at = self.client.now() - timedelta(minutes=self.rng.randint(0, 90))
        await self._mutate("observation", uuid.uuid4(), {
            "case_id": str(case_id), "kind": kind, "value": value, "measured_at": at.isoformat(),
        })

    async def _contact(self, case_id: uuid.UUID) -> None:
        name = self.rng.choice(["phone", "address", "notes"])
        value = {
            "phone": f"09{self.rng.randint(10_000_000, 99_999_999)}",
            "address": f"{self.rng.randint(1, 300)} Hai Bà Trưng",
            "notes": self.rng.choice(["gọi lại chiều nay", "ổn định", "ho nhiều", "đã phát túi"]),
        }[name]
        await self._mutate("f0_case", case_id, {name: value})

    async def _move(self, case_id: uuid.UUID, fields: dict[str, Any]) -> None:
        current = CaseStatus(fields.get("status", CaseStatus.home_monitoring))
        targets = [t for t in CASE_STATUS.allowed_targets(current, self.sim.role)
                   if t in EVERYDAY or self.rng.random() < 0.1]
        if targets:
            await self._mutate("f0_case", case_id, {"status": self.rng.choice(targets).value})

    async def _station(self) -> None:
        if self.sim.role is not Role.station_staff:  # doctors do not run the station
            return
        await self._mutate("station", self.sim.station.id, {
            "phone": f"028{self.rng.randint(1_000_000, 9_999_999)}",
            "volunteers": self.rng.randint(2, 30),
        })

    async def _alert(self) -> bool:
        alerts = [(rid, f) for (_, rid), f in self.client.store.rows("alert").items()
                  if f.get("status") != "resolved"
                  and f.get("station_id") == str(self.sim.station.id)]
        if not alerts:
            return False
        alert_id, alert = self.rng.choice(alerts)
        if alert["status"] == "open" and self.rng.random() < 0.5:
            await self._mutate("alert", alert_id, {"status": "acknowledged"})
        else:
            await self._mutate("alert", alert_id, {"status": "resolved",
                                                   "resolution_note": "đã gọi, ổn"})
        return True
