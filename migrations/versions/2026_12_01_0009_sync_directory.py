"""Sync: the ward's user directory as a synced entity, and feed notifications.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:00:00.000000

``app_user`` gets the sync columns, so a tablet offline from its first start knows whom it may
name as an author. Its ``scope_path`` is generated from ``unit_path`` (never written by
anyone), the ``sync_stamp`` trigger stamps every write, and existing rows are stamped once here
so they enter the feed. Only ``full_name``, ``role``, ``active`` and ``station_id`` are pulled
(sync/entities.py); no trigger copies anything else out of the row.

Every table the feed serves notifies ``sync_feed`` with ``<table> <scope_path>``, once per
distinct scope path a statement wrote (statement-level triggers over the transition table, so
a bulk insert of a thousand readings costs one notification per ward); PostgreSQL delivers
them at commit and folds identical payloads of one transaction. api/feed_hub.py listens and
wakes the long-polling pulls whose scope the change may reach.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from domain.ddl import create_sync_trigger, drop_sync_trigger

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables behind the synced entities (sync/entities.py, sync/supplies.py), as of this
# revision. A table that joins the feed later adds its two triggers in its own migration.
FEED_TABLES = [
    "admin_unit", "station", "care_team", "app_user", "f0_case", "case_status_event",
    "case_assignment", "observation", "alert", "catalog_item", "item_lot", "stock_location",
    "stock_movement", "requisition", "requisition_line", "requisition_event",
]

NOTIFY_FUNCTION = """
CREATE OR REPLACE FUNCTION notify_sync_feed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One message per distinct scope path the statement wrote; sent at commit.
    PERFORM pg_notify('sync_feed', TG_TABLE_NAME || ' ' || p.scope_path)
       FROM (SELECT DISTINCT scope_path FROM new_rows) p;
    RETURN NULL;
END
$$;
"""


def _notify_triggers(table: str) -> list[str]:
    # A trigger with transition tables may name one event only, hence two.
    return [
        f"CREATE TRIGGER {table}_feed_notify_{event.lower()} AFTER {event} ON {table} "
        f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION notify_sync_feed()"
        for event in ("INSERT", "UPDATE")
    ]


def upgrade() -> None:
    op.add_column("app_user", sa.Column(
        "scope_path", sa.String(length=64), sa.Computed("unit_path", persisted=True),
        nullable=False))
    op.add_column("app_user", sa.Column(
        "sync_txid", sa.BigInteger(), server_default=sa.text("0"), nullable=False))
    op.add_column("app_user", sa.Column(
        "sync_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False))
    op.add_column("app_user", sa.Column(
        "deleted", sa.Boolean(), server_default=sa.text("false"), nullable=False))
    op.add_column("app_user", sa.Column(
        "field_hlc", postgresql.JSONB(astext_type=sa.Text()),
        server_default=sa.text("'{}'::jsonb"), nullable=False))
    op.add_column("app_user", sa.Column(
        "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
        nullable=False))
    op.create_index("ix_app_user_feed", "app_user", ["sync_txid", "sync_version"], unique=False)
    op.create_index("ix_app_user_scope_feed", "app_user",
                    ["scope_path", "sync_txid", "sync_version"], unique=False)
    op.create_index("ix_app_user_scope_prefix", "app_user", ["scope_path"], unique=False,
                    postgresql_ops={"scope_path": "text_pattern_ops"})
    op.execute(create_sync_trigger("app_user"))
    # Existing users enter the feed (a row at position (0, 0) would never be pulled). The
    # audit trigger sees no change in this update, so it writes nothing.
    op.execute("UPDATE app_user SET deleted = deleted")

    op.execute(NOTIFY_FUNCTION)
    for table in FEED_TABLES:
        for statement in _notify_triggers(table):
            op.execute(statement)


def downgrade() -> None:
    for table in FEED_TABLES:
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_feed_notify_{event} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS notify_sync_feed()")

    op.execute(drop_sync_trigger("app_user"))
    op.drop_index("ix_app_user_scope_prefix", table_name="app_user",
                  postgresql_ops={"scope_path": "text_pattern_ops"})
    op.drop_index("ix_app_user_scope_feed", table_name="app_user")
    op.drop_index("ix_app_user_feed", table_name="app_user")
    for column in ("updated_at", "field_hlc", "deleted", "sync_version", "sync_txid",
                   "scope_path"):
        op.drop_column("app_user", column)
