"""Map live updates: tell listeners which station changed, whoever wrote (API or sync).

Revision ID: 0006
Revises: 0005
Depends on: 0003 (stock_balance, whose changes move a station's stock state)
Create Date: 2026-11-23 07:00:00.000000

Every committed write to a station, its F0 cases, its alerts or its stock balance sends
``pg_notify('station_changed', <station id>)``; PostgreSQL delivers it at commit and folds
identical payloads of one transaction into one, so a bulk sync push costs one message per
station. Another table with a station id column joins with
``CREATE TRIGGER <t>_map_notify AFTER INSERT OR UPDATE ON <t> FOR EACH ROW
EXECUTE FUNCTION notify_station_changed('<its station id column>')``.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the column naming the station a row belongs to
NOTIFYING = {"station": "id", "f0_case": "station_id", "alert": "station_id"}

NOTIFY_FUNCTION = """
CREATE OR REPLACE FUNCTION notify_station_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    col text := coalesce(TG_ARGV[0], 'station_id');
    new_id text := to_jsonb(NEW) ->> col;
    old_id text;
BEGIN
    IF new_id IS NOT NULL THEN
        PERFORM pg_notify('station_changed', new_id);
    END IF;
    -- A case moved to another station changes the load of both.
    IF TG_OP = 'UPDATE' THEN
        old_id := to_jsonb(OLD) ->> col;
        IF old_id IS NOT NULL AND old_id IS DISTINCT FROM new_id THEN
            PERFORM pg_notify('station_changed', old_id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
"""

# Stock is held by a location; only a station's own location moves a station's marker.
STOCK_NOTIFY_FUNCTION = """
CREATE OR REPLACE FUNCTION notify_station_stock_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    station text;
BEGIN
    SELECT l.station_id::text INTO station FROM stock_location l
     WHERE l.id = NEW.location_id AND l.kind = 'station';
    IF station IS NOT NULL THEN
        PERFORM pg_notify('station_changed', station);
    END IF;
    RETURN NULL;
END
$$;
"""


def upgrade() -> None:
    op.execute(NOTIFY_FUNCTION)
    for table, column in NOTIFYING.items():
        op.execute(
            f"CREATE TRIGGER {table}_map_notify AFTER INSERT OR UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION notify_station_changed('{column}')"
        )
    op.execute(STOCK_NOTIFY_FUNCTION)
    op.execute(
        "CREATE TRIGGER stock_balance_map_notify AFTER INSERT OR UPDATE ON stock_balance "
        "FOR EACH ROW EXECUTE FUNCTION notify_station_stock_changed()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS stock_balance_map_notify ON stock_balance")
    op.execute("DROP FUNCTION IF EXISTS notify_station_stock_changed()")
    for table in NOTIFYING:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_map_notify ON {table}")
    op.execute("DROP FUNCTION IF EXISTS notify_station_changed()")
