"""Administrative units: the search key keeps the full, short and English names apart.

The key was the three folded names joined by spaces, so "Xã Định Tân" held "dinh tan dinh tan"
and a search for "tan dinh" found it across the join. Now they are joined by `` | ``
(domain/admin_dataset.py ``search_key``); this rewrites the rows already loaded. No schema
change.

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-01 12:00:00.000000
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SPACES = re.compile(r"\s+")


def _fold(text: str) -> str:
    # domain/text.py fold as of this revision; a migration keeps its own copy so that a later
    # change to the application cannot change what this revision did.
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.lower()).strip()


def _rewrite(separator: str) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT code, name, short_name, name_en FROM admin_unit")).all()
    updates = [
        {"code": code, "key": separator.join(
            [_fold(name), _fold(short)] + ([_fold(en)] if en else [])
        )}
        for code, name, short, en in rows
    ]
    if updates:
        conn.execute(
            sa.text("UPDATE admin_unit SET search_name = :key "
                    "WHERE code = :code AND search_name IS DISTINCT FROM :key"),
            updates,
        )


def upgrade() -> None:
    _rewrite(" | ")


def downgrade() -> None:
    _rewrite(" ")
