"""Who is the same person, and when a patient under home care is overdue a reading."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

import pytest

from domain.models.enums import CaseStatus
from domain.rules.duplicates import name_key, normal_name, phone_key
from domain.rules.followup import READING_INTERVAL, UNDER_CARE, is_overdue, next_due

T0 = datetime(2021, 8, 5, 1, 30, tzinfo=UTC)


def test_names_are_stored_in_nfc_with_single_spaces() -> None:
    typed = unicodedata.normalize("NFD", "  Nguyễn   Thị  Ánh ")
    assert normal_name(typed) == unicodedata.normalize("NFC", "Nguyễn Thị Ánh")
    assert unicodedata.is_normalized("NFC", normal_name(typed))


def test_a_name_compares_without_case_diacritics_or_spacing() -> None:
    assert name_key("ĐẶNG  Thị Bích") == name_key(unicodedata.normalize("NFD", "đặng thị bích"))
    assert name_key("Đặng Thị Bích") == "dang thi bich"
    assert name_key("Trần Thị Bích") != name_key("Trần Thị Bình")


@pytest.mark.parametrize(("typed", "key"), [
    ("0903123456", "0903123456"), ("0903 123 456", "0903123456"),
    ("+84 903 123 456", "0903123456"), ("84903123456", "0903123456"),
    ("090-312-3456", "0903123456"), (None, None), ("", None),
])
def test_a_phone_compares_in_its_national_form(typed: str | None, key: str | None) -> None:
    assert phone_key(typed) == key


def test_a_patient_is_due_twelve_hours_after_the_later_of_reading_and_entry() -> None:
    assert timedelta(hours=12) == READING_INTERVAL
    assert next_due(None, T0) == T0 + READING_INTERVAL
    assert next_due(T0 + timedelta(hours=3), T0) == T0 + timedelta(hours=15)
    # a reading from before the patient came back home does not count
    assert next_due(T0 - timedelta(hours=30), T0) == T0 + READING_INTERVAL


def test_overdue_from_the_due_instant_on() -> None:
    due = next_due(T0, T0)
    assert not is_overdue(due, due - timedelta(microseconds=1))
    assert is_overdue(due, due)
    assert is_overdue(due, due + timedelta(days=1))
    assert not is_overdue(None, due), "not under care: never overdue"


def test_home_care_is_the_three_statuses_at_home() -> None:
    at_home = {CaseStatus.home_monitoring, CaseStatus.needs_attention,
               CaseStatus.transfer_requested}
    assert at_home == UNDER_CARE
