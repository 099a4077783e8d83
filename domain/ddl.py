"""DDL the models cannot express: the change-feed stamp every synced table carries, the audit
trail, the map's notifications."""

from __future__ import annotations

SYNC_STAMP_FUNCTION = """
CREATE OR REPLACE FUNCTION sync_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The writer's transaction id orders the change feed; pulls only read below the oldest
    -- running transaction, so a slow transaction can never commit behind a cursor.
    NEW.sync_txid := pg_current_xact_id()::text::bigint;
    NEW.sync_version := nextval('sync_version_seq');
    IF TG_OP = 'UPDATE' THEN
        NEW.created_at := OLD.created_at;
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
"""


def create_sync_trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_sync_stamp BEFORE INSERT OR UPDATE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION sync_stamp()"
    )


def drop_sync_trigger(table: str) -> str:
    return f"DROP TRIGGER IF EXISTS {table}_sync_stamp ON {table}"


AUDIT_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- Who and through what: set per transaction by the API (login) or the sync push (device).
    actor text := nullif(current_setting('fieldops.actor_id', true), '');
    via text := coalesce(nullif(current_setting('fieldops.via', true), ''), 'system');
    device text := nullif(current_setting('fieldops.device_id', true), '');
    skip text[] := ARRAY['sync_txid', 'sync_version', 'updated_at', 'field_hlc', 'password_hash'];
    new_row jsonb := to_jsonb(NEW) - skip;
    old_row jsonb;
    before_values jsonb;
    after_values jsonb;
    action text := 'insert';
BEGIN
    IF TG_OP = 'UPDATE' THEN
        old_row := to_jsonb(OLD) - skip;
        IF old_row = new_row THEN
            RETURN NULL;
        END IF;
        SELECT jsonb_object_agg(o.key, o.value) INTO before_values
          FROM jsonb_each(old_row) o WHERE new_row -> o.key IS DISTINCT FROM o.value;
        SELECT jsonb_object_agg(n.key, n.value) INTO after_values
          FROM jsonb_each(new_row) n WHERE old_row -> n.key IS DISTINCT FROM n.value;
        action := CASE
            WHEN (new_row ->> 'deleted')::boolean AND NOT coalesce((old_row ->> 'deleted')::boolean, false)
            THEN 'delete' ELSE 'update' END;
    ELSE
        after_values := new_row;
    END IF;
    INSERT INTO audit_log (entity, row_id, action, actor_id, via, device_id, scope_path, before, after)
    VALUES (TG_TABLE_NAME, (new_row ->> 'id')::uuid, action, actor::uuid, via, device::uuid,
            coalesce(new_row ->> 'scope_path', new_row ->> 'unit_path'), before_values, after_values);
    RETURN NULL;
END
$$;
"""


# The audit of an UPDATE, once per statement over its transition tables (migration 0022): the
# same rows audit_row() writes for each updated row, in one INSERT. ``x`` is materialised so
# each row becomes JSON once, not once per column compared.
AUDIT_UPDATED_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_rows_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH x AS MATERIALIZED (
        SELECT n.id,
               to_jsonb(o) - ARRAY['sync_txid', 'sync_version', 'updated_at', 'field_hlc',
                                   'password_hash'] AS o,
               to_jsonb(n) - ARRAY['sync_txid', 'sync_version', 'updated_at', 'field_hlc',
                                   'password_hash'] AS n
          FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id)
    INSERT INTO audit_log (entity, row_id, action, actor_id, via, device_id, scope_path,
                           before, after)
    SELECT TG_TABLE_NAME, x.id,
           CASE WHEN (x.n ->> 'deleted')::boolean
                     AND NOT coalesce((x.o ->> 'deleted')::boolean, false)
                THEN 'delete' ELSE 'update' END,
           nullif(current_setting('fieldops.actor_id', true), '')::uuid,
           coalesce(nullif(current_setting('fieldops.via', true), ''), 'system'),
           nullif(current_setting('fieldops.device_id', true), '')::uuid,
           coalesce(x.n ->> 'scope_path', x.n ->> 'unit_path'),
           CASE WHEN x.o IS NOT NULL THEN d.before END,
           CASE WHEN x.o IS NOT NULL THEN d.after ELSE x.n END
      FROM x CROSS JOIN LATERAL (
           SELECT jsonb_object_agg(e.key, x.o -> e.key) AS before,
                  jsonb_object_agg(e.key, e.value) AS after
             FROM jsonb_each(x.n) e WHERE x.o -> e.key IS DISTINCT FROM e.value) d
     WHERE x.o IS DISTINCT FROM x.n;
    RETURN NULL;
END
$$;
"""

# Columns the audit trail leaves out (the feed's stamps, the merge's stamps, secrets).
AUDIT_SKIPPED = ("sync_txid", "sync_version", "updated_at", "field_hlc", "password_hash")
# Type categories (pg_type.typcategory) whose ``IS DISTINCT FROM`` is exact equality, and the
# types outside them that are too; any other type (geometry, json) is compared as its text.
_EXACT_CATEGORIES = frozenset("ABDENST")
_EXACT_TYPES = frozenset({"uuid", "jsonb"})

