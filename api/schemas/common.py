"""Shared wire shapes of the HTTP edge."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.params import QueryParameter

# Query parameters of paged lists. The offset is bounded so a huge one is the caller's 400,
# not an integer PostgreSQL cannot take (a 500).
Offset = Annotated[int, QueryParameter(ge=0, le=2_147_483_647, description="rows to skip")]
PageLimit = Annotated[int, QueryParameter(ge=1, le=1000, description="page size")]


class Problem(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """RFC 9457 problem details; ``field`` names the input at fault."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    code: str | None = None
    field: str | None = None
    errors: list[dict[str, str]] | None = None
