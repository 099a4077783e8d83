"""The sync protocol's HTTP edge: the schema document, the conflict log, sync problems.

Push and pull bodies are the shared Structs of sync/wire.py; their handlers decode the body
themselves (gzip, JSON or MessagePack), so ``body_operation`` documents the request body that
Litestar cannot infer from the signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar.openapi.spec import Operation

from api.paging import Page, page_schema
from api.schemas.common import Problem
from domain.conflict_log import ConflictEntry
from domain.settings import Settings
from sync.codec import SUPPORTED_VERSIONS
from sync.registry import EntitySpec, FieldSpec, Registry
from sync.wire import JSON, MSGPACK, PROTOCOL_VERSION


class SchemaField(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    name: str
    type: str
    policy: str
    nullable: bool
    pushable: bool
    required_on_create: bool = False
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    values: list[str] | None = None
    # Every check the server applies to a pushed value beyond its type (msgspec/JSON Schema
    # names: pattern, min_length, max_length, ge, le; ``items`` for a list's elements).
    constraints: dict[str, Any] | None = None

    @classmethod
    def of(cls, f: FieldSpec) -> SchemaField:
        c = f.constraints
        return cls(name=f.name, type=f.type.value, policy=f.policy.value, nullable=f.nullable,
                   pushable=f.pushable, required_on_create=f.required,
                   max_length=c.get("max_length") if f.type.value == "string" else None,
                   minimum=c.get("ge"), maximum=c.get("le"), values=list(f.values) or None,
                   constraints=c or None)


class SchemaEntity(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    name: str
    kind: str
    scope: str
    push: bool
    deletes: str
    description: str
    fields: list[SchemaField]
    rules: dict[str, Any] | None = None  # checks across fields, e.g. value ranges per kind

    @classmethod
    def of(cls, e: EntitySpec) -> SchemaEntity:
        return cls(name=e.name, kind=e.kind.value, scope=e.scope.value, push=e.pushable,
                   deletes=e.deletes.value, description=e.description,
                   fields=[SchemaField.of(f) for f in e.fields],
                   rules=dict(e.rules) if e.rules else None)


class SyncSchema(msgspec.Struct, kw_only=True, frozen=True):
    """What syncs, how each field merges, and the limits a client must respect."""

    protocol: int
    supported_versions: list[int]
    clock_skew_ms: int
    max_push_mutations: int
    max_body_bytes: int
    entities: list[SchemaEntity]

    @classmethod
    def of(cls, registry: Registry, settings: Settings) -> SyncSchema:
        return cls(
            protocol=PROTOCOL_VERSION, supported_versions=list(SUPPORTED_VERSIONS),
            clock_skew_ms=settings.clock_skew_ms,
            max_push_mutations=settings.max_push_mutations,
            max_body_bytes=settings.max_body_bytes,
            entities=[SchemaEntity.of(e) for e in registry],
        )


SyncConflictPage = Annotated[Page[ConflictEntry], page_schema("SyncConflictPage")]


class SyncProblem(Problem, kw_only=True, frozen=True, omit_defaults=True):
    """problem+json of a refused sync request; 426 lists the protocol versions we speak.

    ``server_hlc`` and ``server_time`` are there as in every sync answer, so a device can
    observe the server clock and measure its own; ``server_hlc`` is left out when the database
    cannot be reached.
    """

    supported_versions: list[int] | None = None
    max_mutations: int | None = None
    server_hlc: str | None = None
    server_time: datetime | None = None


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """Replace msgspec's ``$defs`` references by the definitions (the wire types are acyclic)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return _inline(defs[ref.rsplit("/", 1)[1]], defs)
        return {k: _inline(v, defs) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


def body_operation(body_type: type[msgspec.Struct]) -> type[Operation]:
    """An Operation documenting ``body_type`` as a JSON or MessagePack request body."""
    full = msgspec.json.schema(body_type)
    inlined = _inline({"$ref": full["$ref"]}, full.get("$defs", {}))
    content = {t: {"schema": inlined} for t in (JSON, MSGPACK)}

    @dataclass
    class BodyOperation(Operation):
        def to_schema(self) -> dict[str, Any]:
            schema = super().to_schema()
            schema["requestBody"] = {
                "required": True, "content": content,
                "description": "JSON or MessagePack (Content-Type); may be gzip-compressed "
                               "(Content-Encoding: gzip).",
            }
            return schema

    return BodyOperation
