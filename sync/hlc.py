"""Hybrid logical clock (HLC) for ordering edits from devices with unreliable clocks.

Field devices go offline for days and their wall clocks drift or get reset, so plain
timestamps cannot order concurrent edits. An HLC stays close to wall-clock time (so values
remain meaningful to humans) yet never goes backwards and always moves past any timestamp
it has seen, which is what last-writer-wins merging needs.

Wire form: ``<15-digit ms>-<5-digit counter>``; the fixed width makes string order equal
to ``(ms, counter)`` order, so servers can compare and index HLCs as plain text.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

MS_DIGITS = 15
COUNTER_DIGITS = 5
MAX_MS = 10**MS_DIGITS - 1
MAX_COUNTER = 10**COUNTER_DIGITS - 1
HLC_PATTERN = r"^\d{15}-\d{5}$"
_HLC_RE = re.compile(HLC_PATTERN)

WallClock = Callable[[], int]


def system_ms() -> int:
    """Default wall clock: Unix time in milliseconds."""
    return time.time_ns() // 1_000_000


class ClockDriftError(ValueError):
    """A remote HLC is further ahead of our wall clock than we are willing to adopt.

    Adopting it would drag every later local timestamp into the future, letting one
    device with a broken clock win every future conflict.
    """


@dataclass(frozen=True, order=True, slots=True)
class HLC:
    """One HLC value; field order makes dataclass ordering equal to wire-string ordering."""

    ms: int
    counter: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.ms <= MAX_MS:
            raise ValueError(f"HLC physical part out of range: {self.ms}")
        if not 0 <= self.counter <= MAX_COUNTER:
            raise ValueError(f"HLC counter out of range: {self.counter}")

    @classmethod
    def parse(cls, s: str) -> HLC:
        """Parse the wire form, rejecting anything that would break string ordering."""
        if not isinstance(s, str) or not _HLC_RE.match(s):
            raise ValueError(f"malformed HLC: {s!r}")
        ms, counter = s.split("-")
        return cls(int(ms), int(counter))

    def format(self) -> str:
        return f"{self.ms:0{MS_DIGITS}d}-{self.counter:0{COUNTER_DIGITS}d}"

    def __str__(self) -> str:
        return self.format()

    def successor(self) -> HLC:
        """Smallest HLC strictly greater than this one.

        A full counter spills into the physical part instead of producing a 6-digit
        counter, which would silently break string ordering.
        """
        if self.counter < MAX_COUNTER:
            return HLC(self.ms, self.counter + 1)
        return HLC(self.ms + 1, 0)


def hlc_to_ms(s: str) -> int:
    """Physical part of an HLC string, e.g. to show "edited at" or measure drift (the
    pattern fixes its 15 digits, so it is in range; a push asks this of every mutation)."""
    if not isinstance(s, str) or not _HLC_RE.match(s):
        raise ValueError(f"malformed HLC: {s!r}")
    return int(s[:MS_DIGITS])


def compare_hlc(
    a_hlc: str, a_device: str | uuid.UUID, b_hlc: str, b_device: str | uuid.UUID
) -> int:
    """Total order over (hlc, device) pairs: -1, 0 or 1.

    Two devices can produce the same HLC; breaking the tie by device id (as a string)
    makes every replica pick the same winner without coordination.
    """
    a = (HLC.parse(a_hlc), str(a_device))
    b = (HLC.parse(b_hlc), str(b_device))
    return (a > b) - (a < b)


class HybridClock:
    """Issues monotonic HLCs for one node (device or server).

    The wall clock is injectable so tests and the simulator can model skewed, stalled or
    backwards-jumping clocks. A lock keeps ``now``/``observe`` atomic if the server calls
    them from worker threads.
    """

    def __init__(
        self,
        wall: WallClock = system_ms,
        *,
        last: str | HLC | None = None,
        max_drift_ms: int | None = None,
    ) -> None:
        self._wall = wall
        self._offset_ms = 0  # set by ``correct`` when the server says our wall clock is wrong
        self._last = HLC.parse(last) if isinstance(last, str) else (last or HLC(0, 0))
        self._max_drift_ms = max_drift_ms
        self._lock = threading.Lock()

    def _read_wall(self) -> int:
        return self._wall() + self._offset_ms

    def wall_ms(self) -> int:
        """The wall clock as corrected so far: what a device stamps its recorded times with."""
        return self._read_wall()

    @property
    def offset_ms(self) -> int:
        """The correction added to the wall clock (persist it with the clock's last value)."""
        return self._offset_ms

    @property
    def last(self) -> HLC:
        """Most recent value issued or observed (persist it to survive restarts)."""
        return self._last

    def now(self) -> str:
        """Timestamp a local event: wall time if it moved forward, else bump the counter."""
        with self._lock:
            pt = self._read_wall()
            if pt > self._last.ms:
                self._last = HLC(min(pt, MAX_MS), 0)
            else:
                self._last = self._last.successor()
            return self._last.format()

    def observe(self, remote_hlc: str) -> str:
        """Merge a received HLC so our next timestamp sorts after everything we've seen.

        Returns the updated clock value (which itself counts as an event).
        """
        remote = HLC.parse(remote_hlc)
        with self._lock:
            pt = self._read_wall()
            if self._max_drift_ms is not None and remote.ms - pt > self._max_drift_ms:
                raise ClockDriftError(
                    f"remote HLC {remote_hlc} is {remote.ms - pt} ms ahead of the wall clock"
                )
            last = self._last
            ms = max(last.ms, remote.ms, pt)
            if ms == last.ms and ms == remote.ms:
                nxt = HLC(ms, max(last.counter, remote.counter)).successor()
            elif ms == last.ms:
                nxt = last.successor()
            elif ms == remote.ms:
                nxt = remote.successor()
            else:
                nxt = HLC(min(ms, MAX_MS), 0)
            self._last = nxt
            return nxt.format()

    def shift(self, delta_ms: int, server_hlc: str, tolerance_ms: int = 1000) -> None:
        """Move the wall clock by ``delta_ms`` (either way), measured against the server's time
        after it refused our clock (``clock_skew`` or ``clock_behind``).

        A clock that was ahead also restarts from ``server_hlc``, as in ``correct``: the values
        above it were refused, and the device gives its queued mutations new ones. A clock that
        was behind keeps its last value, and observing ``server_hlc`` moves it forward.
        """
        remote = HLC.parse(server_hlc)
        with self._lock:
            self._offset_ms += delta_ms
            if self._last.ms - remote.ms > tolerance_ms:
                self._last = remote

    def correct(self, server_hlc: str, tolerance_ms: int = 1000) -> bool:
        """Adopt the server's time after it refused our HLCs as too far ahead (clock_skew).

        When our wall clock (or our last HLC) is more than ``tolerance_ms`` ahead of
        ``server_hlc``, the wall clock gets the offset that brings it to the server's and
        the clock restarts from ``server_hlc``: the values above it were refused, never
        stored, so going back to it cannot reorder anything the server kept. Returns whether
        anything changed.
        """
        remote = HLC.parse(server_hlc)
        with self._lock:
            pt = self._read_wall()
            changed = False
            if pt - remote.ms > tolerance_ms:
                self._offset_ms += remote.ms - pt
                changed = True
            if self._last.ms - remote.ms > tolerance_ms:
                self._last = remote
                changed = True
            return changed
