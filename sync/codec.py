"""Bodies of the sync endpoints: gzip, JSON or MessagePack, limits, and static validation.

Everything here runs before the database is touched. A problem of the envelope (protocol,
device id, body format or size, a ``mutations`` that is not a list) refuses the request
(400/413/415/426) and nothing from it is applied. A problem of one mutation (a wrong type, an
unknown field, a field the server maintains) refuses that mutation alone (``Refused``), so one
bad value in an outbox never blocks the mutations queued behind it.
"""

from __future__ import annotations

import hashlib
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
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


class _PushEnvelope(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A push with its mutations still undecoded: each is judged on its own."""

    protocol: int
    device_id: uuid.UUID
    mutations: list[msgspec.Raw]


class _TypedPush(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A push whose mutations all decode: the common case, decoded in one call."""

    protocol: int
    device_id: uuid.UUID
    mutations: list[Mutation]


class _MutationId(msgspec.Struct):
    """Just the id of a mutation that did not decode, to name it in its result."""

    id: Any = None


@dataclass(frozen=True, slots=True)
class Item:
    """One validated mutation: its position in the batch and its pushed values, typed.

    ``content`` is the hash a retry must match (section 4 of PROTOCOL.md): the mutation
    without its HLC, values in a canonical form, so a JSON push retried as MessagePack, or
    re-stamped after a clock correction, is still the same mutation.
    """

    index: int
    mutation: Mutation
    spec: EntitySpec
    values: dict[str, Any]
    content: str


@dataclass(frozen=True, slots=True)
class Refused:
    """A mutation refused by the static checks, with the field at fault.

    ``mutation`` is None when the mutation itself did not decode; ``id`` is then its id if
    that much could be read. ``raw`` is what the device sent, kept in the conflict log.
    """

    index: int
    id: uuid.UUID | None
    mutation: Mutation | None
    field: str
    message: str
    raw: Any
    content: str


@dataclass(frozen=True, slots=True)
class PushBatch:
    """A decoded push: the device it names and, in request order, its mutations."""

    device_id: uuid.UUID
    entries: list[Item | Refused]

    @property
    def items(self) -> list[Item]:
        return [e for e in self.entries if isinstance(e, Item)]


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
    except UnicodeDecodeError as exc:
        raise BadSyncRequest(f"the body is not valid UTF-8 (byte {exc.start})",
                             field="body") from None
    except RecursionError:
        raise BadSyncRequest("the body nests too deeply", field="body") from None


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


def decode_push(body: bytes, fmt: str, registry: Registry, max_mutations: int) -> PushBatch:
    """Decode a push: whole-request problems raise, each mutation is judged on its own."""
    envelope = _decode(body, _Envelope, fmt)
    _check_protocol(envelope.protocol)
    if envelope.mutations is not None and len(envelope.mutations) > max_mutations:
        raise PayloadTooLarge(
            f"{len(envelope.mutations)} mutations in one push; at most {max_mutations}",
            field="mutations", max_mutations=max_mutations,
        )
    try:  # every mutation well formed: one decode, then each judged against the registry
        typed = decode(body, _TypedPush, fmt)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        pass  # below, mutation by mutation, so each malformed one is refused alone
    else:
        return PushBatch(typed.device_id, [
            _validated(i, m, registry) for i, m in enumerate(typed.mutations)
        ])
    request = _decode(body, _PushEnvelope, fmt)
    return PushBatch(request.device_id, [
        _judge(i, raw, fmt, registry) for i, raw in enumerate(request.mutations)
    ])


def _validated(index: int, m: Mutation, registry: Registry) -> Item | Refused:
    try:
        return validate(index, m, registry)
    except BadSyncRequest as exc:
        plain = msgspec.to_builtins(m)
        return Refused(index, m.id, m, exc.field or f"mutations[{index}]", exc.detail, plain,
                       _hash(plain))


def _judge(index: int, raw: msgspec.Raw, fmt: str, registry: Registry) -> Item | Refused:
    at = f"mutations[{index}]"
    try:
        m = decode(bytes(raw), Mutation, fmt)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError,
            RecursionError) as exc:
        plain = _plain(raw, fmt)
        ident = plain.get("id") if isinstance(plain, dict) else None
        where = _field_of(exc, f"{at}.") if isinstance(exc, msgspec.ValidationError) else None
        return Refused(index, _uuid_or_none(ident), None, where or at, str(exc), plain,
                       _hash(plain))
    return _validated(index, m, registry)


def _plain(raw: msgspec.Raw, fmt: str) -> Any:
    """A mutation that did not decode as a Mutation, as plain data (or its text)."""
    try:
        return decode(bytes(raw), Any, fmt)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return bytes(raw).decode("utf-8", "replace")


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if isinstance(value, str) else None
    except ValueError:
        return None


_sorted_json = msgspec.json.Encoder(order="sorted")


def _hash(value: Any) -> str:
    """SHA-256 of a value as sorted JSON (what a refused, undecodable mutation is kept by)."""
    return hashlib.sha256(_sorted_json.encode(value)).hexdigest()


def content_hash(m: Mutation, values: dict[str, Any]) -> str:
    """What identifies a mutation's content: all but its HLC (and clock correction), its
    typed values as sorted JSON, encoded in C; times in UTC, so a JSON push retried as
    MessagePack (whose timestamps carry no offset) is the same mutation."""
    fields = {k: v.astimezone(UTC) if isinstance(v, datetime) and v.tzinfo else v
              for k, v in values.items()}
    return _hash({"entity": m.entity, "row_id": m.row_id, "op": m.op,
                  "author_id": m.author_id, "fields": fields})


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


# Field sets (the entity's spec, names in order) that passed ``_check_shape``: a batch of a
# thousand readings carries one or two, so the checks of their names run once, not per
# mutation. Keyed by the spec's id and holding the spec, so a spec never passes for another.
_SHAPES_CHECKED: dict[tuple[int, tuple[str, ...]], EntitySpec] = {}
_MAX_SHAPES = 4096


def _check_shape(at: str, m: Mutation, spec: EntitySpec) -> None:
    """The names of an upsert's fields: all known and pushable, an event's required ones
    there (an event is always sent whole)."""
    if spec.kind is Kind.event:
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
        return Item(index, m, spec, {}, content_hash(m, {}))
    if not m.fields:
        raise BadSyncRequest("an upsert carries at least one field", field=f"{at}.fields")
    shape = (id(spec), tuple(m.fields))
    if _SHAPES_CHECKED.get(shape) is not spec:
        _check_shape(at, m, spec)
        if len(_SHAPES_CHECKED) >= _MAX_SHAPES:
            _SHAPES_CHECKED.clear()
        _SHAPES_CHECKED[shape] = spec
    for name, value in m.fields.items():
        if type(value) is str:
            if "\x00" in value:
                raise BadSyncRequest("text may not contain the NUL character (U+0000)",
                                     field=f"{at}.fields.{name}")
        elif (where := _nul_at(value, f"{at}.fields.{name}")) is not None:
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
    return Item(index, m, spec, values, content_hash(m, values))
