"""Audit of updates and the map's notifications once per statement, not once per row.

A row trigger runs its function, its queries and its INSERT for every row an UPDATE touches:
for F0 cases that was about 0.13 ms a row for the audit (two ``jsonb_each`` queries, one
insert) and as much again for ``pg_notify`` of the same station over and over. An edit run of
a sync push (sync/apply_records.py) updates its rows in one statement, so both now run once
per statement over its transition tables (``REFERENCING OLD TABLE ... NEW TABLE``):

- ``<table>_audit_update`` (``audit_rows_updated``) writes exactly the rows ``audit_row``
  wrote for an UPDATE: one per changed row, the changed columns before and after, ``delete``
  for a soft delete, nothing for a row whose audited columns did not change. Rows are
  matched by ``id``, which never changes; a row whose id did change is still audited, with
  its whole new row and no ``before``.
- ``<table>_map_notify`` sends ``station_changed`` once per distinct station of the
  statement (before and after, so a case moved between stations names both). PostgreSQL
  folds identical payloads of a transaction into one anyway, so listeners see the same.

Inserts keep the row trigger ``<table>_audit`` (``audit_row``): done per statement it measured
no faster (the cost is the audit row itself), and slower for the one-row inserts most writes
are. Tables created after this revision take ``domain.ddl.audit_triggers``.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 17:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.ddl import AUDIT_UPDATED_FUNCTION, NOTIFY_STATIONS_FUNCTION

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the column naming the station its rows belong to, for every table whose map
# notification runs ``function`` (0006's row form, or this revision's statement form), read
# from the catalog like the audited tables below.
_NOTIFYING = """
SELECT c.relname, convert_from(substring(t.tgargs from 1 for position('\\x00'::bytea in t.tgargs) - 1),
                               'UTF8')
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE t.tgname = c.relname || '_map_notify' AND t.tgfoid = CAST(:function AS regproc)
 ORDER BY c.relname
"""

# Every table whose row trigger audit_row() audits inserts and updates, found in the catalog
# so that no audited table is missed.
_AUDITED = """
SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE t.tgname = c.relname || '_audit' AND t.tgfoid = 'audit_row'::regproc
 ORDER BY c.relname
"""


def _audited() -> list[str]:
    return [r[0] for r in op.get_bind().exec_driver_sql(_AUDITED)]


def _notifying(function: str) -> dict[str, str]:
    rows = op.get_bind().execute(sa.text(_NOTIFYING), {"function": function})
    return {r[0]: r[1] for r in rows}


def upgrade() -> None:
    op.execute(AUDIT_UPDATED_FUNCTION)
    op.execute(NOTIFY_STATIONS_FUNCTION)
    for table in _audited():
        op.execute(f"DROP TRIGGER {table}_audit ON {table}")
        op.execute(f"CREATE TRIGGER {table}_audit AFTER INSERT ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION audit_row()")
        op.execute(f"CREATE TRIGGER {table}_audit_update AFTER UPDATE ON {table} "
                   "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_rows_updated()")
    for table, column in _notifying("notify_station_changed").items():
        op.execute(f"DROP TRIGGER {table}_map_notify ON {table}")
        op.execute(f"CREATE TRIGGER {table}_map_notify AFTER INSERT ON {table} "
                   "REFERENCING NEW TABLE AS new_rows "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION notify_stations_changed('{column}')")
        op.execute(f"CREATE TRIGGER {table}_map_notify_update AFTER UPDATE ON {table} "
                   "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION notify_stations_changed('{column}')")


def downgrade() -> None:
    for table, column in _notifying("notify_stations_changed").items():
        op.execute(f"DROP TRIGGER {table}_map_notify_update ON {table}")
        op.execute(f"DROP TRIGGER {table}_map_notify ON {table}")
        op.execute(f"CREATE TRIGGER {table}_map_notify AFTER INSERT OR UPDATE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION notify_station_changed('{column}')")
    for table in _audited():
        op.execute(f"DROP TRIGGER {table}_audit_update ON {table}")
        op.execute(f"DROP TRIGGER {table}_audit ON {table}")
        op.execute(f"CREATE TRIGGER {table}_audit AFTER INSERT OR UPDATE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION audit_row()")
    op.execute("DROP FUNCTION notify_stations_changed()")
    op.execute("DROP FUNCTION audit_rows_updated()")
