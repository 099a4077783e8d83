"""SQL of the stock ledger: balance locks, movements, discrepancies, and the stock views.

``stock_balance`` is written only by ``lock_balance`` and ``apply_delta``, inside the
transaction that inserts the movement (and rebuilt whole from the ledger after a bulk load,
domain/repositories/supply_seed.py); no endpoint edits it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta
from sqlalchemy import Select, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.supply import (
    CatalogItem,
    DiscrepancyStatus,
    ItemLot,
    LocationKind,
    MovementKind,
    StockBalance,
    StockDiscrepancy,
    StockLocation,
    StockMovement,
)
from domain.repositories.scope import in_scope, scope_sql
from domain.repositories.stock_sql import (
    COVERAGE_ALL,
    COVERAGE_PAGE,
    COVERAGE_SQL,
    STATION_STATES_SQL,
)
from domain.rules.expiry import NEAR_EXPIRY_DAYS, is_expired

# A station below its item minimum, or with less than this many days of cover, is "low".
LOW_DAYS_OF_COVER = 3
# Recent consumption (issues and transfers out) is averaged over this window.
CONSUMPTION_WINDOW_DAYS = 7
# The key supplies of the map and the dashboards, as catalog items' ``map_key`` names them:
# bags A, B and C, rapid tests, SpO2 and blood-pressure meters, oxygen cylinders (any size)
# and oxygen concentrators.
KEY_ITEMS = ("bag_a", "bag_b", "bag_c", "rapid_test", "spo2_meter", "bp_meter", "oxygen",
             "o2_concentrator")
# The planning constants, written into the SQL text of the stock views (stock_sql.py).
SQL_CONSTANTS = {"window": CONSUMPTION_WINDOW_DAYS, "low_days": LOW_DAYS_OF_COVER,
              "near_days": NEAR_EXPIRY_DAYS, "today": "(now() AT TIME ZONE 'UTC')::date"}


@dataclass(frozen=True, slots=True)
class BalanceLock:
    id: int
    qty: int
    last_count_at: datetime | None
    last_count_id: uuid.UUID | None
    last_occurred_at: datetime | None


class StockLine(msgspec.Struct, kw_only=True, frozen=True):
    """Stock on hand of one lot (or of lotless stock) of one item at one location; the API
    answers it as it is."""

    location_id: uuid.UUID
    location_code: str
    location_name: str
    location_kind: LocationKind
    item_id: uuid.UUID
    item_code: str
    unit_of_issue: str
    lot_id: uuid.UUID | None
    lot_no: str | None
    expires_on: date | None
    quantity: int
    days_to_expiry: int | None = None
    expired: Annotated[bool, Meta(
        description="past its expiry date: cannot be issued, dispensed or shipped")] = False
    near_expiry: Annotated[bool, Meta(
        description=f"expires within {NEAR_EXPIRY_DAYS} days (not yet expired): use it first")
    ] = False

    @classmethod
    def of_row(cls, r: Sequence[Any]) -> StockLine:
        """From the columns of ``_on_hand_select``, in order; days counted from today (UTC)."""
        (location_id, location_code, location_name, location_kind, item_id, item_code,
         unit_of_issue, lot_id, lot_no, expires_on, quantity) = r
        today = datetime.now(UTC).date()
        days = None if expires_on is None else (expires_on - today).days
        expired = expires_on is not None and is_expired(expires_on, today)
        return cls(
            location_id=location_id, location_code=location_code, location_name=location_name,
            location_kind=location_kind, item_id=item_id, item_code=item_code,
            unit_of_issue=unit_of_issue, lot_id=lot_id, lot_no=lot_no, expires_on=expires_on,
            quantity=quantity, days_to_expiry=days, expired=expired,
            near_expiry=days is not None and not expired and days <= NEAR_EXPIRY_DAYS,
        )


@dataclass(frozen=True, slots=True)
class CoverageRow:
    location_id: uuid.UUID
    location_code: str
    location_name: str
    location_kind: LocationKind
    station_id: uuid.UUID | None
    item_id: uuid.UUID
    item_code: str
    unit_of_issue: str
    on_hand: int
    used_recently: int
    open_cases: int
    daily_need: float
    days_of_cover: float | None
    state: str
    expired: int = 0  # of on_hand, in lots past their expiry date
    near_expiry: int = 0  # of on_hand, in lots expiring within NEAR_EXPIRY_DAYS


def _lot_is(column: Any, lot_id: uuid.UUID | None) -> Any:
    return column.is_(None) if lot_id is None else column == lot_id


def _on_hand_select(
    *, scope_path: str, location_id: uuid.UUID | None, item_id: uuid.UUID | None,
    kind: LocationKind | None, expiring_before: date | None = None,
) -> Select[*tuple[Any, ...]]:
    """Stock on hand lines in a total order (the balance id breaks ties), so pages never
    overlap or skip a line."""
    loc, item, lot, bal = StockLocation, CatalogItem, ItemLot, StockBalance
    stmt = (
        select(loc.id, loc.code, loc.name, loc.kind, item.id, item.code, item.unit_of_issue,
               lot.id, lot.lot_no, lot.expires_on, bal.qty)
        .select_from(bal)
        .join(loc, loc.id == bal.location_id)
        .join(item, item.id == bal.item_id)
        .outerjoin(lot, lot.id == bal.lot_id)
        .where(in_scope(bal.scope_path, scope_path), bal.qty != 0)
    )
    if location_id is not None:
        stmt = stmt.where(bal.location_id == location_id)
    if item_id is not None:
        stmt = stmt.where(bal.item_id == item_id)
    if kind is not None:
        stmt = stmt.where(loc.kind == kind)
    if expiring_before is not None:
        return stmt.where(lot.expires_on < expiring_before, bal.qty > 0).order_by(
            lot.expires_on, loc.code, item.code, bal.id)
    return stmt.order_by(loc.code, item.code, lot.expires_on.nulls_last(), bal.id)


def _coverage_sql(
    select_sql: str, *, scope_path: str, location_id: uuid.UUID | None,
    kind: LocationKind | None, item_id: uuid.UUID | None, states: Sequence[str] | None,
) -> tuple[str, dict[str, Any]]:
    """COVERAGE_SQL with the filters written in, ending in ``select_sql``, and its params."""
    extra = []
    params: dict[str, Any] = {}
    if location_id is not None:
        extra.append("AND l.id = :location_id")
        params["location_id"] = location_id
    if kind is not None:
        extra.append("AND l.kind = CAST(:kind AS location_kind)")
        params["kind"] = kind.value
    item_filter = ""
    if item_id is not None:
        item_filter = "AND i.id = :item_id"
        params["item_id"] = item_id
    state_filter = ""
    if states:
        state_filter = "AND state = ANY(:states)"
        params["states"] = list(states)
    sql = COVERAGE_SQL.format(
        extra=" ".join(extra), item_filter=item_filter, state_filter=state_filter,
        loc_scope=scope_sql("l.scope_path", scope_path), select=select_sql, **SQL_CONSTANTS,
    )
    return sql, params


def _coverage_row(r: Any) -> CoverageRow:
    return CoverageRow(
        location_id=r.location_id, location_code=r.location_code,
        location_name=r.location_name, location_kind=LocationKind(r.location_kind),
        station_id=r.station_id, item_id=r.item_id, item_code=r.item_code,
        unit_of_issue=r.unit_of_issue, on_hand=int(r.on_hand),
        used_recently=int(r.used_recently), open_cases=int(r.open_cases),
        daily_need=float(r.daily_need), days_of_cover=r.days_of_cover, state=r.state,
        expired=int(r.expired), near_expiry=int(r.near_expiry),
    )


class StockRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- the ledger -------------------------------------------------------------------------
    async def movement(self, movement_id: uuid.UUID) -> StockMovement | None:
        return await self.session.get(StockMovement, movement_id, populate_existing=True)

    async def lock_balance(
        self, location_id: uuid.UUID, item_id: uuid.UUID, lot_id: uuid.UUID | None,
        scope_path: str,
    ) -> BalanceLock:
        """Create the balance row if missing and lock it until the transaction ends."""
        ins = insert(StockBalance).values(
            location_id=location_id, item_id=item_id, lot_id=lot_id, scope_path=scope_path
        )
        stmt = ins.on_conflict_do_update(
            index_elements=[StockBalance.location_id, StockBalance.item_id, StockBalance.lot_id],
            set_={"qty": StockBalance.qty},
        ).returning(
            StockBalance.id, StockBalance.qty, StockBalance.last_count_at,
            StockBalance.last_count_id, StockBalance.last_occurred_at,
        )
        row = (await self.session.execute(stmt)).one()
        return BalanceLock(*row)

    async def balance_before(
        self, location_id: uuid.UUID, item_id: uuid.UUID, lot_id: uuid.UUID | None,
        at: datetime,
    ) -> int:
        """Stock of one key as the ledger tells it just before ``at``."""
        total = await self.session.scalar(
            select(func.coalesce(func.sum(StockMovement.delta), 0)).where(
                StockMovement.location_id == location_id,
                StockMovement.item_id == item_id,
                _lot_is(StockMovement.lot_id, lot_id),
                StockMovement.occurred_at < at,
            )
        )
        return int(total or 0)

    async def add_movement(self, movement: StockMovement) -> StockMovement:
        self.session.add(movement)
        await self.session.flush()
        return movement

    async def apply_delta(
        self, balance_id: int, delta: int, occurred_at: datetime,
        count_id: uuid.UUID | None = None,
    ) -> None:
        """qty += delta; a count that is now the latest one becomes the key's reference."""
        await self.session.execute(
            text(
                "UPDATE stock_balance SET qty = qty + :delta, updated_at = now(), "
                "last_occurred_at = greatest(last_occurred_at, :at), "
                "last_count_at = CASE WHEN CAST(:count_id AS uuid) IS NULL THEN last_count_at "
                "ELSE :at END, "
                "last_count_id = coalesce(CAST(:count_id AS uuid), last_count_id) "
                "WHERE id = :id"
            ),
            {"delta": delta, "at": occurred_at, "count_id": count_id, "id": balance_id},
        )

    async def add_discrepancy(self, discrepancy: StockDiscrepancy) -> None:
        self.session.add(discrepancy)
        await self.session.flush()

    async def fefo_lots(
        self, location_id: uuid.UUID, item_id: uuid.UUID, *, valid_on: date,
        in_stock: bool = True,
    ) -> list[tuple[uuid.UUID | None, int]]:
        """Lots of an item at a location that have not expired by ``valid_on``, first
        expiring first (lot-less stock last): those with stock, or (``in_stock=False``)
        every lot the location's ledger has held, whatever its balance."""
        conds = [StockBalance.location_id == location_id, StockBalance.item_id == item_id,
                 or_(StockBalance.lot_id.is_(None), ItemLot.expires_on >= valid_on)]
        if in_stock:
            conds.append(StockBalance.qty > 0)
        rows = await self.session.execute(
            select(StockBalance.lot_id, StockBalance.qty)
            .outerjoin(ItemLot, ItemLot.id == StockBalance.lot_id)
            .where(*conds)
            .order_by(ItemLot.expires_on.asc().nulls_last(), ItemLot.lot_no)
        )
        return [(r[0], int(r[1])) for r in rows]

    async def expired_lots(
        self, location_id: uuid.UUID, item_id: uuid.UUID, *, on: date
    ) -> list[tuple[str, date, int]]:
        """(lot number, expiry, quantity) of the lots in stock that expired before ``on``."""
        rows = await self.session.execute(
            select(ItemLot.lot_no, ItemLot.expires_on, StockBalance.qty)
            .join(ItemLot, ItemLot.id == StockBalance.lot_id)
            .where(StockBalance.location_id == location_id, StockBalance.item_id == item_id,
                   StockBalance.qty > 0, ItemLot.expires_on < on)
            .order_by(ItemLot.expires_on, ItemLot.lot_no)
        )
        return [(r[0], r[1], int(r[2])) for r in rows]

    # -- listings ---------------------------------------------------------------------------
    async def movements(
        self, *, scope_path: str, location_id: uuid.UUID | None, item_id: uuid.UUID | None,
        kind: MovementKind | None, since: datetime | None, limit: int, offset: int,
    ) -> tuple[Sequence[StockMovement], int]:
        conds = [in_scope(StockMovement.scope_path, scope_path)]
        if location_id is not None:
            conds.append(StockMovement.location_id == location_id)
        if item_id is not None:
            conds.append(StockMovement.item_id == item_id)
        if kind is not None:
            conds.append(StockMovement.kind == kind)
        if since is not None:
            conds.append(StockMovement.occurred_at >= since)
        total = await self.session.scalar(select(func.count()).where(*conds))
        rows = await self.session.scalars(
            select(StockMovement).where(*conds)
            .order_by(StockMovement.occurred_at.desc(), StockMovement.id)
            .limit(limit).offset(offset)
        )
        return rows.all(), int(total or 0)

    async def on_hand(
        self, *, scope_path: str, location_id: uuid.UUID | None = None,
        item_id: uuid.UUID | None = None, kind: LocationKind | None = None,
        expiring_before: date | None = None,
    ) -> list[StockLine]:
        """Non-zero balances per location, item and lot, in scope, oldest expiry first."""
        stmt = _on_hand_select(scope_path=scope_path, location_id=location_id,
                               item_id=item_id, kind=kind, expiring_before=expiring_before)
        return [StockLine.of_row(r) for r in await self.session.execute(stmt)]

    async def on_hand_page(
        self, *, scope_path: str, location_id: uuid.UUID | None, item_id: uuid.UUID | None,
        kind: LocationKind | None, limit: int, offset: int,
    ) -> tuple[list[StockLine], int]:
        """One page of ``on_hand`` and the number of lines in all pages."""
        stmt = _on_hand_select(scope_path=scope_path, location_id=location_id,
                               item_id=item_id, kind=kind)
        total = await self.session.scalar(
            select(func.count()).select_from(stmt.order_by(None).subquery())
        )
        rows = await self.session.execute(stmt.limit(limit).offset(offset))
        return [StockLine.of_row(r) for r in rows], int(total or 0)

    async def coverage(
        self, *, scope_path: str, location_id: uuid.UUID | None = None,
        kind: LocationKind | None = None, item_id: uuid.UUID | None = None,
        states: Sequence[str] | None = None,
    ) -> list[CoverageRow]:
        """Stock on hand per location and item with days of cover and an ok/low/out state.

        Daily need is the larger of recent consumption and open F0 cases times the item's
        daily use per case (a warehouse counts every open case below it).
        """
        sql, params = _coverage_sql(COVERAGE_ALL, scope_path=scope_path,
                                    location_id=location_id, kind=kind, item_id=item_id,
                                    states=states)
        return [_coverage_row(r) for r in await self.session.execute(text(sql), params)]

    async def coverage_page(
        self, *, scope_path: str, location_id: uuid.UUID | None, kind: LocationKind | None,
        item_id: uuid.UUID | None, states: Sequence[str] | None, limit: int, offset: int,
    ) -> tuple[list[CoverageRow], int]:
        """One page of ``coverage`` and the number of lines in all pages."""
        sql, params = _coverage_sql(COVERAGE_PAGE, scope_path=scope_path,
                                    location_id=location_id, kind=kind, item_id=item_id,
                                    states=states)
        rows = (await self.session.execute(
            text(sql), {**params, "limit": limit, "offset": offset}
        )).all()
        total = int(rows[0].total) if rows else 0
        # past the last page the count comes back alone, with a null row beside it
        return [_coverage_row(r) for r in rows if r.location_id is not None], total

    # -- discrepancies ----------------------------------------------------------------------
    async def discrepancies(
        self, *, scope_path: str, status: DiscrepancyStatus | None, limit: int, offset: int
    ) -> Sequence[StockDiscrepancy]:
        stmt = select(StockDiscrepancy).where(in_scope(StockDiscrepancy.scope_path, scope_path))
        if status is not None:
            stmt = stmt.where(StockDiscrepancy.status == status)
        stmt = stmt.order_by(StockDiscrepancy.opened_at.desc()).limit(limit).offset(offset)
        return (await self.session.scalars(stmt)).all()

    async def discrepancy(self, discrepancy_id: uuid.UUID) -> StockDiscrepancy | None:
        return await self.session.get(
            StockDiscrepancy, discrepancy_id, with_for_update=True, populate_existing=True
        )


