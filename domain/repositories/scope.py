"""The one SQL shape of a scope check: a row's path is the unit's path or lies below it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_


def escape_like(value: str) -> str:
    """Make ``%``, ``_`` and ``\\`` match themselves in a LIKE pattern (escape char ``\\``)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def in_scope(column: Any, unit_path: str) -> ColumnElement[bool]:
    """``column = p OR column LIKE p || '.%'``: both halves use the text_pattern_ops index."""
    return or_(column == unit_path, column.like(f"{escape_like(unit_path)}.%", escape="\\"))
