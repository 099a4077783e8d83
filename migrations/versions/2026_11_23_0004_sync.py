"""Sync: enrolled devices, the mutation log (idempotency) and the conflict log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 06:18:35.498309

Also stamps per-field HLCs on online edits of merged fields, so that an offline edit made
before an online one cannot overwrite it when it arrives later (sync/PROTOCOL.md).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Columns whose writes carry an HLC (last-writer-wins and state-machine fields), per table, as
# declared by the sync registry when this revision was written (tests/sync checks they agree).
STAMPED_COLUMNS = {
    "station": [
        "name", "address", "phone", "opening_hours", "capacity", "doctors", "nurses",
        "volunteers", "position", "status",
    ],
    "f0_case": [
        "full_name", "year_of_birth", "sex", "phone", "address", "home_position", "national_id",
        "test_date", "test_type", "comorbidities", "vaccine_doses", "pregnant", "notes",
        "status", "bag_a_given_at", "bag_b_ordered_by", "bag_b_given_at", "bag_c_given_at",
    ],
    "alert": ["status", "resolution_note"],
}

FIELD_HLC_FUNCTION = """
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
    op.create_table('device',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('station_id', sa.UUID(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('enrolled_by', sa.UUID(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.UUID(), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['enrolled_by'], ['app_user.id'], name=op.f('fk_device_enrolled_by_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_device_station_id_station')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_device_token_hash'))
    )
    op.create_index(op.f('ix_device_station_id'), 'device', ['station_id'], unique=False)
    op.create_table('sync_mutation',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('device_id', sa.UUID(), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('row_id', sa.UUID(), nullable=False),
    sa.Column('op', sa.String(length=8), nullable=False),
    sa.Column('hlc', sa.String(length=21), nullable=False),
    sa.Column('author_id', sa.UUID(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_sync_mutation_device_id_device'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_mutation'))
    )
    op.create_table('sync_conflict',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('row_id', sa.UUID(), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('policy', sa.String(length=16), nullable=False),
    sa.Column('mutation_id', sa.UUID(), nullable=True),
    sa.Column('kept_value', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('kept_hlc', sa.String(length=21), nullable=True),
    sa.Column('kept_author', sa.UUID(), nullable=True),
    sa.Column('kept_device', sa.UUID(), nullable=True),
    sa.Column('lost_value', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('lost_hlc', sa.String(length=21), nullable=False),
    sa.Column('lost_author', sa.UUID(), nullable=False),
    sa.Column('lost_device', sa.UUID(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_conflict'))
    )
    op.create_index('ix_sync_conflict_row', 'sync_conflict', ['entity', 'row_id'], unique=False)
    op.create_index('ix_sync_conflict_scope', 'sync_conflict', ['scope_path', 'id'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})

    op.execute(FIELD_HLC_FUNCTION)
    for table, columns in STAMPED_COLUMNS.items():
        args = ", ".join(f"'{c}'" for c in columns)
        op.execute(
            f"CREATE TRIGGER {table}_field_hlc BEFORE INSERT OR UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION sync_stamp_field_hlc({args})"
        )


def downgrade() -> None:
    for table in STAMPED_COLUMNS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_field_hlc ON {table}")
    op.execute("DROP FUNCTION IF EXISTS sync_stamp_field_hlc()")
    op.drop_index("ix_sync_conflict_scope", table_name="sync_conflict",
                  postgresql_ops={"scope_path": "text_pattern_ops"})
    op.drop_index("ix_sync_conflict_row", table_name="sync_conflict")
    op.drop_table("sync_conflict")
    op.drop_table("sync_mutation")
    op.drop_index(op.f("ix_device_station_id"), table_name="device")
    op.drop_table("device")
