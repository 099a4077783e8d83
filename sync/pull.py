"""Serving a pull page: the device's scope in feed order, below the oldest running transaction.

The page is read in one REPEATABLE READ transaction. Only rows whose writer finished before the
snapshot (sync_txid < snapshot xmin) are returned; a transaction still running then has a txid
at or above xmin, so whatever it commits sorts after the cursor this page returns. That is why
a cursor can never step over a late commit (sync/PROTOCOL.md, "Why a pull cannot skip").
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from domain.services.devices import authenticate_device
from sync import feed
from sync.clock import ServerClock, server_time
from sync.cursor import START, Cursor, InvalidCursor, Position, scope_fingerprint
from sync.errors import BadSyncRequest, Unauthenticated
from sync.feed import FeedScope
from sync.registry import Registry
from sync.wire import Change, PullRequest, PullResponse


async def pull(
    session: AsyncSession, token: str, request: PullRequest, *, registry: Registry,
    clock: ServerClock,
) -> PullResponse:
    """One page of changes after the request's cursor (or a reset when the scope changed).

    The server clock ticks after the page is read, so the ``server_hlc`` a device observes is
    above every stamp of every row the page can contain.
    """
    await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    device = await authenticate_device(session, token)
    if device is None:
        raise Unauthenticated("unknown or revoked device token")
    if request.device_id != device.device_id:
        raise BadSyncRequest("device_id is not the device the token belongs to",
                             field="device_id")
    scope = FeedScope(unit=device.unit_path, district=device.district_path)
    fingerprint = scope_fingerprint(scope.unit, scope.district, registry.names)
    after = START
    if request.cursor is not None:
        try:
            cursor = Cursor.decode(request.cursor)
        except InvalidCursor as exc:
            raise BadSyncRequest(str(exc), field="cursor") from exc
        if cursor.fingerprint != fingerprint:
            return PullResponse(changes=[], cursor=Cursor(START, fingerprint).encode(),
                                has_more=True, server_hlc=await clock.tick(), reset=True,
                                server_time=server_time())
        after = cursor.position
    changes, last, has_more = await _page(session, registry, scope, after, request.limit)
    await session.commit()
    return PullResponse(changes=changes, cursor=Cursor(last, fingerprint).encode(),
                        has_more=has_more, server_hlc=await clock.tick(), reset=False,
                        server_time=server_time())


async def _page(
    session: AsyncSession, registry: Registry, scope: FeedScope, after: Position, limit: int
) -> tuple[list[Change], Position, bool]:
    xmin = await feed.snapshot_xmin(session)
    page = await feed.bounds(session, registry, scope, after=after, xmin=xmin, limit=limit)
    if page.upto is None:
        return [], after, False
    parts = [(spec, await feed.rows(session, spec, scope, after=after, upto=page.upto, xmin=xmin))
             for spec in page.entities]
    return feed.changes(parts), page.upto, page.has_more
