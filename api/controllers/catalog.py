"""The supply catalog: items anyone signed in reads, lots the stock keepers register."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, RequestBody

from api.schemas.catalog import CatalogItem, CatalogItemCreate, ItemLot, ItemLotCreate
from api.services import service_dependency
from domain.models.supply import ItemCategory
from domain.services.catalog import CatalogService, ItemSpec

ItemId = Annotated[uuid.UUID, PathParameter()]


class CatalogController(Controller):
    path = "/api/catalog/items"
    tags = ["Supplies: catalog"]
    security = [{"BearerToken": []}]
    dependencies = {"catalog": service_dependency(CatalogService)}

    @get("/", operation_id="list_catalog_items", summary="Catalog items, by code")
    async def list_catalog_items(
        self, catalog: NamedDependency[CatalogService],
        category: FromQuery[ItemCategory | None] = None,
    ) -> list[CatalogItem]:
        return [CatalogItem.of(i) for i in await catalog.items(category)]

    @get("/{item_id:uuid}", operation_id="get_catalog_item", summary="One catalog item")
    async def get_catalog_item(
        self, catalog: NamedDependency[CatalogService],
        item_id: ItemId,
    ) -> CatalogItem:
        return CatalogItem.of(await catalog.item(item_id))

    @post("/", operation_id="create_catalog_item", summary="Add an item (city coordinators)")
    async def create_catalog_item(
        self, catalog: NamedDependency[CatalogService],
        data: RequestBody[CatalogItemCreate],
    ) -> CatalogItem:
        spec = ItemSpec(**{f: getattr(data, f) for f in data.__struct_fields__})
        return CatalogItem.of(await catalog.create_item(spec))

    @get("/{item_id:uuid}/lots", operation_id="list_item_lots",
         summary="Lots of a lot-tracked item, first expiring first")
    async def list_item_lots(
        self, catalog: NamedDependency[CatalogService],
        item_id: ItemId,
    ) -> list[ItemLot]:
        return [ItemLot.of(lot) for lot in await catalog.lots(item_id)]

    @post("/{item_id:uuid}/lots", operation_id="create_item_lot",
          summary="Register a lot (the same number again returns the existing lot, 200)")
    async def create_item_lot(
        self, catalog: NamedDependency[CatalogService],
        item_id: ItemId, data: RequestBody[ItemLotCreate],
    ) -> Response[ItemLot]:
        lot, created = await catalog.register_lot(
            item_id, lot_no=data.lot_no, expires_on=data.expires_on
        )
        return Response(ItemLot.of(lot), status_code=201 if created else 200)
