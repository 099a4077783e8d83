"""Audit trail and map notifications once per statement, over transition tables.

Revision ID: 0017
Revises: 0010
Create Date: 2026-12-01 12:30:00.000000

Every audited table's row-level ``audit_row`` trigger becomes two statement-level triggers
running ``audit_rows`` (domain/ddl.py), which writes the same entries with one
INSERT ... SELECT over the statement's rows: a push of 1,000 readings paid 1,000 PL/pgSQL calls
and 1,000 single-row INSERTs for its audit trail, and COPY of readings ran at less than half
its rate without the trigger (bench/results/push_notes.md). The audited tables are found in
the catalog (every table with an ``audit_row`` trigger), so tables audited by revisions merged
before this one are converted too.

The map's ``notify_station_changed`` row triggers on station, f0_case and alert become
statement-level too (``notify_stations_changed``): one ``pg_notify`` per distinct station a
statement touched, instead of one call per row.
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

from domain.ddl import (
    AUDIT_ROWS_FUNCTION,
    create_audit_trigger,
    create_audit_triggers,
    drop_audit_trigger,
    drop_audit_triggers,
)

revision: str = "0017"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the column naming the station a row belongs to (as in 0006)
NOTIFYING = {"station": "id", "f0_case": "station_id", "alert": "station_id"}

NOTIFY_FUNCTION = """
CREATE OR REPLACE FUNCTION notify_stations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    col text := coalesce(TG_ARGV[0], 'station_id');
    station text;
BEGIN
    -- A case moved to another station changes the load of both: old rows count too.
    IF TG_OP = 'UPDATE' THEN
        FOR station IN EXECUTE format(
            'SELECT DISTINCT s FROM (SELECT %1$I::text AS s FROM new_rows '
            'UNION ALL SELECT %1$I::text FROM old_rows) x WHERE s IS NOT NULL', col)
        LOOP
            PERFORM pg_notify('station_changed', station);
        END LOOP;
    ELSE
        FOR station IN EXECUTE format(
            'SELECT DISTINCT %1$I::text FROM new_rows WHERE %1$I IS NOT NULL', col)
        LOOP
            PERFORM pg_notify('station_changed', station);
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;
"""


def _audited(function: str) -> list[str]:
    rows = op.get_bind().execute(text(
        "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = :f AND NOT t.tgisinternal "
        "ORDER BY 1"), {"f": function})
    return [r[0] for r in rows]


def upgrade() -> None:
    op.execute(AUDIT_ROWS_FUNCTION)
    for table in _audited("audit_row"):
        op.execute(drop_audit_trigger(table))
        for statement in create_audit_triggers(table):
            op.execute(statement)
    op.execute(NOTIFY_FUNCTION)
    for table, column in NOTIFYING.items():
        op.execute(f"DROP TRIGGER IF EXISTS {table}_map_notify ON {table}")
        op.execute(
            f"CREATE TRIGGER {table}_map_notify_insert AFTER INSERT ON {table} "
            f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION notify_stations_changed('{column}')")
        op.execute(
            f"CREATE TRIGGER {table}_map_notify_update AFTER UPDATE ON {table} "
            f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION notify_stations_changed('{column}')")


def downgrade() -> None:
    for table, column in NOTIFYING.items():
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_map_notify_{event} ON {table}")
        op.execute(
            f"CREATE TRIGGER {table}_map_notify AFTER INSERT OR UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION notify_station_changed('{column}')")
    op.execute("DROP FUNCTION IF EXISTS notify_stations_changed()")
    for table in _audited("audit_rows"):
        for statement in drop_audit_triggers(table):
            op.execute(statement)
        op.execute(create_audit_trigger(table))
    op.execute("DROP FUNCTION IF EXISTS audit_rows()")
