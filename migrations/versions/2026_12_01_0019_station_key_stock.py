"""The map's key stock, kept per station by statement-level triggers on the stock tables.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 18:00:00.000000

The coordinator map shows, for each of 436 stations, each key supply's quantity on hand and
its daily need (the larger of the last 7 days' issues and transfers out per day, and open
cases times the daily use per case). Summing them from ``stock_balance`` and the ledger for
every request was two thirds of the map's statement (bench/results/map_notes.md, third pass):
the cost was pivoting some 20,000 rows by key, not reading them. So the figures are kept
already pivoted, one array slot per key supply (``map_key_slots()``, the order of KEY_ITEMS
in domain/repositories/stock.py, which a test holds to it):

* ``station_key_stock``: per station, the balances summed per key (kept from
  ``stock_balance``, so the map's quantity is what it always read, whoever writes balances);
* ``station_key_issues``: per station and UTC day, the quantities issued or transferred out
  per key (kept from ``stock_movement``). The map sums the whole days after the window's
  first day and reads the ledger itself for the movements of that first day since the
  window's start, so the 7-day figure is exact to the instant, as the dashboards count it.

Whoever writes (API, sync push, demo loader, receipts, dispensing, loans, losses, counts,
adjustments, transfers), AFTER INSERT / UPDATE / DELETE triggers FOR EACH STATEMENT with
transition tables add the change: a bulk insert of a thousand rows costs one upsert per
station touched, in station order, and a balance locked but not moved touches nothing.
Writers of a station hold its unit's advisory lock already (domain/repositories/
write_locks.py), after which they lock its balance rows and then these, so the rows add no
new wait and no new lock order. A catalog edit of a ``map_key`` or ``deleted``, or a stock
location given to another station, rebuilds both tables: rare, and the only way stock
changes key or station.
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The key supplies, in their slot order: KEY_ITEMS as of this migration (a later change of
# KEY_ITEMS needs a migration that replaces map_key_slots() and rebuilds; a test checks).
KEYS = ("bag_a", "bag_b", "bag_c", "rapid_test", "spo2_meter", "bp_meter", "oxygen",
        "o2_concentrator")
ISSUES = "('issue', 'transfer_out')"

FUNCTIONS = [f"""
CREATE OR REPLACE FUNCTION map_key_slots() RETURNS text[] LANGUAGE sql IMMUTABLE AS
$$ SELECT ARRAY[{", ".join(f"'{k}'" for k in KEYS)}]::text[] $$
"""]


def _slots(value: str, type_: str) -> str:
    """One array of ``len(KEYS)`` sums of ``value`` by slot, over rows with a ``slot``."""
    return "ARRAY[" + ", ".join(
        f"coalesce(sum({value}) FILTER (WHERE slot = {n}), 0)" for n in range(1, len(KEYS) + 1)
    ) + f"]::{type_}[]"


def _added(kept: str, change: str, type_: str) -> str:
    """Slot-wise sum of two figures arrays, written out: no function call per upsert."""
    return "ARRAY[" + ", ".join(
        f"coalesce({kept}[{n}], 0) + {change}[{n}]" for n in range(1, len(KEYS) + 1)
    ) + f"]::{type_}[]"


def _keyed(rows: str, columns: str) -> str:
    """Rows of ``rows`` (with a ``sign``: +1 new, -1 old) at stations' locations in key items,
    with their station and key slot."""
    return f"""
        SELECT l.station_id, array_position(map_key_slots(), i.map_key::text) AS slot,
               r.sign, {columns}
        FROM ({rows}) r
        JOIN stock_location l ON l.id = r.location_id
        JOIN catalog_item i ON i.id = r.item_id
        WHERE l.kind = 'station' AND l.station_id IS NOT NULL
          AND i.map_key IS NOT NULL AND NOT i.deleted
          AND array_position(map_key_slots(), i.map_key::text) IS NOT NULL"""


def _apply_balances(rows: str) -> str:
    """Add the balance rows ``rows`` selects to station_key_stock, in station order; changes
    that come to nothing (a balance locked, not moved) touch no row."""
    return f"""
        INSERT INTO station_key_stock AS t (station_id, on_hand)
        SELECT station_id, figures FROM (
            SELECT station_id, {_slots("sign * qty", "bigint")} AS figures
            FROM ({_keyed(rows, "r.qty")}) k GROUP BY station_id
        ) d WHERE 0 <> ANY(figures) ORDER BY station_id
        ON CONFLICT (station_id) DO UPDATE
        SET on_hand = {_added("t.on_hand", "excluded.on_hand", "bigint")};"""


def _apply_movements(rows: str) -> str:
    """Add the issues and transfers out among the movements ``rows`` selects to
    station_key_issues, in station and day order."""
    return f"""
        INSERT INTO station_key_issues AS t (station_id, day, issued)
        SELECT station_id, day, figures FROM (
            SELECT station_id, (occurred_at AT TIME ZONE 'UTC')::date AS day,
                   {_slots("sign * quantity", "integer")} AS figures
            FROM ({_keyed(rows, "r.quantity, r.occurred_at")}) k GROUP BY 1, 2
        ) d WHERE 0 <> ANY(figures) ORDER BY station_id, day
        ON CONFLICT (day, station_id) DO UPDATE
        SET issued = {_added("t.issued", "excluded.issued", "integer")};"""


def _balances(sign: int, source: str) -> str:
    return f"SELECT {sign} AS sign, location_id, item_id, qty FROM {source}"


def _issues(sign: int, source: str) -> str:
    return (f"SELECT {sign} AS sign, location_id, item_id, quantity, occurred_at FROM {source} "
            f"WHERE kind IN {ISSUES}")


def _trigger_function(name: str, apply: Callable[[str], str], new: str, old: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {apply(new)}
    ELSIF TG_OP = 'DELETE' THEN
        {apply(old)}
    ELSE
        {apply(f"{new} UNION ALL {old}")}
    END IF;
    RETURN NULL;
END
$$
"""


