"""Network and server faults for the simulator, injected through the reference client's
fault hook: no signal, lost answers, requests delivered twice or late, and the server killed
in the middle of a request (then started afresh)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from sync.client.client import Send


@dataclass(slots=True)
class FaultCounts:
    refused: int = 0  # never reached the server
    dropped: int = 0  # the server committed, the answer was lost
    duplicated: int = 0  # the same request delivered twice at once
    delayed: int = 0  # held back, so requests of different devices overtake each other
    killed: int = 0  # the server died mid-request (no answer) and was started again
    server_errors: int = 0  # answers with a 5xx status: the server failed a request


@dataclass(frozen=True, slots=True)
class FaultRates:
    refused: float = 0.03
    dropped: float = 0.06
    duplicated: float = 0.05
    delayed: float = 0.25
    killed: float = 0.01
    max_delay_s: float = 0.03


class FaultInjector:
    """Wraps every request of one device; ``enabled`` is switched off for the final sync.

    ``restart``, where given, starts a fresh server (new process state, same database) after
    a request was killed midway; without it no request is killed.
    """

    def __init__(
        self, rng: random.Random, counts: FaultCounts, rates: FaultRates,
        restart: Callable[[], None] | None = None,
    ) -> None:
        self.rng = rng
        self.counts = counts
        self.rates = rates
        self.restart = restart
        self.enabled = True

    async def __call__(self, request: httpx.Request, send: Send) -> httpx.Response:
        response = await self._deliver(request, send)
        if response.status_code >= 500:
            self.counts.server_errors += 1
        return response

    async def _kill(self, request: httpx.Request, send: Send) -> httpx.Response:
        """Like kill -9 of the server while it handles the request: the request is cut off
        wherever it is (before, during or after its commit) and the device hears nothing."""
        assert self.restart is not None
        self.counts.killed += 1
        task = asyncio.ensure_future(send(request))
        await asyncio.sleep(self.rng.uniform(0, self.rates.max_delay_s))
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        self.restart()
        raise httpx.RemoteProtocolError("simulated: the server was killed", request=request)

    async def _deliver(self, request: httpx.Request, send: Send) -> httpx.Response:
        if not self.enabled:
            return await send(request)
        if self.restart is not None and self.rng.random() < self.rates.killed:
            return await self._kill(request, send)
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
