"""The coordinator map's station features, kept per scope between requests and re-read only
where a write touched them.

Every committed write that changes what the map shows of a station (the station, its cases,
its alerts, its stock balances) sends ``station_changed`` with the station's id (migrations
0006 and 0022), and the process's live hub hears it (api/live.py). The hub marks that station
stale in every kept scope; the next request for a scope re-reads only its stale stations,
with the statement and the rules of a full read (``station_views``), and answers the kept
features, in code order, encoded and compressed once. A change of the catalog or of a unit's
name sends ``all`` (migration 0023): the hub drops every kept scope (``forget``).

Never staler than a fresh read, up to what no notification announces:
- Before answering, the request runs a round trip on the hub's listener connection
  (``LiveHub.barrier``). PostgreSQL sends a listener every notification of the transactions
  committed before that query, ahead of its result, so every write committed before the
  request arrived has marked its stations before the kept features are read. A write the
  caller just made is in the answer.
- What changes with time alone is not announced: the week's issues leaving the consumption
  window as the clock moves (and a write by a session that turned triggers off). A scope read
  ``REFRESH_S`` ago is read whole again in the background (the request answers what is kept,
  its stale stations re-read); one read ``MAX_AGE_S`` ago is read whole before the answer.
  So those figures are never more than ``MAX_AGE_S`` late.

When the listener is down, or was down since a scope was read (notifications lost), nothing
is kept: requests read everything, as without the cache, until it is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.compression import gzipped
from api.schemas.map import StationFeature
from domain.services.map import StationView, station_views

log = logging.getLogger("fieldops.map_cache")

REFRESH_S = 20.0  # a kept scope this old is read whole again, in the background
MAX_AGE_S = 60.0  # ... and this old, before the answer: what time alone changes is this late
MAX_SCOPES = 64  # scopes kept (a city, its districts); the least recently asked go first
# Past this share of a scope's stations stale, one whole read is cheaper than the few-station
# statement (it looks each one's alerts up by index).
REREAD_ALL_SHARE = 0.25

_encoder = msgspec.json.Encoder()
_HEAD, _TAIL = b'{"type":"FeatureCollection","features":[', b"]}"

Features = dict[uuid.UUID, tuple[str, bytes]]  # station id: its code, its encoded feature


@dataclass
class _Scope:
    features: Features = field(default_factory=dict)
    stale: set[uuid.UUID] = field(default_factory=set)
    read_at: float = float("-inf")  # monotonic time the last whole read began
    body: bytes | None = None  # the answer, until a feature changes
    gzipped: bytes | None = None  # the same, compressed (api/compression.py), once asked for
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # while a background whole read runs: the stations marked since it began
    marked_in_refresh: set[uuid.UUID] | None = None


class MapCache:
    def __init__(self, session_maker: async_sessionmaker[AsyncSession]) -> None:
        self._session_maker = session_maker
        self._scopes: OrderedDict[str, _Scope] = OrderedDict()
        self._refreshes: set[asyncio.Task[None]] = set()

    def changed(self, station_ids: Iterable[uuid.UUID]) -> None:
        """Stations a committed write touched: re-read them at the next request."""
        ids = set(station_ids)
        for scope in self._scopes.values():
            scope.stale |= ids
            if scope.marked_in_refresh is not None:
                scope.marked_in_refresh |= ids

    def forget(self) -> None:
        """Keep nothing (the listener lost notifications, or is going away)."""
        self._scopes = OrderedDict()
        for task in self._refreshes:
            task.cancel()

    async def collection(self, scope_path: str, *, gzip: bool) -> tuple[bytes, bool]:
        """The scope's FeatureCollection, as encoding StationFeatureCollection would give it,
        compressed when ``gzip`` and large enough (then True). Call only after a successful
        barrier (see the module's docstring)."""
        scope = self._scopes.get(scope_path)
        if scope is None:
            # kept before it is read, so what commits during the first read marks it stale
            scope = self._scopes[scope_path] = _Scope()
            while len(self._scopes) > MAX_SCOPES:
                self._scopes.popitem(last=False)
        self._scopes.move_to_end(scope_path)
        async with scope.lock:
            now = time.monotonic()
            if (now - scope.read_at > MAX_AGE_S
                    or len(scope.stale) > REREAD_ALL_SHARE * len(scope.features)):
                scope.stale = set()
                self._replace(scope, await self._read(scope_path, None), read_at=now)
            elif scope.stale:
                ids, scope.stale = scope.stale, set()
                for station_id in ids:
                    scope.features.pop(station_id, None)  # gone from the scope, or re-read
                scope.features.update(await self._read(scope_path, ids))
                scope.body = None
            if now - scope.read_at > REFRESH_S and scope.marked_in_refresh is None:
                self._refresh_later(scope_path, scope)
            if scope.body is None:
                ordered = sorted(scope.features.values())  # by code, as the statement orders
                scope.body = _HEAD + b",".join(body for _, body in ordered) + _TAIL
                scope.gzipped = None
            if not gzip:
                return scope.body, False
            if scope.gzipped is None:
                scope.gzipped = gzipped(scope.body) or b""
            return (scope.gzipped, True) if scope.gzipped else (scope.body, False)

    def _refresh_later(self, scope_path: str, scope: _Scope) -> None:
        scope.marked_in_refresh = set()
        task = asyncio.get_running_loop().create_task(self._refresh(scope_path, scope))
        self._refreshes.add(task)
        task.add_done_callback(self._refreshes.discard)

    async def _refresh(self, scope_path: str, scope: _Scope) -> None:
        """Read the scope whole beside the requests. A station marked while it reads may have
        changed after its snapshot: it stays stale, and the next request re-reads it."""
        began = time.monotonic()
        try:
            features = await self._read(scope_path, None)
        except Exception:
            log.exception("could not refresh the map of %s", scope_path)
            scope.marked_in_refresh = None
            return
        async with scope.lock:
            marked, scope.marked_in_refresh = scope.marked_in_refresh or set(), None
            scope.stale = marked  # what the requests re-read meanwhile is older here again
            self._replace(scope, features, read_at=began)

    @staticmethod
    def _replace(scope: _Scope, features: Features, *, read_at: float) -> None:
        scope.features, scope.read_at, scope.body = features, read_at, None

    async def _read(self, scope_path: str, ids: Collection[uuid.UUID] | None) -> Features:
        async with self._session_maker() as session:
            views = await station_views(session, scope_path,
                                        ids=None if ids is None else sorted(ids))
        return _encoded(views)


def _encoded(views: list[StationView]) -> Features:
    return {v.station.id: (v.station.code, _encoder.encode(StationFeature.of(v)))
            for v in views}
