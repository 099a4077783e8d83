"""What syncs and how it merges: one declarative spec per entity, fields typed from the model.

A field's wire type and nullability come from its SQLAlchemy column, so the published schema,
the push validator and the pull query cannot disagree with the table; the spec adds only what
the table cannot say: the merge policy of each field, the scope a device pulls, and how a
pushed mutation is applied.
"""

from __future__ import annotations

import builtins
import enum
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args, get_origin

import msgspec
from geoalchemy2 import Geometry
from sqlalchemy import (
    ARRAY,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    String,
    Text,
)
from sqlalchemy import UUID as SA_UUID
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

from domain.contract import describe
from domain.geo import Point

if TYPE_CHECKING:
    from sync.context import Applier


class Policy(enum.StrEnum):
    """How concurrent writes to one field resolve (sync/PROTOCOL.md, "Merge policies")."""

    lww = "lww"  # last writer wins per field, by (HLC, device id)
    state_machine = "state_machine"  # a transition allowed from the server's current state
    append_only = "append_only"  # set once when the event is recorded; never changes
    create_only = "create_only"  # given when a device creates the row; fixed afterwards
    derived = "derived"  # computed by the server from other fields; never pushed
    read_only = "read_only"  # maintained by the server or other workflows; never pushed
    input = "input"  # goes with a creation or a transition; not a column, never pulled


PUSHABLE = frozenset({Policy.lww, Policy.state_machine, Policy.append_only, Policy.create_only,
                      Policy.input})
STAMPED = frozenset({Policy.lww, Policy.state_machine})  # carry an HLC in field_hlc


class Kind(enum.StrEnum):
    reference = "reference"  # pulled only
    record = "record"  # a row devices edit field by field
    event = "event"  # append-only: recorded once, never edited


class Scope(enum.StrEnum):
    """Which rows a device pulls, relative to its station's commune."""

    unit = "unit"  # rows of the device's commune
    district = "district"  # rows anywhere in the device's district
    lineage = "lineage"  # the district, its ancestors and everything below it
    # The lineage, but a household (it names a patient) only of the device's own commune.
    places = "places"


class Deletes(enum.StrEnum):
    none = "none"  # devices cannot delete; server-side deletes still reach them as tombstones
    tombstone_wins = "tombstone_wins"  # a delete is final: later updates are rejected


class FieldType(enum.StrEnum):
    uuid = "uuid"
    string = "string"
    int = "int"
    float = "float"
    bool = "bool"
    date = "date"
    datetime = "datetime"
    string_list = "string[]"
    point = "point"  # GeoJSON Point, [lon, lat]
    enum = "enum"
    json = "json"  # any JSON value; the domain service checks its shape


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: FieldType
    policy: Policy
    nullable: bool
    required: bool = False  # must be present when a device creates the row
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    values: tuple[str, ...] = ()  # members of an enum
    enum_class: builtins.type[enum.Enum] | None = field(default=None, compare=False)
    # The domain's constrained type of the field (domain/contract.py), when it has one: the
    # push validator converts to it, so sync refuses exactly what the API refuses.
    contract: Any = field(default=None, compare=False)

    @property
    def pushable(self) -> bool:
        return self.policy in PUSHABLE

    @property
    def constraints(self) -> dict[str, Any]:
        """What the server checks of a pushed value beyond its type, as the schema says it."""
        if self.contract is not None:
            return describe(self.contract)
        out: dict[str, Any] = {}
        if self.max_length is not None:
            out["max_length" if self.type is FieldType.string else "items"] = (
                self.max_length if self.type is FieldType.string
                else {"max_length": self.max_length})
        if self.minimum is not None:
            out["ge"] = self.minimum
        if self.maximum is not None:
            out["le"] = self.maximum
        return out

    def python_type(self) -> Any:
        """Type the push validator converts a pushed value to (constraints included)."""
        t: Any
        if self.contract is not None:
            t = self.contract
        elif self.type is FieldType.string:
            t = Annotated[str, msgspec.Meta(max_length=self.max_length)] if self.max_length else str
        elif self.type is FieldType.int:
            t = Annotated[int, msgspec.Meta(ge=self.minimum, le=self.maximum)]
        elif self.type is FieldType.enum:
            t = Literal[self.values]
        elif self.type is FieldType.string_list:
            item = Annotated[str, msgspec.Meta(max_length=self.max_length)]
            t = list[item] if self.max_length else list[str]
        elif self.type is FieldType.datetime:
            t = Annotated[datetime, msgspec.Meta(tz=True)]
        else:
            t = _SIMPLE[self.type]
        return t | None if self.nullable else t


_SIMPLE: dict[FieldType, Any] = {
    FieldType.uuid: uuid.UUID,
    FieldType.float: float,
    FieldType.bool: bool,
    FieldType.date: date,
    FieldType.point: Point,
    FieldType.json: Any,
}


