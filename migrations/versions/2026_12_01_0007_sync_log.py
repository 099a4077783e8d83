"""Sync: the mutation log keyed per device, with the content of each mutation; refusals in the
conflict log; device moves.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:00:00.000000

- A mutation id is an idempotency key of its device: ``sync_mutation``'s primary key becomes
  (device_id, id), so another device using the same id is not mistaken for a retry, and
  ``content_hash`` lets a reused id with other content be told from a retry (``immutable``).
  A mutation refused before its entity, row or author could be read is logged too, so those
  columns may be null.
- Every refused mutation goes to the conflict log with its values and the refusal's code and
  message; one whose row or author could not be read has them null. An edit wiped by a
  delete that wins is logged too, and it may have been an online edit (no device).
- ``device_move`` keeps the scope a device had before each move, so mutations it recorded
  before the move are judged against the ward where they were made.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LOG_NULLABLE = (("entity", sa.String(64)), ("row_id", sa.UUID()), ("op", sa.String(8)),
                 ("hlc", sa.String(21)), ("author_id", sa.UUID()))
_CONFLICT_NULLABLE = (("row_id", sa.UUID()), ("lost_hlc", sa.String(21)),
                      ("lost_author", sa.UUID()), ("lost_device", sa.UUID()))


def upgrade() -> None:
    op.drop_constraint("pk_sync_mutation", "sync_mutation", type_="primary")
    op.create_primary_key("pk_sync_mutation", "sync_mutation", ["device_id", "id"])
    op.add_column("sync_mutation", sa.Column("content_hash", sa.String(64), nullable=True))
    for name, type_ in _LOG_NULLABLE:
        op.alter_column("sync_mutation", name, existing_type=type_, nullable=True)
    op.add_column("sync_conflict", sa.Column("code", sa.String(40), nullable=True))
    op.add_column("sync_conflict", sa.Column("message", sa.Text(), nullable=True))
    for name, type_ in _CONFLICT_NULLABLE:
        op.alter_column("sync_conflict", name, existing_type=type_, nullable=True)
    op.create_table(
        "device_move",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.UUID(), nullable=False),
        sa.Column("from_station_id", sa.UUID(), nullable=False),
        sa.Column("from_scope_path", sa.String(64), nullable=False),
        sa.Column("to_station_id", sa.UUID(), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"],
                                name=op.f("fk_device_move_device_id_device"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_move")),
    )
    op.create_index(op.f("ix_device_move_device_id"), "device_move", ["device_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_device_move_device_id"), table_name="device_move")
    op.drop_table("device_move")
    op.execute("DELETE FROM sync_conflict WHERE row_id IS NULL OR lost_hlc IS NULL "
               "OR lost_author IS NULL OR lost_device IS NULL")
    for name, type_ in _CONFLICT_NULLABLE:
        op.alter_column("sync_conflict", name, existing_type=type_, nullable=False)
    op.drop_column("sync_conflict", "message")
    op.drop_column("sync_conflict", "code")
    op.execute("DELETE FROM sync_mutation WHERE entity IS NULL OR row_id IS NULL OR op IS NULL "
               "OR hlc IS NULL OR author_id IS NULL")
    for name, type_ in _LOG_NULLABLE:
        op.alter_column("sync_mutation", name, existing_type=type_, nullable=False)
    op.drop_column("sync_mutation", "content_hash")
    op.drop_constraint("pk_sync_mutation", "sync_mutation", type_="primary")
    # Ids were unique per device only: keep the first of each before the old key returns.
    op.execute("DELETE FROM sync_mutation a USING sync_mutation b "
               "WHERE a.id = b.id AND a.ctid > b.ctid")
    op.create_primary_key("pk_sync_mutation", "sync_mutation", ["id"])