# A table's columns for ``audit_update_function``: (name, type name, type category), in order.
AUDIT_COLUMNS = """
SELECT a.attname, t.typname, t.typcategory
  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
 WHERE a.attrelid = CAST(:table AS regclass) AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum
"""


def audit_update_function_name(table: str) -> str:
    return f"audit_{table}_updated"


def audit_update_function(table: str, columns: list[tuple[str, str, str]]) -> str:
    """``table``'s own audit of updates (migration 0026): the rows ``audit_rows_updated``
    writes, compared column by column instead of as two JSON documents per row.

    Turning a whole row into JSON cost PostgreSQL 15 about 0.1 ms for an ``f0_case`` (it looks
    up every column's type on every call), twice per updated row, which made the audit most
    of an edit's cost. Here each column is compared in its own type (as text where its type's
    equality is not exact, such as geometry), and only the columns that changed become JSON,
    exactly as ``to_jsonb`` of the row would have them. Its aliases end in ``_`` so that
    no column's name can shadow them. Generated from the table's columns:
    a migration that adds or drops a column of an audited table regenerates it
    (tests/integration/operations/test_audit_statements.py fails until it does).
    """
    kept = [c for c in columns if c[0] not in AUDIT_SKIPPED]
    names = {c[0] for c in columns}

    def differs(name: str, typname: str, category: str) -> str:
        if category in _EXACT_CATEGORIES or typname in _EXACT_TYPES:
            return f'old_."{name}" IS DISTINCT FROM new_."{name}"'
        return f'old_."{name}"::text IS DISTINCT FROM new_."{name}"::text'

    def value(name: str, typname: str, category: str) -> str:
        changed = differs(name, typname, category)
        return (f"""            ('{name}', {changed},\n"""
                f"""             CASE WHEN {changed} THEN to_jsonb(old_."{name}") END,\n"""
                f"""             CASE WHEN {changed} THEN to_jsonb(new_."{name}") END)""")

    rows = ",\n".join(value(*c) for c in kept)
    paths = [f'new_."{c}"::text' for c in ("scope_path", "unit_path") if c in names]
    scope = f"coalesce({', '.join(paths)})" if paths else "NULL"
    action = ("""CASE WHEN new_."deleted" AND NOT coalesce(old_."deleted", false) """
              """THEN 'delete' ELSE 'update' END""" if "deleted" in names else "'update'")
    skipped = ", ".join(f"'{c}'" for c in AUDIT_SKIPPED)
    return f"""
CREATE OR REPLACE FUNCTION {audit_update_function_name(table)}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_log (entity, row_id, action, actor_id, via, device_id, scope_path,
                           before, after)
    SELECT TG_TABLE_NAME, new_.id, {action},
           nullif(current_setting('fieldops.actor_id', true), '')::uuid,
           coalesce(nullif(current_setting('fieldops.via', true), ''), 'system'),
           nullif(current_setting('fieldops.device_id', true), '')::uuid,
           {scope},
           CASE WHEN old_.id IS NOT NULL THEN diff_.before END,
           CASE WHEN old_.id IS NOT NULL THEN diff_.after
                ELSE to_jsonb(new_) - ARRAY[{skipped}] END
      FROM new_rows new_ LEFT JOIN old_rows old_ ON old_.id = new_.id
     CROSS JOIN LATERAL (
           -- to_jsonb only where a column changed: the CASE evaluates it for those alone
           SELECT jsonb_object_agg(col_.k, col_.b) AS before,
                  jsonb_object_agg(col_.k, col_.a) AS after
             FROM (VALUES
{rows}) col_(k, changed, b, a)
            WHERE col_.changed) diff_
     WHERE old_.id IS NULL OR diff_.after IS NOT NULL;
    RETURN NULL;
END
$$;
"""


# The map's live updates once per statement as migration 0022 made them (0006 has the row
# form; 0025 names the column instead of turning the row into JSON): one
# ``station_changed`` per distinct station the statement's rows name, before and after.
# TG_ARGV[0] is the column naming the station.
NOTIFY_STATIONS_FUNCTION = """
CREATE OR REPLACE FUNCTION notify_stations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Static SQL (the column by name through to_jsonb), so its plan is kept across calls.
    IF TG_OP = 'UPDATE' THEN
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


def create_audit_trigger(table: str) -> str:
    """The row trigger of inserts and updates that migrations before 0022 created; 0022
    splits it (see ``audit_triggers``)."""
    return (
        f"CREATE TRIGGER {table}_audit AFTER INSERT OR UPDATE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION audit_row()"
    )


def drop_audit_trigger(table: str) -> str:
    return f"DROP TRIGGER IF EXISTS {table}_audit ON {table}"


def audit_triggers(table: str) -> list[str]:
    """The audit of a table created after migration 0022: inserts row by row, updates once
    per statement. Since 0026 each table's updates have their own function: a migration
    creating a table then creates ``audit_update_function`` from its columns and points
    ``<table>_audit_update`` at it, as 0026 does (a test fails for a table left on
    ``audit_rows_updated``)."""
    return [
        f"CREATE TRIGGER {table}_audit AFTER INSERT ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION audit_row()",
        f"CREATE TRIGGER {table}_audit_update AFTER UPDATE ON {table} "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_rows_updated()",
    ]


def drop_audit_triggers(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_audit_update ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_audit ON {table}"]
