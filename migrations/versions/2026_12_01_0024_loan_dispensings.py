"""Every loan is a dispensing: the loans ``POST /api/loans`` made before get their row.

A loan pushed by a tablet, or made with ``POST /api/dispensings``, was recorded twice over:
the loan and the dispensing of the case (what the household received, and when). One made
with ``POST /api/loans`` had the loan only, so the case's dispensings did not show it. That
endpoint now lends through the dispensing service; this revision writes the missing rows for
the loans before it, as the service would have: the dispensing's id is the loan's, and a
deleted loan's dispensing is deleted too.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 23:55:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
INSERT INTO dispensing (id, case_id, kind, given_at, location_id, item_id, serial_no, due_on,
                        loan_id, recorded_by, offline, scope_path, deleted)
SELECT l.id, l.case_id, 'loan', l.lent_at, l.station_location_id, l.item_id, u.serial_no,
       l.due_on, l.id, l.lent_by, false, l.scope_path, l.deleted
  FROM equipment_loan l JOIN equipment_unit u ON u.id = l.unit_id
 WHERE NOT EXISTS (SELECT 1 FROM dispensing d WHERE d.loan_id = l.id)
   AND NOT EXISTS (SELECT 1 FROM dispensing d WHERE d.id = l.id)
"""


def upgrade() -> None:
    op.execute(BACKFILL)


def downgrade() -> None:
    pass  # the rows are true records of the loans; nothing to undo
