"""Network faults for the simulator, injected through the reference client's fault hook."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

import httpx

from sync.client.client import Send


@dataclass(slots=True)
class FaultCounts:
    refused: int = 0  # never reached the server
    dropped: int = 0  # the server committed, the answer was lost
    duplicated: int = 0  # the same request delivered twice at once
    delayed: int = 0  # held back, so requests of different devices overtake each other


@dataclass(frozen=True, slots=True)
class FaultRates:
    refused: float = 0.03
    dropped: float = 0.06
    duplicated: float = 0.05
    delayed: float = 0.25
    max_delay_s: float = 0.03


class FaultInjector:
    """Wraps every request of one device; ``enabled`` is switched off for the final sync."""

    def __init__(self, rng: random.Random, counts: FaultCounts, rates: FaultRates) -> None:
        self.rng = rng
        self.counts = counts
        self.rates = rates
        self.enabled = True

    async def __call__(self, request: httpx.Request, send: Send) -> httpx.Response:
        if not self.enabled:
            return await send(request)
        r, rates = self.rng.random(), self.rates
        if self.rng.random() < rates.delayed:
            self.counts.delayed += 1
            await asyncio.sleep(self.rng.uniform(0, rates.max_delay_s))
        if r < rates.refused:
            self.counts.refused += 1
            raise httpx.ConnectError("simulated: no signal", request=request)
        r -= rates.refused
        if r < rates.dropped:
            self.counts.dropped += 1
            await send(request)
            raise httpx.ReadError("simulated: the answer was lost", request=request)
        r -= rates.dropped
        if r < rates.duplicated:
            self.counts.duplicated += 1
            first, second = await asyncio.gather(send(request), send(request))
            return second if self.rng.random() < 0.5 else first
        return await send(request)
