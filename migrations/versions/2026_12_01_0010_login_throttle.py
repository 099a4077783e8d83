"""Security: login throttling and single-use map-stream tickets.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True),
                  server_default=sa.text("now()"), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    op.create_table(
        "stream_ticket",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"],
                                name=op.f("fk_stream_ticket_user_id_app_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_stream_ticket")),
    )
    op.create_index(op.f("ix_stream_ticket_user_id"), "stream_ticket", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_stream_ticket_user_id"), table_name="stream_ticket")
    op.drop_table("stream_ticket")
    op.drop_table("login_throttle")
