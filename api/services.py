"""Domain services as request dependencies: one per aggregate, bound to the request's session
and principal, so a handler takes the service it needs (``loans: NamedDependency[LoanService]``)
instead of ``principal, db_session`` and building it.

Annotations here are real objects, not strings (no ``from __future__ import annotations``):
Litestar reads a provider's parameters from its signature.
"""

from collections.abc import Callable
from typing import Any

from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal


def service_dependency(service: Callable[[AsyncSession, Principal], Any]) -> Provide:
    """Provide ``service(session, principal)`` for the request (built when a handler asks)."""

    def provide_service(
        db_session: NamedDependency[AsyncSession], principal: NamedDependency[Principal]
    ) -> Any:
        return service(db_session, principal)

    return Provide(provide_service, sync_to_thread=False)
