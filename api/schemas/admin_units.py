"""Administrative units on the wire: the domain's read model, with its ancestors, paged."""

from __future__ import annotations

from typing import Annotated

from api.paging import Page, page_schema
from domain.repositories.admin_units import AdminUnitRecord
from domain.services.admin_units import UnitWithAncestors


class AdminUnitDetail(AdminUnitRecord, kw_only=True, frozen=True):
    ancestors: list[AdminUnitRecord]

    @classmethod
    def of(cls, found: UnitWithAncestors) -> AdminUnitDetail:
        unit = found.unit
        fields = {f: getattr(unit, f) for f in AdminUnitRecord.__struct_fields__}
        return cls(**fields, ancestors=found.ancestors)


AdminUnitPage = Annotated[Page[AdminUnitRecord], page_schema("AdminUnitPage")]
