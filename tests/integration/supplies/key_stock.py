"""The map's key stock as the triggers keep it (migration 0019) against a fresh aggregate of
the balances and of the ledger: shared by the supplies tests (every one of them checks it
after it ran, whatever it wrote) and the sync tests (a tablet's push)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain.repositories.stock import KEY_ITEMS

Figures = dict[tuple[Any, ...], int]

_KEYS = """keys AS (SELECT id, map_key FROM catalog_item
                     WHERE map_key = ANY(CAST(:keys AS text[])) AND NOT deleted)"""
FRESH_ON_HAND = f"""WITH {_KEYS}
SELECT l.station_id, k.map_key, sum(b.qty) FROM stock_balance b
JOIN stock_location l ON l.id = b.location_id AND l.kind = 'station'
JOIN keys k ON k.id = b.item_id GROUP BY 1, 2"""
FRESH_DELTAS = f"""WITH {_KEYS}
SELECT l.station_id, k.map_key, sum(m.delta) FROM stock_movement m
JOIN stock_location l ON l.id = m.location_id AND l.kind = 'station'
JOIN keys k ON k.id = m.item_id GROUP BY 1, 2"""
FRESH_ISSUES = f"""WITH {_KEYS}
SELECT l.station_id, k.map_key, (m.occurred_at AT TIME ZONE 'UTC')::date, sum(m.quantity)
FROM stock_movement m
JOIN stock_location l ON l.id = m.location_id AND l.kind = 'station'
JOIN keys k ON k.id = m.item_id
WHERE m.kind IN ('issue', 'transfer_out') GROUP BY 1, 2, 3"""
KEPT_ON_HAND = """SELECT s.station_id, (CAST(:keys AS text[]))[n], q
FROM station_key_stock s, unnest(s.on_hand) WITH ORDINALITY AS t(q, n)"""
KEPT_ISSUES = """SELECT s.station_id, (CAST(:keys AS text[]))[n], s.day, q
FROM station_key_issues s, unnest(s.issued) WITH ORDINALITY AS t(q, n)"""


async def _figures(conn: AsyncConnection | AsyncSession, sql: str) -> Figures:
    rows = await conn.execute(text(sql), {"keys": list(KEY_ITEMS)})
    return {tuple(r[:-1]): int(r[-1]) for r in rows if r[-1]}


async def assert_key_stock_kept(conn: AsyncConnection | AsyncSession) -> None:
    """Per station and key, the kept quantity is the balances' sum (and the ledger's deltas'),
    and per station, key and UTC day the kept issues are the ledger's issues and transfers
    out; nothing kept that the ledger does not have."""
    kept = await _figures(conn, KEPT_ON_HAND)
    assert kept == await _figures(conn, FRESH_ON_HAND), "station_key_stock != stock_balance"
    assert kept == await _figures(conn, FRESH_DELTAS), "station_key_stock != the ledger"
    assert await _figures(conn, KEPT_ISSUES) == await _figures(conn, FRESH_ISSUES), (
        "station_key_issues != the ledger's issues")


async def kept_on_hand(conn: AsyncConnection | AsyncSession, station: uuid.UUID) -> dict[str, int]:
    figures = await _figures(conn, KEPT_ON_HAND)
    return {key: q for (sid, key), q in figures.items() if sid == station}


async def kept_issues(conn: AsyncConnection | AsyncSession, station: uuid.UUID
                      ) -> dict[tuple[str, date], int]:
    figures = await _figures(conn, KEPT_ISSUES)
    return {(key, day): q for (sid, key, day), q in figures.items() if sid == station}