@dataclass(frozen=True, eq=False)
class EntitySpec:
    """One synced entity. ``applier`` is None for pull-only entities (identity-hashed)."""

    name: str
    model: type[DeclarativeBase]
    kind: Kind
    scope: Scope
    fields: tuple[FieldSpec, ...]
    description: str
    applier: Applier | None = None
    deletes: Deletes = Deletes.none
    # Rules beyond single fields that a device can check before pushing (published as is).
    rules: Mapping[str, Any] | None = None
    by_name: Mapping[str, FieldSpec] = field(init=False, repr=False)
    push_type: type[msgspec.Struct] | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})
        pushable = [(f.name, f.python_type(), msgspec.UNSET) for f in self.fields if f.pushable]
        push_type = None
        if self.applier is not None and pushable:
            push_type = msgspec.defstruct(
                f"{self.name}_fields", pushable, kw_only=True, forbid_unknown_fields=True
            )
        object.__setattr__(self, "push_type", push_type)

    @property
    def stored(self) -> tuple[FieldSpec, ...]:
        """The fields that are columns (what a pull sends)."""
        return tuple(f for f in self.fields if f.policy is not Policy.input)

    @property
    def table(self) -> str:
        """The table behind the entity."""
        return str(self.model.__tablename__)

    @property
    def pushable(self) -> bool:
        return self.applier is not None

    def with_policy(self, *policies: Policy) -> list[FieldSpec]:
        """The fields merged by any of these policies."""
        return [f for f in self.fields if f.policy in policies]


def _column_type(column: Any) -> tuple[FieldType, dict[str, Any]]:
    t = column.type
    if isinstance(t, Geometry):
        return FieldType.point, {}
    if isinstance(t, JSONB):
        return FieldType.json, {}
    if isinstance(t, Enum):
        return FieldType.enum, {"values": tuple(t.enums), "enum_class": t.enum_class}
    if isinstance(t, ARRAY):
        return FieldType.string_list, {"max_length": getattr(t.item_type, "length", None)}
    if isinstance(t, SA_UUID):
        return FieldType.uuid, {}
    if isinstance(t, String) and not isinstance(t, Text):
        return FieldType.string, {"max_length": t.length}
    if isinstance(t, Text):
        return FieldType.string, {}
    for sa_type, ft in ((Boolean, FieldType.bool), (Integer, FieldType.int),
                        (Float, FieldType.float), (DateTime, FieldType.datetime),
                        (Date, FieldType.date)):
        if isinstance(t, sa_type):
            return ft, {}
    raise TypeError(f"no sync type for column {column.name} of type {t!r}")


def model_fields(
    model: type[DeclarativeBase],
    policies: Mapping[Policy, Iterable[str]],
    *,
    required: Sequence[str] = (),
    limits: Mapping[str, tuple[int, int]] | None = None,
    inputs: Sequence[str] = (),
    contract: Mapping[str, Any] | None = None,
) -> tuple[FieldSpec, ...]:
    """Field specs for the named columns of ``model``, in the order the policies list them,
    then the ``inputs`` (JSON values that go with a creation or a transition). ``contract``
    maps fields to their domain types (domain/contract.py), which then decide validity."""
    columns = model.__table__.columns
    specs: list[FieldSpec] = []
    for policy, names in policies.items():
        for name in names:
            column = columns[name]
            ftype, extra = _column_type(column)
            lo, hi = (limits or {}).get(name, (None, None))
            specs.append(FieldSpec(
                name=name, type=ftype, policy=policy, nullable=bool(column.nullable),
                required=name in required, minimum=lo, maximum=hi,
                contract=(contract or {}).get(name), **extra,
            ))
    for n in inputs:
        # An input is any JSON its service checks, unless the contract types it (a time).
        typed = (contract or {}).get(n)
        ftype = (FieldType.datetime if typed is not None and get_origin(typed) is Annotated
                 and get_args(typed)[0] is datetime else FieldType.json)
        specs.append(FieldSpec(name=n, type=ftype, policy=Policy.input, nullable=True,
                               required=n in required, contract=typed))
    missing = set(required) - {s.name for s in specs}
    if missing:
        raise ValueError(f"required fields without a policy: {sorted(missing)}")
    return tuple(specs)


class Registry:
    """The synced entities by name, in a fixed order (the order of the schema document)."""

    def __init__(self, entities: Sequence[EntitySpec]) -> None:
        self.entities = tuple(entities)
        self._by_name = {e.name: e for e in entities}
        self._by_table = {e.table: e for e in entities}

    def __getitem__(self, name: str) -> EntitySpec:
        return self._by_name[name]

    def get(self, name: str) -> EntitySpec | None:
        """The entity of that name, or None."""
        return self._by_name.get(name)

    def __iter__(self) -> Any:
        return iter(self.entities)

    @property
    def names(self) -> list[str]:
        """Entity names in registry order."""
        return [e.name for e in self.entities]

    @property
    def feed_shape(self) -> list[str]:
        """What the scope fingerprint covers: each entity with the scope rule it is pulled by,
        so a new entity or a changed scope rule resets the devices once."""
        return [f"{e.name}:{e.scope.value}" for e in self.entities]

    def by_table(self, table: str) -> EntitySpec | None:
        """The entity stored in that table, or None."""
        return self._by_table.get(table)
