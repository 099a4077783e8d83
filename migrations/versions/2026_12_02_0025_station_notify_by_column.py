"""The map's notification reads the station column itself, not the row turned into JSON.

0022's ``notify_stations_changed`` found the station through ``to_jsonb(row) ->> column`` so
that one function with static SQL could serve every table. Turning a whole row into JSON
converts every column, a case's ``home_position`` to GeoJSON among them: about 0.3 ms a row,
for old and new rows alike, which made the notification as dear as the UPDATE itself (an
edit run of 8 cases: 2.4 ms of its 6 ms). The function now names the column in static SQL,
one branch per column the triggers pass (``station_id``; ``id`` for the station itself).
PL/pgSQL compiles a trigger function once per trigger, so each branch is planned against its
own table. A column no branch names still takes the JSON form, so a future table is
notified, only slower. What is sent does not change: one ``station_changed`` per distinct
station of the statement, before and after.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 01:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

from domain.ddl import NOTIFY_STATIONS_FUNCTION as BEFORE

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE OR REPLACE FUNCTION notify_stations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- TG_ARGV[0] names the station column. Each statement is planned when first reached, per
    -- trigger, so a branch naming a column runs only on tables that have it.
    IF TG_ARGV[0] = 'station_id' AND TG_OP = 'UPDATE' THEN
        PERFORM pg_notify('station_changed', s::text)
           FROM (SELECT n.station_id FROM new_rows n
                 UNION SELECT o.station_id FROM old_rows o) t(s)
          WHERE s IS NOT NULL;
    ELSIF TG_ARGV[0] = 'station_id' THEN
        PERFORM pg_notify('station_changed', s::text)
           FROM (SELECT DISTINCT n.station_id FROM new_rows n) t(s)
          WHERE s IS NOT NULL;
    ELSIF TG_ARGV[0] = 'id' AND TG_OP = 'UPDATE' THEN
        PERFORM pg_notify('station_changed', s::text)
           FROM (SELECT n.id FROM new_rows n UNION SELECT o.id FROM old_rows o) t(s)
          WHERE s IS NOT NULL;
    ELSIF TG_ARGV[0] = 'id' THEN
        PERFORM pg_notify('station_changed', s::text)
           FROM (SELECT DISTINCT n.id FROM new_rows n) t(s)
          WHERE s IS NOT NULL;
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM pg_notify('station_changed', s)
           FROM (SELECT to_jsonb(n) ->> TG_ARGV[0] FROM new_rows n
                 UNION SELECT to_jsonb(o) ->> TG_ARGV[0] FROM old_rows o) t(s)
          WHERE s IS NOT NULL;
    ELSE
        PERFORM pg_notify('station_changed', s)
           FROM (SELECT DISTINCT to_jsonb(n) ->> TG_ARGV[0] FROM new_rows n) t(s)
          WHERE s IS NOT NULL;
    END IF;
    RETURN NULL;
END
$$;
"""


def upgrade() -> None:
    op.execute(FUNCTION)


def downgrade() -> None:
    op.execute(BEFORE)
