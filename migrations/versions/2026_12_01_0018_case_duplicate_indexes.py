"""Indexes for the duplicate check every new case makes (domain/rules/duplicates.py).

The check reads the ward's live cases born the same year, or the cases with the same national
id in scope. Without an index on either it read the whole ward (12 ms for a ward of 5,800
cases, on every case a tablet or a login registers).

Revision ID: 0018
Revises: 0011
Create Date: 2026-12-01 15:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_f0_case_ward_birth_year", "f0_case", ["scope_path", "year_of_birth"])
    op.create_index("ix_f0_case_national_id", "f0_case", ["national_id"],
                    postgresql_where=sa.text("national_id IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_f0_case_national_id", table_name="f0_case")
    op.drop_index("ix_f0_case_ward_birth_year", table_name="f0_case")
