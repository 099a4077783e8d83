"""Shared wire shapes of the HTTP edge."""

from __future__ import annotations

from typing import Annotated

import msgspec

Limit = Annotated[int, msgspec.Meta(ge=1, le=1000, description="page size")]
Offset = Annotated[int, msgspec.Meta(ge=0, description="rows to skip")]


class Problem(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """RFC 9457 problem details; ``field`` names the input at fault."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    code: str | None = None
    field: str | None = None
    errors: list[dict[str, str]] | None = None
