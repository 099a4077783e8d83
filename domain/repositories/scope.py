"""The one SQL shape of a scope check: a row's path is the unit's path or lies below it."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, or_

_PATH = re.compile(r"VN(\.[0-9]{1,8}){0,3}")


def escape_like(value: str) -> str:
    """Make ``%``, ``_`` and ``\\`` match themselves in a LIKE pattern (escape char ``\\``)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def in_scope(column: Any, unit_path: str) -> ColumnElement[bool]:
    """``column = p OR column LIKE p || '.%'``: both halves use the text_pattern_ops index."""
    return or_(column == unit_path, column.like(f"{escape_like(unit_path)}.%", escape="\\"))


def scope_sql(column: str, scope_path: str) -> str:
    """The scope test with the path written in: a prepared statement's generic plan cannot
    estimate ``LIKE $1`` and would nest-loop the whole city. Paths are checked first."""
    if not _PATH.fullmatch(scope_path):
        raise ValueError(f"not an administrative path: {scope_path!r}")
    return f"({column} = '{scope_path}' OR {column} LIKE '{scope_path}.%')"
