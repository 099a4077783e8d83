"""Orders down the chain (issue 15): directives, their addressed units' answers, reminders;
inspections with their corrections, resource adjustments and commendation or discipline;
community COVID teams.

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-01 12:00:00.000000

Every table gets the ``sync_stamp`` and ``audit_row`` triggers, so each write is audited
whoever made it. The tables that travel to devices (sync/orders.py) also notify the sync
feed (migration 0009), so a long-polling ward tablet wakes when a directive reaches it, and
the fields a tablet merges are stamped on online writes (``sync_stamp_field_hlc``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from domain.ddl import (
    create_audit_trigger,
    create_sync_trigger,
    drop_audit_trigger,
    drop_sync_trigger,
)

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = [
    "directive", "directive_recipient", "directive_reminder", "inspection",
    "inspection_correction", "inspection_adjustment", "inspection_merit", "community_team",
    "community_team_member",
]
# The tables behind synced entities: a ward's tablet pulls them (sync/orders.py).
FEED_TABLES = [
    "directive_recipient", "directive_reminder", "inspection", "inspection_correction",
    "community_team", "community_team_member",
]
# Fields a tablet merges (sync/orders.py): online writes stamp them with the server clock
# (migration 0008's sync_stamp_field_hlc), so an older offline answer cannot undo a newer one.
STAMPED_COLUMNS = {
    "directive_recipient": ["progress_pct", "progress_note", "status", "completion_report"],
}
ENUMS = [
    "directive_priority", "directive_status", "adjustment_kind", "merit_kind",
    "contact_channel", "community_team_role",
]


def _notify_triggers(table: str) -> list[str]:
    # As in 0009: a trigger with transition tables may name one event only, hence two.
    return [
        f"CREATE TRIGGER {table}_feed_notify_{event.lower()} AFTER {event} ON {table} "
        f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION notify_sync_feed()"
        for event in ("INSERT", "UPDATE")
    ]


def upgrade() -> None:
    op.create_table('community_team',
    sa.Column('commune_code', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('areas', sa.ARRAY(sa.String(length=120)), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('households', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('channel', sa.Enum('phone', 'zalo', 'facebook', 'other', name='contact_channel'), nullable=False),
    sa.Column('contact', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('households >= 0', name=op.f('ck_community_team_households')),
    sa.ForeignKeyConstraint(['commune_code'], ['admin_unit.code'], name=op.f('fk_community_team_commune_code_admin_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_team'))
    )
    op.create_index(op.f('ix_community_team_commune_code'), 'community_team', ['commune_code'], unique=False)
    op.create_index('ix_community_team_feed', 'community_team', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_community_team_scope_feed', 'community_team', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_community_team_scope_prefix', 'community_team', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('directive',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('issuer_unit_code', sa.String(length=8), nullable=False),
    sa.Column('issued_by', sa.UUID(), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('priority', sa.Enum('normal', 'urgent', 'immediate', name='directive_priority'), server_default='normal', nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('report_required', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['issuer_unit_code'], ['admin_unit.code'], name=op.f('fk_directive_issuer_unit_code_admin_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directive')),
    sa.UniqueConstraint('code', name=op.f('uq_directive_code'))
    )
    op.create_index('ix_directive_feed', 'directive', ['sync_txid', 'sync_version'], unique=False)
    op.create_index(op.f('ix_directive_issuer_unit_code'), 'directive', ['issuer_unit_code'], unique=False)
    op.create_index('ix_directive_scope_feed', 'directive', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_directive_scope_prefix', 'directive', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('inspection',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('unit_code', sa.String(length=8), nullable=False),
    sa.Column('inspector_unit_code', sa.String(length=8), nullable=False),
    sa.Column('inspected_by', sa.UUID(), nullable=True),
    sa.Column('inspected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('plan_ready', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('steering_committee', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('community_teams_active', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('stations_staffed', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('stations_supplied', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('connected', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['inspector_unit_code'], ['admin_unit.code'], name=op.f('fk_inspection_inspector_unit_code_admin_unit')),
    sa.ForeignKeyConstraint(['unit_code'], ['admin_unit.code'], name=op.f('fk_inspection_unit_code_admin_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection')),
    sa.UniqueConstraint('code', name=op.f('uq_inspection_code'))
    )
    op.create_index('ix_inspection_feed', 'inspection', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_inspection_scope_feed', 'inspection', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_inspection_scope_prefix', 'inspection', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_index(op.f('ix_inspection_unit_code'), 'inspection', ['unit_code'], unique=False)
    op.create_table('community_team_member',
    sa.Column('team_id', sa.UUID(), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('role', sa.Enum('leader', 'deputy', 'member', name='community_team_role'), server_default='member', nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['community_team.id'], name=op.f('fk_community_team_member_team_id_community_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_team_member'))
    )
    op.create_index('ix_community_team_member_feed', 'community_team_member', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_community_team_member_scope_feed', 'community_team_member', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_community_team_member_scope_prefix', 'community_team_member', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_index(op.f('ix_community_team_member_team_id'), 'community_team_member', ['team_id'], unique=False)
    op.create_table('directive_recipient',
    sa.Column('directive_id', sa.UUID(), nullable=False),
    sa.Column('unit_code', sa.String(length=8), nullable=False),
    sa.Column('issuer_unit_code', sa.String(length=8), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('priority', sa.Enum('normal', 'urgent', 'immediate', name='directive_priority'), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('report_required', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('unread', 'acknowledged', 'in_progress', 'done', name='directive_status'), server_default='unread', nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.UUID(), nullable=True),
    sa.Column('progress_pct', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('progress_note', sa.Text(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sa.UUID(), nullable=True),
    sa.Column('completion_report', sa.Text(), nullable=True),
    sa.Column('reminder_count', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('last_reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('progress_pct BETWEEN 0 AND 100', name=op.f('ck_directive_recipient_progress_range')),
    sa.CheckConstraint('reminder_count >= 0', name=op.f('ck_directive_recipient_reminders')),
    sa.ForeignKeyConstraint(['directive_id'], ['directive.id'], name=op.f('fk_directive_recipient_directive_id_directive')),
    sa.ForeignKeyConstraint(['issuer_unit_code'], ['admin_unit.code'], name=op.f('fk_directive_recipient_issuer_unit_code_admin_unit')),
    sa.ForeignKeyConstraint(['unit_code'], ['admin_unit.code'], name=op.f('fk_directive_recipient_unit_code_admin_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directive_recipient')),
    sa.UniqueConstraint('directive_id', 'unit_code', name=op.f('uq_directive_recipient_directive_id'))
    )
    op.create_index(op.f('ix_directive_recipient_directive_id'), 'directive_recipient', ['directive_id'], unique=False)
    op.create_index('ix_directive_recipient_feed', 'directive_recipient', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_directive_recipient_scope_feed', 'directive_recipient', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_directive_recipient_scope_prefix', 'directive_recipient', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_index(op.f('ix_directive_recipient_status'), 'directive_recipient', ['status'], unique=False)
    op.create_index(op.f('ix_directive_recipient_unit_code'), 'directive_recipient', ['unit_code'], unique=False)
    op.create_table('directive_reminder',
    sa.Column('recipient_id', sa.UUID(), nullable=False),
    sa.Column('directive_id', sa.UUID(), nullable=False),
    sa.Column('unit_code', sa.String(length=8), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('sent_by', sa.UUID(), nullable=True),
    sa.Column('message', sa.String(length=500), nullable=True),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['directive_id'], ['directive.id'], name=op.f('fk_directive_reminder_directive_id_directive')),
    sa.ForeignKeyConstraint(['recipient_id'], ['directive_recipient.id'], name=op.f('fk_directive_reminder_recipient_id_directive_recipient')),
    sa.ForeignKeyConstraint(['unit_code'], ['admin_unit.code'], name=op.f('fk_directive_reminder_unit_code_admin_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directive_reminder'))
    )
    op.create_index('ix_directive_reminder_feed', 'directive_reminder', ['sync_txid', 'sync_version'], unique=False)
    op.create_index(op.f('ix_directive_reminder_recipient_id'), 'directive_reminder', ['recipient_id'], unique=False)
    op.create_index('ix_directive_reminder_scope_feed', 'directive_reminder', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_directive_reminder_scope_prefix', 'directive_reminder', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('inspection_correction',
    sa.Column('inspection_id', sa.UUID(), nullable=False),
    sa.Column('directive_id', sa.UUID(), nullable=False),
    sa.Column('recipient_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['directive_id'], ['directive.id'], name=op.f('fk_inspection_correction_directive_id_directive')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], name=op.f('fk_inspection_correction_inspection_id_inspection')),
    sa.ForeignKeyConstraint(['recipient_id'], ['directive_recipient.id'], name=op.f('fk_inspection_correction_recipient_id_directive_recipient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_correction')),
    sa.UniqueConstraint('directive_id', name=op.f('uq_inspection_correction_directive_id'))
    )
    op.create_index('ix_inspection_correction_feed', 'inspection_correction', ['sync_txid', 'sync_version'], unique=False)
    op.create_index(op.f('ix_inspection_correction_inspection_id'), 'inspection_correction', ['inspection_id'], unique=False)
    op.create_index('ix_inspection_correction_scope_feed', 'inspection_correction', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_inspection_correction_scope_prefix', 'inspection_correction', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('inspection_merit',
    sa.Column('inspection_id', sa.UUID(), nullable=False),
    sa.Column('kind', sa.Enum('commendation', 'discipline', name='merit_kind'), nullable=False),
    sa.Column('unit_code', sa.String(length=8), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=True),
    sa.Column('person_name', sa.String(length=120), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.UUID(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('user_id IS NULL OR person_name IS NULL', name=op.f('ck_inspection_merit_one_person')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], name=op.f('fk_inspection_merit_inspection_id_inspection')),
    sa.ForeignKeyConstraint(['unit_code'], ['admin_unit.code'], name=op.f('fk_inspection_merit_unit_code_admin_unit')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_inspection_merit_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_merit'))
    )
    op.create_index('ix_inspection_merit_feed', 'inspection_merit', ['sync_txid', 'sync_version'], unique=False)
    op.create_index(op.f('ix_inspection_merit_inspection_id'), 'inspection_merit', ['inspection_id'], unique=False)
    op.create_index('ix_inspection_merit_scope_feed', 'inspection_merit', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_inspection_merit_scope_prefix', 'inspection_merit', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('inspection_adjustment',
    sa.Column('inspection_id', sa.UUID(), nullable=False),
    sa.Column('kind', sa.Enum('requisition', 'transfer', name='adjustment_kind'), nullable=False),
    sa.Column('requisition_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], name=op.f('fk_inspection_adjustment_inspection_id_inspection')),
    sa.ForeignKeyConstraint(['requisition_id'], ['requisition.id'], name=op.f('fk_inspection_adjustment_requisition_id_requisition')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_adjustment')),
    sa.UniqueConstraint('requisition_id', name=op.f('uq_inspection_adjustment_requisition_id'))
    )
    op.create_index('ix_inspection_adjustment_feed', 'inspection_adjustment', ['sync_txid', 'sync_version'], unique=False)
    op.create_index(op.f('ix_inspection_adjustment_inspection_id'), 'inspection_adjustment', ['inspection_id'], unique=False)
    op.create_index('ix_inspection_adjustment_scope_feed', 'inspection_adjustment', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_inspection_adjustment_scope_prefix', 'inspection_adjustment', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    for table in TABLES:
        op.execute(create_sync_trigger(table))
        op.execute(create_audit_trigger(table))
    for table in FEED_TABLES:
        for statement in _notify_triggers(table):
            op.execute(statement)
    for table, columns in STAMPED_COLUMNS.items():
        args = ", ".join(f"'{c}'" for c in columns)
        op.execute(
            f"CREATE TRIGGER {table}_field_hlc BEFORE INSERT OR UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION sync_stamp_field_hlc({args})"
        )


def downgrade() -> None:
    for table in STAMPED_COLUMNS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_field_hlc ON {table}")
    for table in FEED_TABLES:
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_feed_notify_{event} ON {table}")
    for table in TABLES:
        op.execute(drop_audit_trigger(table))
        op.execute(drop_sync_trigger(table))
    op.drop_index('ix_inspection_adjustment_scope_prefix', table_name='inspection_adjustment', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_inspection_adjustment_scope_feed', table_name='inspection_adjustment')
    op.drop_index(op.f('ix_inspection_adjustment_inspection_id'), table_name='inspection_adjustment')
    op.drop_index('ix_inspection_adjustment_feed', table_name='inspection_adjustment')
    op.drop_table('inspection_adjustment')
    op.drop_index('ix_inspection_merit_scope_prefix', table_name='inspection_merit', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_inspection_merit_scope_feed', table_name='inspection_merit')
    op.drop_index(op.f('ix_inspection_merit_inspection_id'), table_name='inspection_merit')
    op.drop_index('ix_inspection_merit_feed', table_name='inspection_merit')
    op.drop_table('inspection_merit')
    op.drop_index('ix_inspection_correction_scope_prefix', table_name='inspection_correction', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_inspection_correction_scope_feed', table_name='inspection_correction')
    op.drop_index(op.f('ix_inspection_correction_inspection_id'), table_name='inspection_correction')
    op.drop_index('ix_inspection_correction_feed', table_name='inspection_correction')
    op.drop_table('inspection_correction')
    op.drop_index('ix_directive_reminder_scope_prefix', table_name='directive_reminder', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_directive_reminder_scope_feed', table_name='directive_reminder')
    op.drop_index(op.f('ix_directive_reminder_recipient_id'), table_name='directive_reminder')
    op.drop_index('ix_directive_reminder_feed', table_name='directive_reminder')
    op.drop_table('directive_reminder')
    op.drop_index(op.f('ix_directive_recipient_unit_code'), table_name='directive_recipient')
    op.drop_index(op.f('ix_directive_recipient_status'), table_name='directive_recipient')
    op.drop_index('ix_directive_recipient_scope_prefix', table_name='directive_recipient', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_directive_recipient_scope_feed', table_name='directive_recipient')
    op.drop_index('ix_directive_recipient_feed', table_name='directive_recipient')
    op.drop_index(op.f('ix_directive_recipient_directive_id'), table_name='directive_recipient')
    op.drop_table('directive_recipient')
    op.drop_index(op.f('ix_community_team_member_team_id'), table_name='community_team_member')
    op.drop_index('ix_community_team_member_scope_prefix', table_name='community_team_member', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_community_team_member_scope_feed', table_name='community_team_member')
    op.drop_index('ix_community_team_member_feed', table_name='community_team_member')
    op.drop_table('community_team_member')
    op.drop_index(op.f('ix_inspection_unit_code'), table_name='inspection')
    op.drop_index('ix_inspection_scope_prefix', table_name='inspection', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_inspection_scope_feed', table_name='inspection')
    op.drop_index('ix_inspection_feed', table_name='inspection')
    op.drop_table('inspection')
    op.drop_index('ix_directive_scope_prefix', table_name='directive', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_directive_scope_feed', table_name='directive')
    op.drop_index(op.f('ix_directive_issuer_unit_code'), table_name='directive')
    op.drop_index('ix_directive_feed', table_name='directive')
    op.drop_table('directive')
    op.drop_index('ix_community_team_scope_prefix', table_name='community_team', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_community_team_scope_feed', table_name='community_team')
    op.drop_index('ix_community_team_feed', table_name='community_team')
    op.drop_index(op.f('ix_community_team_commune_code'), table_name='community_team')
    op.drop_table('community_team')
    for name in ENUMS:
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
