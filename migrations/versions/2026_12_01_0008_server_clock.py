"""Sync: the server's hybrid logical clock kept in the database.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:00:00.000000

One row, ``sync_clock.ms``: the highest HLC millisecond the server has issued or observed, so
``server_hlc`` never goes backwards across restarts and is shared by every worker process.
``sync_clock_tick`` moves it to a new millisecond above everything issued or observed before
(sync/clock.py runs it outside any request transaction). Online (non-device) writes are stamped
at a millisecond above the clock, so they sort after every HLC the server has accepted or
handed out (sync/PROTOCOL.md §4). Also records, per logged mutation, the clock
correction the device applied to it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WALL_MS = "floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

# An upsert rather than an UPDATE, so that a lost row (a TRUNCATE) restarts from the wall clock
# instead of leaving the server without a clock.
TICK_FUNCTION = f"""
CREATE OR REPLACE FUNCTION sync_clock_tick(remote_ms bigint DEFAULT 0) RETURNS bigint
LANGUAGE sql VOLATILE AS $$
    INSERT INTO sync_clock AS c (id, ms) VALUES (1, greatest({WALL_MS}, remote_ms + 1))
    ON CONFLICT (id) DO UPDATE
        SET ms = greatest(c.ms + 1, {WALL_MS}, remote_ms + 1)
    RETURNING ms
$$;
"""

# As in 0004, except the stamp: a new millisecond above the server clock (read, never written:
# writing it here would lock the clock row inside API transactions, behind the rows they wait
# for). VOLATILE, so each call reads the clock as last committed, after any row lock wait.
FIELD_HLC_FUNCTION = """
CREATE OR REPLACE FUNCTION sync_stamp_field_hlc() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    -- Writes that do not come from a device (API, scripts) stamp each changed column with an
    -- HLC above everything the server clock has issued or observed; the sync push stamps the
    -- fields it merges itself.
    new_row jsonb;
    old_row jsonb;
    stamp jsonb;
    col text;
    stamp_ms bigint;
BEGIN
    IF current_setting('fieldops.via', true) = 'device' THEN
        RETURN NEW;
    END IF;
    new_row := to_jsonb(NEW);
    IF TG_OP = 'UPDATE' THEN
        old_row := to_jsonb(OLD);
    END IF;
    stamp_ms := greatest(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint,
                   (SELECT c.ms + 1 FROM sync_clock c WHERE c.id = 1));
    stamp := jsonb_build_object(
        'hlc', lpad(stamp_ms::text, 15, '0') || '-00000',
        'device', NULL,
        'author', nullif(current_setting('fieldops.actor_id', true), ''));
    FOREACH col IN ARRAY TG_ARGV LOOP
        IF TG_OP = 'INSERT' OR new_row -> col IS DISTINCT FROM old_row -> col THEN
            NEW.field_hlc := jsonb_set(NEW.field_hlc, ARRAY[col], stamp);
        END IF;
    END LOOP;
    RETURN NEW;
END
$$;
"""

# 0004's function, restored by the downgrade.
OLD_FIELD_HLC_FUNCTION = """
CREATE OR REPLACE FUNCTION sync_stamp_field_hlc() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- Writes that do not come from a device (API, scripts) stamp each changed column with the
    -- server's wall-clock HLC; the sync push stamps the fields it merges itself.
    new_row jsonb;
    old_row jsonb;
    stamp jsonb;
    col text;
BEGIN
    IF current_setting('fieldops.via', true) = 'device' THEN
        RETURN NEW;
    END IF;
    new_row := to_jsonb(NEW);
    IF TG_OP = 'UPDATE' THEN
        old_row := to_jsonb(OLD);
    END IF;
    stamp := jsonb_build_object(
        'hlc', lpad(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint::text, 15, '0')
               || '-00000',
        'device', NULL,
        'author', nullif(current_setting('fieldops.actor_id', true), ''));
    FOREACH col IN ARRAY TG_ARGV LOOP
        IF TG_OP = 'INSERT' OR new_row -> col IS DISTINCT FROM old_row -> col THEN
            NEW.field_hlc := jsonb_set(NEW.field_hlc, ARRAY[col], stamp);
        END IF;
    END LOOP;
    RETURN NEW;
END
$$;
"""


def upgrade() -> None:
    op.create_table(
        "sync_clock",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("ms", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_sync_clock_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_clock")),
    )
    op.execute(f"INSERT INTO sync_clock (id, ms) VALUES (1, {WALL_MS})")
    op.execute(TICK_FUNCTION)
    op.execute(FIELD_HLC_FUNCTION)
    op.add_column("sync_mutation", sa.Column("clock_correction_ms", sa.BigInteger(),
                                             nullable=True))


def downgrade() -> None:
    op.drop_column("sync_mutation", "clock_correction_ms")
    op.execute(OLD_FIELD_HLC_FUNCTION)
    op.execute("DROP FUNCTION IF EXISTS sync_clock_tick(bigint)")
    op.drop_table("sync_clock")
