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


def create_audit_trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_audit AFTER INSERT OR UPDATE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION audit_row()"
    )


def drop_audit_trigger(table: str) -> str:
    return f"DROP TRIGGER IF EXISTS {table}_audit ON {table}"
