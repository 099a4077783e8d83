"""The reporting day and its deadline are Ho Chi Minh City's (UTC+7), whatever the server's
zone: 17:00 local is 10:00 UTC, and a UTC evening is already the next local day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.services.reports import ReportFigures, day_window, deadline_of, local_today, sum_figures


def test_the_local_day_turns_at_17_00_utc() -> None:
    assert local_today(datetime(2021, 8, 23, 16, 59, tzinfo=UTC)) == date(2021, 8, 23)
    assert local_today(datetime(2021, 8, 23, 17, 0, tzinfo=UTC)) == date(2021, 8, 24)


def test_the_deadline_is_17_00_local() -> None:
    assert deadline_of(date(2021, 8, 23)) == datetime(2021, 8, 23, 10, 0, tzinfo=UTC)
    start, end = day_window(date(2021, 8, 23))
    assert start == datetime(2021, 8, 22, 17, 0, tzinfo=UTC)
    assert (end - start).total_seconds() == 86_400


def test_a_level_sums_its_units_reports() -> None:
    a = ReportFigures(f0_under_care=10, died_today=1, stations_by_status={"active": 2},
                      stock_at_risk={"oxygen": 1})
    b = ReportFigures(f0_under_care=5, stations_by_status={"active": 1, "suspended": 1})
    total = sum_figures([a, b], expected=3)
    assert (total.f0_under_care, total.died_today) == (15, 1)
    assert total.stations_by_status == {"active": 3, "suspended": 1}
    assert total.stock_at_risk["oxygen"] == 1 and total.stock_at_risk["bag_a"] == 0
    assert (total.units_reported, total.units_expected) == (2, 3)
