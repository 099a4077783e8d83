"""The supply catalog: items anyone signed in reads, lots the stock keepers register."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, RequestBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.schemas.catalog import CatalogItem, CatalogItemCreate, ItemLot, ItemLotCreate
from domain.authz import Principal
from domain.models.supply import ItemCategory
from domain.services.catalog import CatalogService, ItemSpec

ItemId = Annotated[uuid.UUID, PathParameter()]


class CatalogController(Controller):
    path = "/api/catalog/items"
    tags = ["Supplies: catalog"]
    security = [{"BearerToken": []}]

    @get("/", operation_id="list_catalog_items", summary="Catalog items, by code")
    async def list_catalog_items(
        self, principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession],
        category: FromQuery[ItemCategory | None] = None,
    ) -> list[CatalogItem]:
        return [CatalogItem.of(i) for i in await CatalogService(db_session).items(category)]

    @get("/{item_id:uuid}", operation_id="get_catalog_item", summary="One catalog item")
    async def get_catalog_item(
        self, principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession],
        item_id: ItemId,
    ) -> CatalogItem:
        return CatalogItem.of(await CatalogService(db_session).item(item_id))

    @post("/", operation_id="create_catalog_item", summary="Add an item (city coordinators)")
    async def create_catalog_item(
        self, principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession],
        data: RequestBody[CatalogItemCreate],
    ) -> CatalogItem:
        spec = ItemSpec(**{f: getattr(data, f) for f in data.__struct_fields__})
        return CatalogItem.of(await CatalogService(db_session).create_item(principal, spec))

    @get("/{item_id:uuid}/lots", operation_id="list_item_lots",
         summary="Lots of a lot-tracked item, first expiring first")
    async def list_item_lots(
        self, principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession],
        item_id: ItemId,
    ) -> list[ItemLot]:
        return [ItemLot.of(lot) for lot in await CatalogService(db_session).lots(item_id)]

    @post("/{item_id:uuid}/lots", operation_id="create_item_lot",
          summary="Register a lot (the same number again returns the existing lot, 200)")
    async def create_item_lot(
        self, principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession],
        item_id: ItemId, data: RequestBody[ItemLotCreate],
    ) -> Response[ItemLot]:
        lot, created = await CatalogService(db_session).register_lot(
            principal, item_id, lot_no=data.lot_no, expires_on=data.expires_on
        )
        return Response(ItemLot.of(lot), status_code=201 if created else 200)
