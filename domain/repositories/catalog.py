"""SQL for the supply catalog: items and their lots."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.supply import CatalogItem, ItemCategory, ItemLot


class CatalogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def items(self, *, category: ItemCategory | None = None) -> Sequence[CatalogItem]:
        stmt = select(CatalogItem).where(CatalogItem.deleted.is_(False))
        if category is not None:
            stmt = stmt.where(CatalogItem.category == category)
        return (await self.session.scalars(stmt.order_by(CatalogItem.code))).all()

    async def item(self, item_id: uuid.UUID) -> CatalogItem | None:
        item = await self.session.get(CatalogItem, item_id)
        return None if item is None or item.deleted else item

    async def item_by_code(self, code: str) -> CatalogItem | None:
        return await self.session.scalar(select(CatalogItem).where(CatalogItem.code == code))

    async def upsert_items(self, rows: list[dict[str, Any]]) -> None:
        """Insert or refresh items by code; unchanged rows are left alone (no feed noise)."""
        stmt = insert(CatalogItem).values(rows)
        cols = [c for c in rows[0] if c not in ("id", "code")]
        changed = [getattr(CatalogItem, c).is_distinct_from(stmt.excluded[c]) for c in cols]
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[CatalogItem.code],
                set_={c: stmt.excluded[c] for c in cols},
                where=or_(*changed),
            )
        )

    async def lots(self, item_id: uuid.UUID) -> Sequence[ItemLot]:
        stmt = (
            select(ItemLot)
            .where(ItemLot.item_id == item_id, ItemLot.deleted.is_(False))
            .order_by(ItemLot.expires_on, ItemLot.lot_no)
        )
        return (await self.session.scalars(stmt)).all()

    async def lot(self, lot_id: uuid.UUID) -> ItemLot | None:
        return await self.session.get(ItemLot, lot_id)

    async def lot_by_number(self, item_id: uuid.UUID, lot_no: str) -> ItemLot | None:
        return await self.session.scalar(
            select(ItemLot).where(ItemLot.item_id == item_id, ItemLot.lot_no == lot_no)
        )

    async def add_lot(
        self, *, lot_id: uuid.UUID, item_id: uuid.UUID, lot_no: str, expires_on: date
    ) -> ItemLot:
        """Insert unless (item, lot number) exists; returns the row that holds the number."""
        await self.session.execute(
            insert(ItemLot)
            .values(id=lot_id, item_id=item_id, lot_no=lot_no, expires_on=expires_on,
                    scope_path="VN")
            .on_conflict_do_nothing(index_elements=[ItemLot.item_id, ItemLot.lot_no])
        )
        return (await self.session.scalars(
            select(ItemLot).where(ItemLot.item_id == item_id, ItemLot.lot_no == lot_no)
        )).one()
