"""The supply catalog: what the response stocks, how it is counted, and its lots."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.models.enums import Role
from domain.models.supply import CatalogItem, ItemCategory, ItemLot
from domain.repositories.catalog import CatalogRepository

CATALOG_NAMESPACE = uuid.UUID("0d7f3c2e-5a41-4b8e-9c61-2f4a8e7d1b90")
# Reference data every unit reads: scoped to the national root.
CATALOG_SCOPE = "VN"
LOT_KEEPERS = frozenset({Role.station_staff, Role.commune_officer, Role.district_logistics,
                         Role.city_coordinator})
CATALOG_EDITORS = frozenset({Role.city_coordinator})
C = ItemCategory


def item_id(code: str) -> uuid.UUID:
    """Stable id per item code, so every device and every reload agree on it."""
    return uuid.uuid5(CATALOG_NAMESPACE, f"catalog_item:{code}")


def lot_id(item: uuid.UUID, lot_no: str) -> uuid.UUID:
    """Stable id per (item, lot number): two devices registering one lot offline agree."""
    return uuid.uuid5(CATALOG_NAMESPACE, f"item_lot:{item}:{lot_no}")


@dataclass(frozen=True, slots=True)
class ItemSpec:
    code: str
    name: str
    category: ItemCategory
    unit_of_issue: str
    durable: bool = False
    lot_tracked: bool = False
    size_label: str | None = None
    map_key: str | None = None
    min_station_stock: int = 0
    daily_use_per_case: float = 0.0


# HCMC's 2021 home-care kit. Bags A/B/C follow the Ministry of Health home-treatment packs;
# daily use per F0 under care turns the caseload into days of cover. ``map_key`` names the key
# supply an item counts towards on the map and the dashboards (both cylinder sizes are
# "oxygen"); protective equipment is stocked but not a key supply.
STANDARD_CATALOG: tuple[ItemSpec, ...] = (
    ItemSpec("bag_a", "F0 medicine bag A (antipyretic, vitamins; 7 days)", C.medicine_bag, "bag",
             lot_tracked=True, map_key="bag_a", min_station_stock=20, daily_use_per_case=0.15),
    ItemSpec("bag_b", "F0 medicine bag B (corticosteroid, anticoagulant; doctor's order)",
             C.medicine_bag, "bag", lot_tracked=True, map_key="bag_b", min_station_stock=5,
             daily_use_per_case=0.03),
    ItemSpec("bag_c", "F0 medicine bag C (molnupiravir antiviral programme)", C.medicine_bag,
             "bag", lot_tracked=True, map_key="bag_c", min_station_stock=10, daily_use_per_case=0.05),
    ItemSpec("rapid_test", "SARS-CoV-2 rapid antigen test kit", C.test_kit, "kit",
             lot_tracked=True, map_key="rapid_test", min_station_stock=50,
             daily_use_per_case=0.3),
    ItemSpec("spo2_meter", "Fingertip pulse oximeter (SpO2 meter)", C.spo2_meter, "device",
             durable=True, map_key="spo2_meter", min_station_stock=10, daily_use_per_case=0.1),
    ItemSpec("bp_meter", "Automatic blood-pressure meter", C.bp_meter, "device", durable=True,
             map_key="bp_meter", min_station_stock=2, daily_use_per_case=0.01),
    ItemSpec("o2_cylinder_8l", "Oxygen cylinder 8 L", C.oxygen_cylinder, "cylinder",
             durable=True, size_label="8 L", map_key="oxygen", min_station_stock=4,
             daily_use_per_case=0.04),
    ItemSpec("o2_cylinder_40l", "Oxygen cylinder 40 L", C.oxygen_cylinder, "cylinder",
             durable=True, size_label="40 L", map_key="oxygen", min_station_stock=1,
             daily_use_per_case=0.01),
    ItemSpec("o2_concentrator", "Oxygen concentrator 5 L/min", C.oxygen_concentrator, "device",
             durable=True, size_label="5 L/min", map_key="o2_concentrator"),
    ItemSpec("ppe_set", "Protective equipment set (gown, N95, face shield, gloves)",
             C.protective_equipment, "set", min_station_stock=30, daily_use_per_case=0.5),
)


async def ensure_standard_catalog(session: AsyncSession) -> None:
    """Create or refresh the standard items; safe to run on every start. No principal: the
    seed of a new database (tests, the demo), not a caller's edit."""
    await CatalogRepository(session).upsert_items([
        {**asdict(spec), "id": item_id(spec.code), "scope_path": CATALOG_SCOPE}
        for spec in STANDARD_CATALOG
    ])


class CatalogService:
    """The catalog the principal reads and edits, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.repo = CatalogRepository(session)

    async def items(self, category: ItemCategory | None = None) -> Sequence[CatalogItem]:
        return await self.repo.items(category=category)

    async def item(self, id_: uuid.UUID) -> CatalogItem:
        item = await self.repo.item(id_)
        if item is None:
            raise NotFound("catalog item not found", field="item_id")
        return item

    async def create_item(self, spec: ItemSpec) -> CatalogItem:
        self.principal.require_role(CATALOG_EDITORS, "edit the catalog")
        if spec.durable and spec.lot_tracked:
            raise ValidationFailed(
                "a durable item is tracked by serial number, not by lot", field="lot_tracked"
            )
        if await self.repo.item_by_code(spec.code) is not None:
            raise ValidationFailed(f"item code {spec.code!r} is taken", field="code")
        await self.repo.upsert_items(
            [{**asdict(spec), "id": item_id(spec.code), "scope_path": CATALOG_SCOPE}]
        )
        return await self.item(item_id(spec.code))

    async def lots(self, id_: uuid.UUID) -> Sequence[ItemLot]:
        await self.item(id_)
        return await self.repo.lots(id_)

    async def register_lot(
        self, id_: uuid.UUID, *, lot_no: str, expires_on: date
    ) -> tuple[ItemLot, bool]:
        """Register a lot; the same number again returns the existing lot (created=False)."""
        self.principal.require_role(LOT_KEEPERS, "register lots")
        item = await self.item(id_)
        if not item.lot_tracked:
            raise ValidationFailed(f"{item.code} is not tracked by lot", field="item_id")
        existing = await self.repo.lot_by_number(id_, lot_no)
        if existing is not None:
            if existing.expires_on != expires_on:
                raise Conflict(
                    f"lot {lot_no} is registered with expiry {existing.expires_on}",
                    field="expires_on",
                )
            return existing, False
        lot = await self.repo.add_lot(
            lot_id=lot_id(id_, lot_no), item_id=id_, lot_no=lot_no, expires_on=expires_on
        )
        return lot, True
