"""The one classifier of database errors, read from the SQLSTATE through the driver wrappers."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from domain.db_errors import classify_db_error


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"pg {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "kind"),
    [
        ("40P01", "transient"),  # deadlock detected
        ("40001", "transient"),  # serialization failure
        ("55P03", "transient"),  # lock not available (lock_timeout)
        ("22003", "data"),  # numeric value out of range
        ("22021", "data"),  # character not in repertoire (NUL)
        ("23505", "integrity"),  # unique violation
        ("57014", "internal"),  # query cancelled
    ],
)
def test_sqlstates_are_classified(sqlstate: str, kind: str) -> None:
    assert classify_db_error(DBAPIError("SELECT 1", {}, _PgError(sqlstate))) == kind


def test_the_state_is_found_through_a_cause_chain() -> None:
    inner = _PgError("40P01")
    outer = RuntimeError("driver wrapper")
    outer.__cause__ = inner
    assert classify_db_error(DBAPIError("SELECT 1", {}, outer)) == "transient"
