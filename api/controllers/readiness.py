"""Readiness of each fortress: a commune's plan per epidemic level, what it has ready, the
level set from above, and the gaps; the map layer's read."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import PathParameter, RequestBody

from api.schemas.common import UnitCode
from api.schemas.readiness import LevelSet, Readiness, ReadinessMapUnit, Resources, counts_of
from api.services import service_dependency
from domain.services.readiness import ReadinessService

UnitPath = Annotated[str, PathParameter(max_length=8, description="administrative unit code")]
LevelPath = Annotated[int, PathParameter(ge=1, le=4, description="epidemic level 1–4")]


class ReadinessController(Controller):
    path = "/api/readiness"
    tags = ["Chain: readiness"]
    security = [{"BearerToken": []}]
    dependencies = {"readiness": service_dependency(ReadinessService)}

    @get("/", operation_id="get_readiness",
         summary="A unit's level, plan per level, what it has ready and the gaps")
    async def get_readiness(
        self, readiness: NamedDependency[ReadinessService], unit: UnitCode = None,
    ) -> Readiness:
        return Readiness.of(await readiness.view(unit))

    @get("/map", operation_id="get_readiness_map",
         summary="The units two levels below, with their epidemic level and current gaps")
    async def get_readiness_map(
        self, readiness: NamedDependency[ReadinessService], unit: UnitCode = None,
    ) -> list[ReadinessMapUnit]:
        return [ReadinessMapUnit.of(m) for m in await readiness.map(unit)]

    @put("/{unit_code:str}/needs/{level:int}", operation_id="set_readiness_need",
         summary="What the commune's plan needs at a level (the commune itself)")
    async def set_readiness_need(
        self, readiness: NamedDependency[ReadinessService], unit_code: UnitPath,
        level: LevelPath, data: RequestBody[Resources],
    ) -> Readiness:
        await readiness.set_need(unit_code, level, counts_of(data))
        return Readiness.of(await readiness.view(unit_code))

    @put("/{unit_code:str}/ready", operation_id="set_readiness_resources",
         summary="What the commune has ready (the commune itself)")
    async def set_readiness_resources(
        self, readiness: NamedDependency[ReadinessService], unit_code: UnitPath,
        data: RequestBody[Resources],
    ) -> Readiness:
        await readiness.set_resources(unit_code, counts_of(data))
        return Readiness.of(await readiness.view(unit_code))

    @put("/{unit_code:str}/level", operation_id="set_epidemic_level",
         summary="Set a unit's epidemic level (the level directly above it)")
    async def set_epidemic_level(
        self, readiness: NamedDependency[ReadinessService], unit_code: UnitPath,
        data: RequestBody[LevelSet],
    ) -> Readiness:
        return Readiness.of(await readiness.set_level(unit_code, data.level, data.note))
