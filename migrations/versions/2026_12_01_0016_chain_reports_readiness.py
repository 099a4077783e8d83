"""The chain of command, upward: daily situation reports, proposals to the level above, each
commune's readiness plan per epidemic level and the level each unit is at (issue 15).

Revision ID: 0016
Revises: 0010
Create Date: 2026-12-01 11:47:38.206363

Every table is synced-shaped (scope path, change-feed stamps, audit trigger); the columns that
tablets merge per field (sync/chain.py) are stamped by ``sync_stamp_field_hlc`` on online
writes, as in 0004.
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

revision: str = "0016"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ["situation_report", "proposal", "readiness_need", "readiness_resources",
          "unit_epidemic_level"]
COUNTS = ["staff", "stations", "home_beds", "oxygen", "teams"]
# Columns whose writes carry an HLC (lww and state-machine fields of sync/chain.py).
STAMPED_COLUMNS = {
    "situation_report": ["notes", "status"],
    "readiness_need": COUNTS,
    "readiness_resources": COUNTS,
}
ENUMS = ["report_status", "proposal_kind", "proposal_status"]


def upgrade() -> None:
    op.create_table('readiness_need',
    sa.Column('commune_code', sa.String(length=8), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('staff', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('stations', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('home_beds', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('oxygen', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('teams', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('level BETWEEN 1 AND 4', name=op.f('ck_readiness_need_level_range')),
    sa.CheckConstraint('staff >= 0 AND stations >= 0 AND home_beds >= 0 AND oxygen >= 0 AND teams >= 0', name=op.f('ck_readiness_need_counts')),
    sa.ForeignKeyConstraint(['commune_code'], ['admin_unit.code'], name=op.f('fk_readiness_need_commune_code_admin_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_need')),
    sa.UniqueConstraint('commune_code', 'level', name=op.f('uq_readiness_need_commune_code'))
    )
    op.create_index('ix_readiness_need_feed', 'readiness_need', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_readiness_need_scope_feed', 'readiness_need', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_readiness_need_scope_prefix', 'readiness_need', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('readiness_resources',
    sa.Column('commune_code', sa.String(length=8), nullable=False),
    sa.Column('staff', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('stations', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('home_beds', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('oxygen', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('teams', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('staff >= 0 AND stations >= 0 AND home_beds >= 0 AND oxygen >= 0 AND teams >= 0', name=op.f('ck_readiness_resources_counts')),
    sa.ForeignKeyConstraint(['commune_code'], ['admin_unit.code'], name=op.f('fk_readiness_resources_commune_code_admin_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_resources')),
    sa.UniqueConstraint('commune_code', name=op.f('uq_readiness_resources_commune_code'))
    )
    op.create_index('ix_readiness_resources_feed', 'readiness_resources', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_readiness_resources_scope_feed', 'readiness_resources', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_readiness_resources_scope_prefix', 'readiness_resources', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('situation_report',
    sa.Column('unit_code', sa.String(length=8), nullable=False),
    sa.Column('report_date', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', name='report_status'), server_default='draft', nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('figures', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_by', sa.UUID(), nullable=True),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['unit_code'], ['admin_unit.code'], name=op.f('fk_situation_report_unit_code_admin_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_situation_report')),
    sa.UniqueConstraint('unit_code', 'report_date', name=op.f('uq_situation_report_unit_code'))
    )
    op.create_index('ix_situation_report_feed', 'situation_report', ['sync_txid', 'sync_version'], unique=False)
    op.create_index(op.f('ix_situation_report_report_date'), 'situation_report', ['report_date'], unique=False)
    op.create_index('ix_situation_report_scope_feed', 'situation_report', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_situation_report_scope_prefix', 'situation_report', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('unit_epidemic_level',
    sa.Column('unit_code', sa.String(length=8), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('set_by', sa.UUID(), nullable=True),
    sa.Column('set_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('level BETWEEN 1 AND 4', name=op.f('ck_unit_epidemic_level_level_range')),
    sa.ForeignKeyConstraint(['unit_code'], ['admin_unit.code'], name=op.f('fk_unit_epidemic_level_unit_code_admin_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_epidemic_level')),
    sa.UniqueConstraint('unit_code', name=op.f('uq_unit_epidemic_level_unit_code'))
    )
    op.create_index('ix_unit_epidemic_level_feed', 'unit_epidemic_level', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_unit_epidemic_level_scope_feed', 'unit_epidemic_level', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_unit_epidemic_level_scope_prefix', 'unit_epidemic_level', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('proposal',
    sa.Column('unit_code', sa.String(length=8), nullable=False),
    sa.Column('to_unit_code', sa.String(length=8), nullable=False),
    sa.Column('report_id', sa.UUID(), nullable=True),
    sa.Column('kind', sa.Enum('staff', 'station', 'oxygen', 'support', 'supplies', name='proposal_kind'), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'accepted', 'declined', 'requisitioned', name='proposal_status'), server_default='pending', nullable=False),
    sa.Column('proposed_by', sa.UUID(), nullable=True),
    sa.Column('decision_note', sa.String(length=1000), nullable=True),
    sa.Column('decided_by', sa.UUID(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('requisition_id', sa.UUID(), nullable=True),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['situation_report.id'], name=op.f('fk_proposal_report_id_situation_report')),
    sa.ForeignKeyConstraint(['requisition_id'], ['requisition.id'], name=op.f('fk_proposal_requisition_id_requisition')),
    sa.ForeignKeyConstraint(['to_unit_code'], ['admin_unit.code'], name=op.f('fk_proposal_to_unit_code_admin_unit')),
    sa.ForeignKeyConstraint(['unit_code'], ['admin_unit.code'], name=op.f('fk_proposal_unit_code_admin_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal'))
    )
    op.create_index('ix_proposal_feed', 'proposal', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_proposal_scope_feed', 'proposal', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_proposal_scope_prefix', 'proposal', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_index(op.f('ix_proposal_status'), 'proposal', ['status'], unique=False)
    op.create_index(op.f('ix_proposal_to_unit_code'), 'proposal', ['to_unit_code'], unique=False)
    for table in TABLES:
        op.execute(create_sync_trigger(table))
        op.execute(create_audit_trigger(table))
    for table, columns in STAMPED_COLUMNS.items():
        args = ", ".join(f"'{c}'" for c in columns)
        op.execute(
            f"CREATE TRIGGER {table}_field_hlc BEFORE INSERT OR UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION sync_stamp_field_hlc({args})"
        )


def downgrade() -> None:
    for table in STAMPED_COLUMNS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_field_hlc ON {table}")
    for table in TABLES:
        op.execute(drop_audit_trigger(table))
        op.execute(drop_sync_trigger(table))

    op.drop_index(op.f('ix_proposal_to_unit_code'), table_name='proposal')
    op.drop_index(op.f('ix_proposal_status'), table_name='proposal')
    op.drop_index('ix_proposal_scope_prefix', table_name='proposal', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_proposal_scope_feed', table_name='proposal')
    op.drop_index('ix_proposal_feed', table_name='proposal')
    op.drop_table('proposal')
    op.drop_index('ix_unit_epidemic_level_scope_prefix', table_name='unit_epidemic_level', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_unit_epidemic_level_scope_feed', table_name='unit_epidemic_level')
    op.drop_index('ix_unit_epidemic_level_feed', table_name='unit_epidemic_level')
    op.drop_table('unit_epidemic_level')
    op.drop_index('ix_situation_report_scope_prefix', table_name='situation_report', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_situation_report_scope_feed', table_name='situation_report')
    op.drop_index(op.f('ix_situation_report_report_date'), table_name='situation_report')
    op.drop_index('ix_situation_report_feed', table_name='situation_report')
    op.drop_table('situation_report')
    op.drop_index('ix_readiness_resources_scope_prefix', table_name='readiness_resources', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_readiness_resources_scope_feed', table_name='readiness_resources')
    op.drop_index('ix_readiness_resources_feed', table_name='readiness_resources')
    op.drop_table('readiness_resources')
    op.drop_index('ix_readiness_need_scope_prefix', table_name='readiness_need', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_readiness_need_scope_feed', table_name='readiness_need')
    op.drop_index('ix_readiness_need_feed', table_name='readiness_need')
    op.drop_table('readiness_need')
    for name in ENUMS:
        op.execute(f"DROP TYPE IF EXISTS {name}")
