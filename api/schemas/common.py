"""Shared wire shapes of the HTTP edge."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.params import QueryParameter

# The unit filters of lists, one per level of the hierarchy (paging is api/paging.py's).
ProvinceCode = Annotated[str | None, QueryParameter(pattern=r"^[0-9]{2}$")]
DistrictCode = Annotated[str | None, QueryParameter(pattern=r"^[0-9]{3}$")]
CommuneCode = Annotated[str | None, QueryParameter(pattern=r"^[0-9]{5}$")]
# Any unit's code, whatever its level.
UnitCode = Annotated[str | None, QueryParameter(max_length=8, pattern=r"^[0-9A-Z]+$")]


class Problem(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """RFC 9457 problem details; ``field`` names the input at fault."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    code: str | None = None
    field: str | None = None
    errors: list[dict[str, str]] | None = None
    # A 409 ``duplicate_case``: the case that already holds the person (``id``, ``case_code``).
    existing_case: dict[str, str] | None = None
