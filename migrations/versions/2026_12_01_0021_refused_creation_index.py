"""An index for "was this row's creation refused?" (sync/queries.py ``refused_creation``).

Every row a push creates asks it, so that an edit of a row whose creation the server refused
is refused too, naming the refusal. Without an index it read the device's whole log through
the primary key's ``device_id`` prefix: 25 ms a new row for a tablet with a few thousand
mutations logged, growing with every push. Refusals are rare, so the partial index is small.

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-01 17:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_sync_mutation_refused_row", "sync_mutation", ["device_id", "row_id"],
                    postgresql_where=sa.text("status = 'rejected' AND op = 'upsert'"))


def downgrade() -> None:
    op.drop_index("ix_sync_mutation_refused_row", table_name="sync_mutation")
