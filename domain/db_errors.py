"""What kind of failure a database error is, read from its SQLSTATE (one classifier for all)."""

from __future__ import annotations

from typing import Literal

from sqlalchemy.exc import IntegrityError

# A transaction that lost a race, not a bad request: deadlock, serialization failure, lock
# timeout. Running it again is the cure.
TRANSIENT_STATES = frozenset({"40P01", "40001", "55P03"})

DbErrorKind = Literal["transient", "data", "integrity", "internal"]


def _chain(exc: BaseException) -> list[BaseException]:
    """The error and what it wraps (SQLAlchemy's ``orig``, asyncpg's ``__cause__``)."""
    out: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(out) < 6:
        out.append(seen)
        seen = seen.__cause__ or getattr(seen, "orig", None)
    return out


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a driver error, looking through its wrappers."""
    for seen in _chain(exc):
        state = getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None)
        if isinstance(state, str) and state:
            return state
    return None


def classify_db_error(exc: BaseException) -> DbErrorKind:
    """``transient`` (retry), ``data`` (a value PostgreSQL refused, class 22), ``integrity``
    (a constraint, class 23) or ``internal``."""
    state = sqlstate(exc) or ""
    if state in TRANSIENT_STATES:
        return "transient"
    if state.startswith("22") or any(type(e).__name__ == "DataError" for e in _chain(exc)):
        return "data"
    if state.startswith("23") or isinstance(exc, IntegrityError):
        return "integrity"
    return "internal"
