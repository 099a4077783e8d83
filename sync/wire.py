"""Wire types of the sync protocol, shared by the server and the reference client.

One definition on both sides means the contract cannot drift; the ``Meta`` constraints
let the server reject malformed batches during decoding, before touching the database.
Requests forbid unknown fields so a typo in a client surfaces as a 400 instead of being
silently ignored; responses omit unset optionals to stay small on slow links.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

import msgspec

from sync.hlc import HLC_PATTERN, MAX_MS

PROTOCOL_VERSION = 1
JSON = "application/json"
MSGPACK = "application/msgpack"
MAX_MUTATIONS_PER_PUSH = 1000
MAX_PULL_LIMIT = 5000
DEFAULT_PULL_LIMIT = 500
MAX_PULL_WAIT_MS = 30_000

Protocol = Annotated[int, msgspec.Meta(ge=1)]
EntityName = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{1,64}$")]  # "f0_case" has a digit
HLCString = Annotated[str, msgspec.Meta(pattern=HLC_PATTERN)]
# Times a device records from its own clock: the pushable datetime fields of the registry (a
# test checks). A device that finds its clock was wrong shifts them with its HLCs.
RECORDED_TIME_FIELDS = frozenset({"measured_at", "occurred_at", "given_at", "bag_a_given_at",
                                  "bag_b_given_at", "bag_c_given_at", "status_effective_at",
                                  "registered_at"})
ClockCorrection = Annotated[int, msgspec.Meta(ge=-MAX_MS, le=MAX_MS)]
Op = Literal["upsert", "delete"]
Status = Literal["applied", "duplicate", "merged", "rejected"]
Fields = dict[str, Any]


class Mutation(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """One local edit; ``id`` is the idempotency key, so retries must reuse it."""

    id: uuid.UUID
    entity: EntityName
    row_id: uuid.UUID
    op: Op
    hlc: HLCString
    author_id: uuid.UUID
    fields: Fields = {}  # an upsert carries only the fields it changes
    # Set by a device that re-stamped this mutation after the server found its clock wrong:
    # the milliseconds it shifted the mutation's own times by (sync/PROTOCOL.md §4).
    clock_correction_ms: ClockCorrection | None = None


class PushRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    protocol: Protocol
    device_id: uuid.UUID
    mutations: Annotated[list[Mutation], msgspec.Meta(max_length=MAX_MUTATIONS_PER_PUSH)]


class MutationResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Outcome for one mutation; ``current`` is the server row after a merge or rejection.

    Results are in request order. ``id`` is null only for a mutation whose own id could not
    be read; ``field`` names the value at fault when one is (``mutations[3].fields.phone``).
    """

    id: uuid.UUID | None
    status: Status
    code: str | None = None
    message: str | None = None
    field: str | None = None
    current: Fields | None = None


class PushResponse(msgspec.Struct, kw_only=True, omit_defaults=True):
    results: list[MutationResult]  # same order as the request's mutations
    server_hlc: HLCString
    server_time: datetime  # the server's wall clock, for a device to measure its own offset


class Change(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A row as it is now on the server (whole row, not a diff, so replays are harmless)."""

    entity: EntityName
    row_id: uuid.UUID
    op: Op
    fields: Fields


class PullRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    protocol: Protocol
    device_id: uuid.UUID
    cursor: str | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT
    # Long-poll: an empty page first waits up to this long for a change in the device's scope.
    wait_ms: Annotated[int, msgspec.Meta(ge=0, le=MAX_PULL_WAIT_MS)] = 0


class PullResponse(msgspec.Struct, kw_only=True, omit_defaults=True):
    """``has_more``/``reset`` have no defaults so they are always on the wire."""

    changes: list[Change]
    cursor: str
    has_more: bool
    server_hlc: HLCString
    reset: bool
    server_time: datetime  # the server's wall clock, for a device to measure its own offset


class SchemaEntity(msgspec.Struct, kw_only=True):
    """Client-side view of one schema entity; extra keys the server sends are ignored."""

    name: str


class SchemaSummary(msgspec.Struct, kw_only=True):
    """Client-side view of ``GET /sync/v1/schema`` (the client stores rows generically)."""

    protocol: int
    entities: list[SchemaEntity]


T = TypeVar("T")

_json_encoder = msgspec.json.Encoder()
_msgpack_encoder = msgspec.msgpack.Encoder()
_decoders: dict[tuple[Any, str], msgspec.json.Decoder[Any] | msgspec.msgpack.Decoder[Any]] = {}


class UnsupportedMediaType(ValueError):
    """Body format other than JSON or MessagePack (servers map this to 415)."""


def media_type(content_type: str | None) -> str:
    """Normalise a Content-Type/Accept value to JSON or MSGPACK (parameters ignored)."""
    base = (content_type or JSON).split(";", 1)[0].strip().lower()
    if base in (JSON, "application/problem+json", "*/*", "application/*"):
        return JSON
    if base in (MSGPACK, "application/x-msgpack", "application/vnd.msgpack"):
        return MSGPACK
    raise UnsupportedMediaType(base)


def encode(obj: Any, content_type: str = JSON) -> bytes:
    """Encode a Struct (or plain data) in the negotiated format."""
    if media_type(content_type) == MSGPACK:
        return _msgpack_encoder.encode(obj)
    return _json_encoder.encode(obj)


def decode(data: bytes, type: type[T], content_type: str = JSON) -> T:
    """Decode and validate; raises ``msgspec.ValidationError``/``DecodeError`` on bad input.

    Decoders are cached per (type, format) because building one compiles a validator.
    """
    fmt = media_type(content_type)
    key = (type, fmt)
    dec = _decoders.get(key)
    if dec is None:
        dec = msgspec.msgpack.Decoder(type) if fmt == MSGPACK else msgspec.json.Decoder(type)
        _decoders[key] = dec
    result: T = dec.decode(data)
    return result
