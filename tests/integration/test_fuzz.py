"""Our own fuzzer over every operation of the OpenAPI document: wrong types, invalid UTF-8,
deep nesting, NaN, huge and NUL strings, out-of-range numbers, invalid UUIDs and dates,
unknown fields, wrong and missing content types, bad tokens. Asserts no 5xx, a problem body
naming the field for every 400/422, and that nothing a refused request did was written.

Requests go through the real app (ASGI) in the test's rolled-back transaction, as an
administrator of the whole country, and as an enrolled device on the sync endpoints.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from httpx import AsyncClient
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain.admin_dataset import NATIONAL_CODE
from domain.db import create_session_maker
from domain.models.enums import Role
from domain.services.users import UserService
from tests.integration.test_hostile_input import _device_token

Schema = dict[str, Any]
DEEP = b"[" * 10_000 + b"]" * 10_000
HUGE = "x" * 100_000
# Streams never end: fuzzed without a token, so every request is refused before one opens.
NO_AUTH = {"stream_map_events"}


@dataclass
class Case:
    label: str
    path_params: dict[str, str]
    query: dict[str, str]
    body: bytes | None = None
    content_type: str | None = "application/json"
    auth: bool = True
    # Fields a 400/422 may name for this case; empty: any non-empty name.
    names: set[str] = field(default_factory=set)


class Spec:
    def __init__(self, doc: Schema) -> None:
        self.doc = doc

    def resolve(self, schema: Schema) -> Schema:
        while "$ref" in schema:
            schema = self.doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def options(self, schema: Schema) -> list[Schema]:
        schema = self.resolve(schema)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                opts = [self.resolve(s) for s in schema[key]]
                return [s for s in opts if s.get("type") != "null"] or opts
        return [schema]

    def sample(self, schema: Schema, depth: int = 0) -> Any:
        """A plausible value of a schema (not necessarily one the rules accept)."""
        schema = self.options(schema)[0]
        if "enum" in schema:
            return schema["enum"][0]
        if "const" in schema:
            return schema["const"]
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        if kind == "object" or "properties" in schema:
            if depth > 4:
                return {}
            props = schema.get("properties", {})
            required = set(schema.get("required", []))
            return {k: self.sample(v, depth + 1) for k, v in props.items() if k in required}
        if kind == "array":
            return [] if depth > 4 else [self.sample(schema.get("items", {}), depth + 1)]
        if kind == "integer":
            return int(max(schema.get("minimum", 1), min(schema.get("maximum", 1), 1)))
        if kind == "number":
            low, high = schema.get("minimum", 0.0), schema.get("maximum", 1.0)
            return (low + high) / 2
        if kind == "boolean":
            return True
        fmt = schema.get("format")
        if fmt == "uuid":
            return str(uuid.uuid4())
        if fmt == "date":
            return "2021-08-01"
        if fmt == "date-time":
            return "2021-08-01T08:00:00Z"
        return "a" * max(1, int(schema.get("minLength", 1)))


def _hostile_scalars(schema: Schema) -> Iterator[tuple[str, Any]]:
    yield "wrong type", {"not": ["a scalar"]}
    yield "NUL", "a\x00b"
    yield "huge string", HUGE
    yield "beyond 64 bits", 2**70
    yield "negative", -(2**40)
    yield "float", 1e308
    yield "invalid uuid", "not-a-uuid"
    yield "invalid date", "2021-13-45T25:61:00"
    if schema.get("type") in ("integer", "number"):
        yield "numeric string", "12"


def _query_values(schema: Schema) -> Iterator[tuple[str, str]]:
    yield "NUL", "a\x00b"
    yield "huge", HUGE[:10_000]
    yield "beyond 64 bits", "99999999999999999999999"
    yield "negative", "-99999999999"
    yield "NaN", "NaN"
    yield "infinity", "Infinity"
    yield "invalid uuid", "not-a-uuid"
    yield "invalid date", "2021-13-45"
    yield "wrong type", "zz"
    yield "empty", ""


def cases_for(spec: Spec, op: Schema, path: str) -> Iterator[Case]:
    params = op.get("parameters", [])
    path_params = {p["name"]: str(spec.sample(p.get("schema", {})))
                   for p in params if p["in"] == "path"}
    required = {p["name"]: spec.sample(p.get("schema", {}))
                for p in params if p["in"] == "query" and p.get("required")}
    base_query = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in required.items()}
    auth = op.get("operationId") not in NO_AUTH

    for p in params:
        if p["in"] != "query":
            continue
        for label, value in _query_values(spec.resolve(p.get("schema", {}))):
            yield Case(f"query {p['name']}: {label}", path_params, {**base_query, p["name"]: value},
                       auth=auth, names={p["name"]})
    for name in path_params:
        for label, value in (("invalid uuid", "not-a-uuid"), ("NUL", "a%00b"), ("huge", "9" * 300)):
            yield Case(f"path {name}: {label}", {**path_params, name: value}, base_query,
                       auth=auth)
    yield Case("unknown query parameter", path_params, {**base_query, "zz\x00": "1"}, auth=auth)
    yield Case("bad token", path_params, base_query, auth=False)

    body_spec = op.get("requestBody", {}).get("content", {})
    if not body_spec:
        return
    content = next(iter(body_spec.values()))
    schema = spec.resolve(content.get("schema", {}))
    base = spec.sample(schema)
    props = set(schema.get("properties", {}))
    names = props | {"body"}

    def body(label: str, raw: bytes, **kw: Any) -> Case:
        return Case(f"body: {label}", path_params, base_query, raw, auth=auth,
                    names=kw.pop("names", names), **kw)

    yield body("invalid utf-8", b'{"a":"\xff\xfe"}')
    yield body("deep nesting", DEEP)
    yield body("deep object", b'{"a":' * 10_000 + b"1" + b"}" * 10_000)
    yield body("NaN", b'{"a": NaN}')
    yield body("truncated", b'{"a": ')
    yield body("top-level array", b"[]")
    yield body("top-level string", b'"x"')
    # The API refuses them (415); sync's protocol reads an untyped body as JSON.
    yield body("no content type", json.dumps(base).encode(), content_type=None,
               names=names | {"Content-Type"})
    yield body("text/plain", json.dumps(base).encode(), content_type="text/plain",
               names=names | {"Content-Type"})
    if isinstance(base, dict):
        yield body("unknown field", json.dumps({**base, "zz_unknown": 1}).encode(),
                   names=names | {"zz_unknown"})
        for prop in sorted(props):
            prop_schema = spec.resolve(schema["properties"][prop])
            for label, value in _hostile_scalars(prop_schema):
                raw = json.dumps({**base, prop: value}).encode()
                yield body(f"{prop}: {label}", raw)


async def _row_counts(session: AsyncSession) -> dict[str, int]:
    tables = [r[0] for r in await session.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN "
        "('admin_unit', 'spatial_ref_sys', 'alembic_version', 'login_throttle') ORDER BY 1"
    ))]
    # Failed logins are meant to leave their lockout audit entries behind.
    sql = "SELECT " + ", ".join(
        "(SELECT count(*) FROM audit_log WHERE entity <> 'login')" if t == "audit_log"
        else f'(SELECT count(*) FROM "{t}")'
        for t in tables
    )
    row = (await session.execute(text(sql))).one()
    return dict(zip(tables, row, strict=True))


def _url(path: str, params: dict[str, str]) -> str:
    for name, value in params.items():
        path = path.replace("{" + name + "}", value)
    return path


async def fuzz(
    client: AsyncClient, doc: Schema, paths: list[str], headers: dict[str, str],
    counts: Callable[[], Awaitable[dict[str, int]]],
) -> list[str]:
    """Every hostile case of every operation under ``paths``; the failures found."""
    spec = Spec(doc)
    failures: list[str] = []
    for path in paths:
        for method, op in doc["paths"][path].items():
            before = await counts()
            all_refused = True
            for case in cases_for(spec, op, path):
                sent = dict(headers) if case.auth else {"Authorization": "Bearer x.y.z"}
                if case.body is not None and case.content_type:
                    sent["Content-Type"] = case.content_type
                r = await client.request(
                    method.upper(), _url(path, case.path_params), params=case.query,
                    content=case.body, headers=sent,
                )
                where = f"{method.upper()} {path} [{case.label}] -> {r.status_code}"
                if r.status_code >= 500:
                    failures.append(f"{where}: {r.text[:200]}")
                    continue
                if r.status_code < 400:
                    all_refused = False
                    continue
                if not r.headers.get("content-type", "").startswith("application/problem+json"):
                    failures.append(f"{where}: not problem+json")
                    continue
                problem = r.json()
                if r.status_code in (400, 415, 422):
                    named = problem.get("field")
                    root = (named or "").split(".")[0].split("[")[0]
                    if not named or (case.names and root not in case.names):
                        failures.append(f"{where}: names {named!r}: {problem.get('detail')}")
            if all_refused and await counts() != before:
                failures.append(f"{method.upper()} {path}: refused requests wrote rows")
    return failures


def _report(failures: list[str]) -> str:
    return f"{len(failures)} failures:\n" + "\n".join(failures[:80])


async def test_no_api_operation_answers_5xx_or_an_unnamed_400_to_hostile_input(
    app: Litestar, client: AsyncClient, make_user: Any, db_session: AsyncSession
) -> None:
    """The whole /api surface, as a national administrator, in a rolled-back transaction."""
    doc = app.openapi_schema.to_schema()
    paths = sorted(p for p in doc["paths"] if not p.startswith("/sync/"))
    assert sum(len(doc["paths"][p]) for p in paths) >= 80
    _, admin = await make_user("administrator", NATIONAL_CODE)
    failures = await fuzz(client, doc, paths, admin, lambda: _row_counts(db_session))
    assert not failures, _report(failures)


async def test_no_sync_operation_answers_5xx_or_an_unnamed_400_to_hostile_input(
    committed_app: Litestar, committed_client: AsyncClient, engine: AsyncEngine,
    password_hash: str,
) -> None:
    """The sync endpoints own their transactions (and pull its isolation level), so they run
    on an app that commits; the tables are emptied afterwards."""
    doc = committed_app.openapi_schema.to_schema()
    paths = sorted(p for p in doc["paths"] if p.startswith("/sync/"))
    maker = create_session_maker(engine)
    async with maker() as session:
        token = await _device_token(session, _committed_user(session, password_hash))

    async def counts() -> dict[str, int]:
        async with maker() as session:
            return await _row_counts(session)

    failures = await fuzz(committed_client, doc, paths, {"Authorization": f"Bearer {token}"},
                          counts)
    assert not failures, _report(failures)


def _committed_user(session: AsyncSession, password_hash: str) -> Any:
    """``make_user``'s shape on a session that commits."""

    async def factory(role: str, unit_code: str, **_: Any) -> tuple[Any, dict[str, str]]:
        user = await UserService(session).create(
            username=f"{role}-{uuid.uuid4().hex[:8]}", password="unused-password",
            full_name="Fuzz", role=Role(role), unit_code=unit_code, password_hash=password_hash,
        )
        await session.commit()
        return user, {}

    return factory
