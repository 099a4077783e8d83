"""Liveness and readiness probes."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import State
from sqlalchemy.exc import SQLAlchemyError

from domain.repositories.health import applied_revisions


class HealthStatus(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    status: str
    database: str | None = None
    revision: list[str] | None = None
    expected: list[str] | None = None


class HealthController(Controller):
    path = "/"
    tags = ["Health"]

    @get("/health", operation_id="health", summary="The process is alive")
    async def health(self) -> HealthStatus:
        return HealthStatus(status="ok")

    @get(
        "/ready",
        operation_id="ready",
        summary="The database answers and its schema is at the migrations' head",
    )
    async def ready(self, state: State) -> Response[HealthStatus]:
        expected = sorted(state.migration_heads)
        try:
            async with state.session_maker() as session:
                current = sorted(await applied_revisions(session))
        except (SQLAlchemyError, OSError) as exc:
            body = HealthStatus(
                status="unavailable", database=type(exc).__name__, expected=expected
            )
            return Response(body, status_code=503)
        ok = current == expected
        body = HealthStatus(
            status="ready" if ok else "migrations pending",
            database="ok",
            revision=current,
            expected=expected,
        )
        return Response(body, status_code=200 if ok else 503)
