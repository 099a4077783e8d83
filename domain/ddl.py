"""DDL the models cannot express: the change-feed stamp every synced table carries."""

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
