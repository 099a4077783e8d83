"""The sync protocol (sync/PROTOCOL.md): schema, push and pull for enrolled devices.

Devices authenticate with their enrolment token, not a login. Push and pull read their body
themselves: JSON or MessagePack by Content-Type, optionally gzip-compressed; the answer is
MessagePack when the Accept header lists it, JSON otherwise (and gzip when accepted).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import PROBLEM_JSON, field_in_message, problem
from api.feed_hub import long_poll
from api.schemas.common import Problem
from api.schemas.sync import SyncProblem, SyncSchema, body_operation
from domain.settings import Settings
from sync import pull, push
from sync.clock import ServerClock, server_time
from sync.codec import body_format, decode_pull, request_body, response_format
from sync.cursor import cursor_key
from sync.entities import REGISTRY
from sync.errors import PayloadTooLarge, SyncRequestError, Unauthenticated
from sync.wire import PullRequest, PullResponse, PushRequest, PushResponse, encode


def _problem(description: str) -> ResponseSpec:
    return ResponseSpec(SyncProblem, description=description, media_type=PROBLEM_JSON,
                        generate_examples=False)


ERRORS = {
    400: _problem("Malformed request; nothing was applied"),
    401: _problem("Unknown or revoked device token"),
    413: _problem("Too many mutations or too large a body"),
    415: _problem("Body neither JSON nor MessagePack"),
    426: _problem("Protocol version not supported"),
    503: _problem("The server could not apply the request now (nothing was applied); retry "
                  "after the Retry-After seconds with the same mutation ids"),
}
# The device's enrolment token, not a login.
DEVICE_TOKEN: list[dict[str, list[str]]] = [{"BearerToken": []}]


T = TypeVar("T")


def server_clock(state: State) -> ServerClock:
    """The server's hybrid logical clock (kept in the database; one client per process)."""
    clock: ServerClock = state.server_clock
    return clock


async def _answering(state: State, work: Awaitable[T]) -> T:
    """Run a sync request; a refused one learns the server's HLC here, since Litestar's
    exception handlers cannot await (it is left out when the database is unreachable)."""
    try:
        return await work
    except SyncRequestError as exc:
        exc.extra.setdefault("server_hlc", await server_clock(state).try_tick())
        raise


def _device_token(request: Request[Any, Any, Any]) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("a device bearer token is required")
    return token.strip()


async def _body(request: Request[Any, Any, Any], settings: Settings) -> tuple[bytes, str]:
    fmt = body_format(request.headers.get("content-type"))
    try:
        raw = await request.body()
    except RequestEntityTooLarge as exc:  # the framework's own limit: answered as the protocol's
        raise PayloadTooLarge(f"the body is larger than {settings.max_body_bytes} bytes",
                              field="body") from exc
    # Malformed bodies (invalid UTF-8, deep nesting...) are sync/codec's to refuse, naming them.
    return request_body(raw, request.headers.get("content-encoding"), settings.max_body_bytes), fmt



def _encoded(obj: Any, request: Request[Any, Any, Any]) -> Response[Any]:
    fmt = response_format(request.headers.get("accept"))
    return Response(content=encode(obj, fmt), media_type=fmt)


def _field(exc: SyncRequestError) -> str | None:
    """What sync/codec named, else what its message blames, else the body as a whole."""
    if exc.field or exc.status not in (400, 413, 415):
        return exc.field
    return field_in_message(exc.detail) or "body"


def sync_error_handler(
    request: Request[Any, Any, Any], exc: SyncRequestError
) -> Response[Problem]:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    if exc.status == 503:
        headers = {"Retry-After": str(exc.extra.get("retry_after", 5))}
    return problem(
        exc.status, exc.detail, shape=SyncProblem, headers=headers,
        code=exc.code, field=_field(exc),
        supported_versions=exc.extra.get("supported_versions"),
        max_mutations=exc.extra.get("max_mutations"),
        server_hlc=exc.extra.get("server_hlc"), server_time=server_time(),
    )


class SyncController(Controller):
    path = "/sync/v1"
    tags = ["Sync"]
    exception_handlers = {SyncRequestError: sync_error_handler}

    @get(
        "/schema",
        operation_id="get_sync_schema",
        summary="Synced entities, their fields and types, and each field's merge policy",
    )
    async def get_sync_schema(self, state: State) -> SyncSchema:
        return SyncSchema.of(REGISTRY, state.settings)

    @post(
        "/push",
        operation_id="push_changes",
        summary="Apply a batch of a device's mutations, at most once each, in order",
        description=(
            "One result per mutation, in request order: applied, duplicate (already applied), "
            "merged (some fields lost to newer writes; `current` is the server row) or "
            "rejected (with a `code` and the `field` at fault). A malformed mutation is "
            "rejected alone; only a malformed envelope refuses the request."
        ),
        status_code=200,
        operation_class=body_operation(PushRequest),
        responses=ERRORS,
        security=DEVICE_TOKEN,
    )
    async def push_changes(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
        state: State,
    ) -> Response[PushResponse]:
        result = await _answering(state, self._push(request, db_session, state))
        return _encoded(result, request)

    async def _push(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, state: State
    ) -> PushResponse:
        token = _device_token(request)
        body, fmt = await _body(request, state.settings)
        return await push.push(db_session, token, body, fmt, registry=REGISTRY,
                               settings=state.settings, clock=server_clock(state))

    @post(
        "/pull",
        operation_id="pull_changes",
        summary="The next page of changes in the device's scope after its cursor",
        description=(
            "Whole rows in feed order; deletes are tombstones. `reset: true` means the "
            "device's scope changed: drop the replica and pull again from a null cursor. "
            "With `wait_ms`, an empty page first waits (long-poll) up to that long for a "
            "change in the device's scope. A cursor this server did not issue to this "
            "device is refused (400, field `cursor`)."
        ),
        status_code=200,
        operation_class=body_operation(PullRequest),
        responses=ERRORS,
        security=DEVICE_TOKEN,
    )
    async def pull_changes(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
        state: State,
    ) -> Response[PullResponse]:
        result = await _answering(state, self._pull(request, db_session, state))
        return _encoded(result, request)

    async def _pull(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, state: State
    ) -> PullResponse:
        token = _device_token(request)
        body, fmt = await _body(request, state.settings)
        wanted = decode_pull(body, fmt)
        key = cursor_key(state.settings.jwt_secret)
        replica = state.get("replica")
        if wanted.wait_ms == 0:
            return await pull.pull(db_session, token, wanted, registry=REGISTRY,
                                   clock=server_clock(state), key=key, replica=replica)
        async with long_poll(request) as waiter:
            return await pull.pull(db_session, token, wanted, registry=REGISTRY,
                                   clock=server_clock(state), key=key, waiter=waiter,
                                   replica=replica)
