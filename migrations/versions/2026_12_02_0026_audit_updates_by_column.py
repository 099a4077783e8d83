"""Each audited table's updates audited column by column, not as two rows turned into JSON.

0022's ``audit_rows_updated`` serves every table with one function: it turns the old and the
new row into JSON and compares them key by key. For an ``f0_case`` that conversion alone cost
about 0.1 ms a row, twice per updated row: PostgreSQL 15 looks up each column's type on every
call, and a case's ``home_position`` becomes GeoJSON through PostGIS's cast, which queries
``spatial_ref_sys`` each time. An edit run of 100 cases spent 45 to 65 ms in its audit, most
of the UPDATE. Each audited table now has its own function, ``audit_<table>_updated``
(``domain.ddl.audit_update_function``), generated from its columns: each column is compared in
its own type (as text where that type's equality is not exact: geometry), and only the columns
that changed become JSON. The entries written do not change: one per changed row with the
changed columns before and after, ``delete`` for a soft delete, nothing for a row left as it
was, the whole new row for a row whose id changed. Measured on the bench's data: 100 cases'
phones in one statement, the audit 47-65 ms before, 12-17 ms after, with the same entries.

A migration that adds or drops a column of an audited table must regenerate that table's
function (``audit_update_function``); a test compares every function with its table.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.ddl import AUDIT_COLUMNS, audit_update_function, audit_update_function_name

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables whose updates a trigger named ``<table>_audit_update`` audits with ``function``.
_AUDITED = """
SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE t.tgname = c.relname || '_audit_update' AND t.tgfoid = CAST(:function AS regproc)
 ORDER BY c.relname
"""


def _tables(function: str) -> list[str]:
    return [r[0] for r in op.get_bind().execute(sa.text(_AUDITED), {"function": function})]


def _trigger(table: str, function: str) -> None:
    op.execute(f"DROP TRIGGER {table}_audit_update ON {table}")
    op.execute(f"CREATE TRIGGER {table}_audit_update AFTER UPDATE ON {table} "
               "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
               f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")


def upgrade() -> None:
    bind = op.get_bind()
    for table in _tables("audit_rows_updated"):
        columns = [tuple(r) for r in bind.execute(sa.text(AUDIT_COLUMNS), {"table": table})]
        op.execute(audit_update_function(table, columns))
        _trigger(table, audit_update_function_name(table))


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT c.relname, p.proname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgname = c.relname || '_audit_update' "
        "AND p.proname = 'audit_' || c.relname || '_updated' ORDER BY c.relname")).all()
    for table, function in rows:
        _trigger(table, "audit_rows_updated")
        op.execute(f"DROP FUNCTION {function}()")