class KeyStock(msgspec.Struct, frozen=True):
    """One key supply at one station: its state, what is on hand (below zero when offline
    issues outran the books) and days of cover (None without a daily need). A Struct: the
    map makes eight per station and a frozen dataclass costs ten times as much to build."""

    state: str
    on_hand: int
    days_of_cover: float | None


async def station_stock_states(
    session: AsyncSession, *, scope_path: str, station_ids: list[uuid.UUID] | None = None
) -> dict[uuid.UUID, dict[str, KeyStock]]:
    """State ("ok" | "low" | "out"), quantity and days of cover of the key items of every
    station in scope, for the map.

    One query, a few milliseconds for the whole city. A key sums its items (all oxygen
    cylinder sizes are "oxygen"), their minimums and their daily use per case. "out": nothing
    on hand; "low": below the minimum, or under 3 days of cover, where the daily need is the
    larger of the last 7 days' issues and open F0 cases x daily use per case (the same rule
    as the stock views). A station without a stock location is "out" of what it needs; a
    key it needs none of (no minimum, no use) is "ok" at zero, "out" below it.
    """
    params: dict[str, Any] = {}
    station_filter = ""
    if station_ids is not None:
        station_filter = "AND s.id = ANY(:ids)"
        params["ids"] = station_ids
    sql = STATION_STATES_SQL.format(scope=scope_sql("s.scope_path", scope_path),
                                     ids=station_filter, **SQL_CONSTANTS)
    rows = await session.execute(text(sql), params)
    states: dict[uuid.UUID, dict[str, KeyStock]] = {}
    for station_id, key, state, on_hand, days in rows:
        states.setdefault(station_id, {})[key] = KeyStock(
            state=state, on_hand=int(on_hand), days_of_cover=days
        )
    return states
