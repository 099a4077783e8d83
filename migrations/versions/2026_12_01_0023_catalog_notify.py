"""The map hears the catalog and the units' names: ``station_changed`` ``all``, once a statement.

A catalog item's minimum, map key or name decides the stock state of every station; a unit's
name is in the feature of every station in it. Neither changes a station's row, so nothing
announced them: the map's kept features (api/map_cache.py) stayed as they were for up to 60 s
and the live map never heard. A statement-level trigger on each table now sends the payload
``all`` (PostgreSQL folds a transaction's identical notifications into one), which the live
hub reads as "every station changed": it drops what it kept and tells open maps to reload.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 23:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("catalog_item", "admin_unit")

FUNCTION = """
CREATE OR REPLACE FUNCTION notify_all_stations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('station_changed', 'all');
    RETURN NULL;
END
$$;
"""


def upgrade() -> None:
    op.execute(FUNCTION)
    for table in TABLES:
        op.execute(f"CREATE TRIGGER {table}_map_notify_all "
                   f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION notify_all_stations_changed()")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_map_notify_all ON {table}")
    op.execute("DROP FUNCTION notify_all_stations_changed()")