TRIGGER_FUNCTIONS = [
    _trigger_function("station_key_stock_apply", _apply_balances,
                      _balances(1, "new_rows"), _balances(-1, "old_rows")),
    _trigger_function("station_key_issues_apply", _apply_movements,
                      _issues(1, "new_rows"), _issues(-1, "old_rows")),
    f"""
-- Everything again from the balances and the ledger: the backfill, and after an edit that
-- moves stock to another key or station (a catalog item's map_key or deletion, a location
-- given to another station).
-- The tables are locked first: writers that already added to a row finish before, new ones
-- wait after, and none can hold a row the rebuild needs while waiting for one it holds.
CREATE OR REPLACE FUNCTION station_key_stock_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE station_key_stock, station_key_issues IN EXCLUSIVE MODE;
    DELETE FROM station_key_stock;
    DELETE FROM station_key_issues;
    {_apply_balances(_balances(1, "stock_balance"))}
    {_apply_movements(_issues(1, "stock_movement"))}
END
$$
""", """
CREATE OR REPLACE FUNCTION station_key_stock_catalog_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
               WHERE (o.map_key, o.deleted) IS DISTINCT FROM (n.map_key, n.deleted)) THEN
        PERFORM station_key_stock_rebuild();
    END IF;
    RETURN NULL;
END
$$
""", """
CREATE OR REPLACE FUNCTION station_key_stock_location_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
               WHERE (o.station_id, o.kind) IS DISTINCT FROM (n.station_id, n.kind)) THEN
        PERFORM station_key_stock_rebuild();
    END IF;
    RETURN NULL;
END
$$
"""]

TRANSITIONS = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}
# table -> the trigger function that adds its changes
KEPT_FROM = {"stock_balance": "station_key_stock_apply",
             "stock_movement": "station_key_issues_apply"}


def upgrade() -> None:
    op.create_table(
        "station_key_stock",
        sa.Column("station_id", sa.UUID(), nullable=False),
        sa.Column("on_hand", sa.ARRAY(sa.BigInteger()), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["station.id"],
                                name=op.f("fk_station_key_stock_station_id_station"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_station_key_stock")),
    )
    op.create_table(
        "station_key_issues",
        sa.Column("station_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        # integers, so the map's sums over them stay integers (a bigint sum is a numeric one)
        sa.Column("issued", sa.ARRAY(sa.Integer()), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["station.id"],
                                name=op.f("fk_station_key_issues_station_id_station"),
                                ondelete="CASCADE"),
        # day first: the map reads the last week's days, however long the history grows
        sa.PrimaryKeyConstraint("day", "station_id", name=op.f("pk_station_key_issues")),
    )
    for function in FUNCTIONS + TRIGGER_FUNCTIONS:
        op.execute(function)
    for table, function in KEPT_FROM.items():
        for event, tables in TRANSITIONS.items():
            op.execute(
                f"CREATE TRIGGER {table}_key_stock_{event.lower()} AFTER {event} "
                f"ON {table} REFERENCING {tables} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {function}()"
            )
    for table, function in (("catalog_item", "station_key_stock_catalog_changed"),
                            ("stock_location", "station_key_stock_location_changed")):
        op.execute(
            f"CREATE TRIGGER {table}_key_stock AFTER UPDATE ON {table} "
            f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {function}()"
        )
    op.execute("SELECT station_key_stock_rebuild()")


def downgrade() -> None:
    for table in ("catalog_item", "stock_location"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_key_stock ON {table}")
    for table in KEPT_FROM:
        for event in TRANSITIONS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_key_stock_{event.lower()} ON {table}")
    for function in ("station_key_stock_location_changed()",
                     "station_key_stock_catalog_changed()", "station_key_stock_rebuild()",
                     "station_key_issues_apply()", "station_key_stock_apply()",
                     "map_key_slots()"):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.drop_table("station_key_issues")
    op.drop_table("station_key_stock")
