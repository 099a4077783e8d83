"""The map hears the catalog and the units' names: ``station_changed`` ``all``, once a statement.

A catalog item's minimum, map key or name decides the stock state of every station; a unit's
name is in the feature of every station in it. Neither changes a station's row, so nothing
announced them: the map's kept features (api/map_cache.py) stayed as they were for up to 60 s
and the live map never heard. Statement-level triggers on each table now send the payload
``all`` (PostgreSQL folds a transaction's identical notifications into one) when a statement
inserted, updated or deleted a row (a statement that matched none, such as the catalog's
start-up upsert of nothing new, sends nothing), and on TRUNCATE. The live hub reads it as
"every station changed": it drops what it kept and tells open maps to reload their stations.

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
    -- A TRUNCATE has no transition table (the other events name theirs ``changed_rows``),
    -- so it takes a branch of its own: an expression is planned when it is first reached.
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('station_changed', 'all');
    ELSIF EXISTS (SELECT 1 FROM changed_rows) THEN
        PERFORM pg_notify('station_changed', 'all');
    END IF;
    RETURN NULL;
END
$$;
"""

# A transition table belongs to one event, so one trigger per event.
EVENTS = {"insert": ("INSERT", "REFERENCING NEW TABLE AS changed_rows"),
          "update": ("UPDATE", "REFERENCING NEW TABLE AS changed_rows"),
          "delete": ("DELETE", "REFERENCING OLD TABLE AS changed_rows"),
          "truncate": ("TRUNCATE", "")}


def upgrade() -> None:
    op.execute(FUNCTION)
    for table in TABLES:
        for name, (event, transition) in EVENTS.items():
            op.execute(f"CREATE TRIGGER {table}_map_notify_all_{name} AFTER {event} ON {table} "
                       f"{transition} FOR EACH STATEMENT "
                       "EXECUTE FUNCTION notify_all_stations_changed()")


def downgrade() -> None:
    for table in TABLES:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER {table}_map_notify_all_{event} ON {table}")
    op.execute("DROP FUNCTION notify_all_stations_changed()")
