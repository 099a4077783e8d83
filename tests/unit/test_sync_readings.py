"""Readings pushed by devices pass the same value checks as the observation service."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.errors import ValidationFailed
from domain.settings import VitalThresholds
from sync.apply_events import _reading
from sync.codec import Item
from sync.entities import OBSERVATION
from sync.wire import Mutation


def item(measured_at: datetime) -> Item:
    values = {"case_id": uuid.uuid4(), "kind": "spo2", "value": 97.0, "measured_at": measured_at}
    m = Mutation(id=uuid.uuid4(), entity="observation", row_id=uuid.uuid4(), op="upsert",
                 hlc="001700000000000-00000", author_id=uuid.uuid4(), fields={})
    return Item(0, m, OBSERVATION, values, content="")


def test_a_reading_without_a_time_zone_is_refused_as_by_the_service() -> None:
    with pytest.raises(ValidationFailed) as refused:
        _reading(item(datetime(2021, 8, 5, 8, 30)), VitalThresholds())
    assert refused.value.field == "measured_at"
    reading = _reading(item(datetime(2021, 8, 5, 8, 30, tzinfo=UTC)), VitalThresholds())
    assert reading.measured_at == datetime(2021, 8, 5, 8, 30, tzinfo=UTC)
