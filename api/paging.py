"""Paged lists, declared once: the ``paging`` dependency (``?limit=&offset=``) and ``Page[T]``.

A list handler takes ``paging: NamedDependency[Paging]`` and answers ``paging.page(items,
total)``. The app provides the default bounds; a controller whose pages are longer (stock)
provides its own with ``paging_dependency``. Annotations here are real objects, not strings (no
``from __future__ import annotations``): Litestar reads a provider's bounds from its signature.
"""

from collections.abc import Sequence
from typing import Annotated, Generic, TypeVar

import msgspec
from litestar.di import Provide
from litestar.params import KwargDefinition, QueryParameter

T = TypeVar("T")

# The offset is bounded so a huge one is the caller's 400, not an integer PostgreSQL cannot
# take (a 500).
Offset = Annotated[int, QueryParameter(ge=0, le=2_147_483_647, description="rows to skip")]


class Page(msgspec.Struct, Generic[T], kw_only=True, frozen=True):
    """One page of a list: the items, how many match in all, and the page asked for."""

    items: list[T]
    total: int
    limit: int
    offset: int


def page_schema(name: str) -> KwargDefinition:
    """Name a ``Page[X]`` in OpenAPI: ``Annotated[Page[X], page_schema("XPage")]``.

    Litestar would name the component after the Python path of ``X``
    (``Page_domain.repositories.admin_units.AdminUnit_``), a name that changes whenever a
    module moves; the published names stay the ones clients were generated from.
    """
    return KwargDefinition(schema_component_key=name)


class Paging(msgspec.Struct, frozen=True):
    """The page a request asked for."""

    limit: int
    offset: int

    def page(self, items: Sequence[T], total: int) -> Page[T]:
        return Page(items=list(items), total=total, limit=self.limit, offset=self.offset)


def paging_dependency(*, default: int = 100, maximum: int = 1000) -> Provide:
    """The ``paging`` dependency: ``limit`` from 1 to ``maximum`` (``default``), ``offset``."""

    def provide_paging(
        limit: Annotated[int, QueryParameter(ge=1, le=maximum, description="page size")] = default,
        offset: Offset = 0,
    ) -> Paging:
        return Paging(limit=limit, offset=offset)

    return Provide(provide_paging, sync_to_thread=False)
