"""Bodies of the sync endpoints: gzip, JSON or MessagePack, limits, and static validation.

Everything here runs before the database is touched, so a batch that is malformed anywhere
is refused whole (400/413/415/426) and nothing from it is applied.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

from sync.errors import (
    BadSyncRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    UnsupportedProtocol,
)
from sync.registry import Deletes, EntitySpec, FieldType, Kind, Registry
from sync.wire import (
    JSON,
    MSGPACK,
    PROTOCOL_VERSION,
    Mutation,
    PullRequest,
    PushRequest,
    decode,
    media_type,
)
from sync.wire import UnsupportedMediaType as WireUnsupportedMediaType

SUPPORTED_VERSIONS = (PROTOCOL_VERSION,)
T = TypeVar("T")


class _Envelope(msgspec.Struct):
    """The parts checked before a full decode: version first, then batch size."""

    protocol: Any = None
    mutations: list[msgspec.Raw] | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """One validated mutation: its position in the batch and its pushed values, typed."""

    index: int
    mutation: Mutation
    spec: EntitySpec
    values: dict[str, Any]


def request_body(raw: bytes, content_encoding: str | None, max_bytes: int) -> bytes:
    """Undo gzip (bounded, so a small bomb cannot expand past the body limit)."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        return raw
    if encoding != "gzip":
        raise UnsupportedMediaType(f"content encoding {encoding!r} is not supported; use gzip")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(raw, max_bytes + 1)
    except zlib.error as exc:
        raise BadSyncRequest(f"the gzip body is corrupt: {exc}", field="body") from exc
    if len(body) > max_bytes or inflater.unconsumed_tail:
        raise PayloadTooLarge(f"the body inflates past {max_bytes} bytes", field="body")
    return body


def body_format(content_type: str | None) -> str:
    """JSON or MessagePack from a Content-Type; 415 for anything else."""
    try:
        return media_type(content_type)
    except WireUnsupportedMediaType as exc:
        raise UnsupportedMediaType(
            f"content type {exc} is not supported; use {JSON} or {MSGPACK}", field="body"
        ) from exc


def response_format(accept: str | None) -> str:
    """MessagePack when the client lists it, JSON otherwise."""
    return MSGPACK if accept and "msgpack" in accept.lower() else JSON


def _field_of(exc: msgspec.ValidationError, prefix: str = "") -> str | None:
    msg = str(exc)
    if "at `$." in msg:
        return prefix + msg.split("at `$.", 1)[1].rstrip("`")
    if "at `$[" in msg:
        return prefix.rstrip(".") + msg.split("at `$", 1)[1].rstrip("`")
    return prefix.rstrip(".") or None


def _decode(body: bytes, type_: type[T], fmt: str) -> T:
    try:
        return decode(body, type_, fmt)
    except msgspec.ValidationError as exc:
        raise BadSyncRequest(str(exc), field=_field_of(exc)) from exc
    except msgspec.DecodeError as exc:
        raise BadSyncRequest(f"the body is not valid {fmt}: {exc}", field="body") from exc


def _check_protocol(protocol: Any) -> None:
    if not isinstance(protocol, int) or isinstance(protocol, bool):
        raise BadSyncRequest("`protocol` must be an integer", field="protocol")
    if protocol not in SUPPORTED_VERSIONS:
        raise UnsupportedProtocol(
            f"protocol {protocol} is not supported", field="protocol",
            supported_versions=list(SUPPORTED_VERSIONS),
        )


def decode_pull(body: bytes, fmt: str) -> PullRequest:
    """Decode a pull request, checking its protocol version first."""
    _check_protocol(_decode(body, _Envelope, fmt).protocol)
    return _decode(body, PullRequest, fmt)


def decode_push(
    body: bytes, fmt: str, registry: Registry, max_mutations: int
) -> tuple[PushRequest, list[Item]]:
    """Decode and validate a push, or raise a whole-batch error."""
    envelope = _decode(body, _Envelope, fmt)
    _check_protocol(envelope.protocol)
    if envelope.mutations is not None and len(envelope.mutations) > max_mutations:
        raise PayloadTooLarge(
            f"{len(envelope.mutations)} mutations in one push; at most {max_mutations}",
            field="mutations", max_mutations=max_mutations,
        )
    request = _decode(body, PushRequest, fmt)
    return request, [validate(i, m, registry) for i, m in enumerate(request.mutations)]


def _nul_at(value: Any, path: str) -> str | None:
    """Where a string under ``value`` holds a NUL, which PostgreSQL text and jsonb refuse."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                return path
            if (where := _nul_at(item, f"{path}.{key}")) is not None:
                return where
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if (where := _nul_at(item, f"{path}[{i}]")) is not None:
                return where
    return None


def validate(index: int, m: Mutation, registry: Registry) -> Item:
    """Static checks of one mutation against the registry (no database)."""
    at = f"mutations[{index}]"
    spec = registry.get(m.entity)
    if spec is None:
        raise BadSyncRequest(f"unknown entity `{m.entity}`", field=f"{at}.entity")
    if spec.push_type is None:
        raise BadSyncRequest(f"`{m.entity}` is pull-only", field=f"{at}.entity")
    if m.op == "delete":
        if spec.deletes is Deletes.none:
            what = "append-only" if spec.kind is Kind.event else "not deletable by devices"
            raise BadSyncRequest(f"`{m.entity}` is {what}", field=f"{at}.op")
        if m.fields:
            raise BadSyncRequest("a delete carries no fields", field=f"{at}.fields")
        return Item(index, m, spec, {})
    if not m.fields:
        raise BadSyncRequest("an upsert carries at least one field", field=f"{at}.fields")
    if spec.kind is Kind.event:  # an event is always sent whole
        missing = [f.name for f in spec.fields if f.required and f.name not in m.fields]
        if missing:
            raise BadSyncRequest(f"an `{m.entity}` needs {', '.join(missing)}",
                                 field=f"{at}.fields.{missing[0]}")
    for name in m.fields:
        f = spec.by_name.get(name)
        if f is None:
            raise BadSyncRequest(
                f"unknown field `{name}` of `{m.entity}`", field=f"{at}.fields.{name}"
            )
        if not f.pushable:
            raise BadSyncRequest(
                f"`{m.entity}.{name}` is {f.policy.value}: the server maintains it",
                field=f"{at}.fields.{name}",
            )
    for name, value in m.fields.items():
        if (where := _nul_at(value, f"{at}.fields.{name}")) is not None:
            raise BadSyncRequest("text may not contain the NUL character (U+0000)", field=where)
    try:
        typed = msgspec.convert(m.fields, spec.push_type)
    except msgspec.ValidationError as exc:
        raise BadSyncRequest(str(exc), field=_field_of(exc, f"{at}.fields.")) from exc
    values = {}
    for name in m.fields:
        value = getattr(typed, name)
        f = spec.by_name[name]
        if value is not None and f.type is FieldType.enum and f.enum_class is not None:
            value = f.enum_class(value)
        values[name] = value
    return Item(index, m, spec, values)
