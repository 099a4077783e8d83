"""Operations: users, stations, care teams, F0 cases, observations, alerts, audit trail.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 06:10:13.122733
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

from domain.ddl import (
    AUDIT_FUNCTION,
    create_audit_trigger,
    create_sync_trigger,
    drop_audit_trigger,
    drop_sync_trigger,
)

SYNCED = [
    "station", "care_team", "f0_case", "case_status_event", "case_assignment", "observation",
    "alert",
]
AUDITED = [*SYNCED, "app_user"]
ENUMS = [
    "user_role", "station_status", "case_status", "test_type", "sex", "risk_group",
    "observation_kind", "alert_severity", "alert_status",
]
revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('row_id', sa.UUID(), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('actor_id', sa.UUID(), nullable=True),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('device_id', sa.UUID(), nullable=True),
    sa.Column('scope_path', sa.String(length=64), nullable=True),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index('ix_audit_log_entity_row', 'audit_log', ['entity', 'row_id', 'id'], unique=False)
    op.create_index('ix_audit_log_scope', 'audit_log', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_geospatial_table('station',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('commune_code', sa.String(length=8), nullable=False),
    sa.Column('position', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('status', sa.Enum('preparing', 'active', 'suspended', 'closed', name='station_status'), server_default='preparing', nullable=False),
    sa.Column('capacity', sa.Integer(), server_default=sa.text('50'), nullable=False),
    sa.Column('doctors', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('nurses', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('volunteers', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('opening_hours', sa.String(length=120), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('capacity BETWEEN 1 AND 1000', name=op.f('ck_station_capacity_range')),
    sa.CheckConstraint('doctors >= 0 AND nurses >= 0 AND volunteers >= 0', name=op.f('ck_station_staff_counts')),
    sa.ForeignKeyConstraint(['commune_code'], ['admin_unit.code'], name=op.f('fk_station_commune_code_admin_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_station')),
    sa.UniqueConstraint('code', name=op.f('uq_station_code'))
    )
    op.create_geospatial_index('idx_station_position', 'station', ['position'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_station_commune_code'), 'station', ['commune_code'], unique=False)
    op.create_index('ix_station_feed', 'station', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_station_scope_feed', 'station', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_station_scope_prefix', 'station', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('app_user',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('station_staff', 'care_team_member', 'doctor', 'commune_officer', 'district_logistics', 'city_coordinator', 'national_observer', 'administrator', name='user_role'), nullable=False),
    sa.Column('unit_code', sa.String(length=8), nullable=False),
    sa.Column('unit_path', sa.String(length=64), nullable=False),
    sa.Column('station_id', sa.UUID(), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_app_user_station_id_station'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_code'], ['admin_unit.code'], name=op.f('fk_app_user_unit_code_admin_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    op.create_index(op.f('ix_app_user_station_id'), 'app_user', ['station_id'], unique=False)
    op.create_index(op.f('ix_app_user_unit_path'), 'app_user', ['unit_path'], unique=False)
    op.create_table('care_team',
    sa.Column('station_id', sa.UUID(), nullable=False),
    sa.Column('commune_code', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['commune_code'], ['admin_unit.code'], name=op.f('fk_care_team_commune_code_admin_unit')),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_care_team_station_id_station')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_team'))
    )
    op.create_index('ix_care_team_feed', 'care_team', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_care_team_scope_feed', 'care_team', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_care_team_scope_prefix', 'care_team', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_index(op.f('ix_care_team_station_id'), 'care_team', ['station_id'], unique=False)
    op.create_table('care_team_member',
    sa.Column('team_id', sa.UUID(), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['care_team.id'], name=op.f('fk_care_team_member_team_id_care_team'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_care_team_member_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_care_team_member'))
    )
    op.create_index(op.f('ix_care_team_member_user_id'), 'care_team_member', ['user_id'], unique=False)
    op.create_geospatial_table('f0_case',
    sa.Column('case_code', sa.String(length=40), nullable=False),
    sa.Column('station_id', sa.UUID(), nullable=False),
    sa.Column('team_id', sa.UUID(), nullable=True),
    sa.Column('commune_code', sa.String(length=8), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('year_of_birth', sa.Integer(), nullable=False),
    sa.Column('sex', sa.Enum('female', 'male', 'other', name='sex'), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('home_position', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('national_id', sa.String(length=20), nullable=True),
    sa.Column('test_date', sa.Date(), nullable=False),
    sa.Column('test_type', sa.Enum('pcr', 'rapid_antigen', name='test_type'), nullable=False),
    sa.Column('comorbidities', postgresql.ARRAY(sa.String(length=40)), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('vaccine_doses', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('pregnant', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('risk_group', sa.Enum('low', 'moderate', 'high', 'very_high', name='risk_group'), nullable=False),
    sa.Column('status', sa.Enum('home_monitoring', 'needs_attention', 'transfer_requested', 'hospitalized', 'recovered', 'deceased', name='case_status'), server_default='home_monitoring', nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('bag_a_given_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bag_b_given_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bag_b_ordered_by', sa.UUID(), nullable=True),
    sa.Column('bag_c_given_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('vaccine_doses BETWEEN 0 AND 10', name=op.f('ck_f0_case_vaccine_doses_range')),
    sa.CheckConstraint('year_of_birth BETWEEN 1900 AND 2100', name=op.f('ck_f0_case_year_of_birth_range')),
    sa.ForeignKeyConstraint(['commune_code'], ['admin_unit.code'], name=op.f('fk_f0_case_commune_code_admin_unit')),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_f0_case_station_id_station')),
    sa.ForeignKeyConstraint(['team_id'], ['care_team.id'], name=op.f('fk_f0_case_team_id_care_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_f0_case')),
    sa.UniqueConstraint('case_code', name=op.f('uq_f0_case_case_code'))
    )
    op.create_index('ix_f0_case_feed', 'f0_case', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_f0_case_scope_feed', 'f0_case', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_f0_case_scope_prefix', 'f0_case', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_index(op.f('ix_f0_case_station_id'), 'f0_case', ['station_id'], unique=False)
    op.create_index(op.f('ix_f0_case_status'), 'f0_case', ['status'], unique=False)
    op.create_index(op.f('ix_f0_case_team_id'), 'f0_case', ['team_id'], unique=False)
    op.create_table('alert',
    sa.Column('case_id', sa.UUID(), nullable=False),
    sa.Column('station_id', sa.UUID(), nullable=False),
    sa.Column('team_id', sa.UUID(), nullable=True),
    sa.Column('severity', sa.Enum('attention', 'emergency', name='alert_severity'), nullable=False),
    sa.Column('status', sa.Enum('open', 'acknowledged', 'resolved', name='alert_status'), server_default='open', nullable=False),
    sa.Column('reasons', postgresql.ARRAY(sa.String(length=80)), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('observation_id', sa.UUID(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.UUID(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.UUID(), nullable=True),
    sa.Column('resolution_note', sa.String(length=255), nullable=True),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['f0_case.id'], name=op.f('fk_alert_case_id_f0_case')),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_alert_station_id_station')),
    sa.ForeignKeyConstraint(['team_id'], ['care_team.id'], name=op.f('fk_alert_team_id_care_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert'))
    )
    op.create_index('ix_alert_feed', 'alert', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_alert_scope_feed', 'alert', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_alert_scope_prefix', 'alert', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_index('ix_alert_station_status', 'alert', ['station_id', 'status'], unique=False)
    op.create_index('uq_alert_one_open_per_case', 'alert', ['case_id'], unique=True, postgresql_where=sa.text("status <> 'resolved'"))
    op.create_table('case_assignment',
    sa.Column('case_id', sa.UUID(), nullable=False),
    sa.Column('team_id', sa.UUID(), nullable=False),
    sa.Column('previous_team_id', sa.UUID(), nullable=True),
    sa.Column('assigned_by', sa.UUID(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=True),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['f0_case.id'], name=op.f('fk_case_assignment_case_id_f0_case')),
    sa.ForeignKeyConstraint(['team_id'], ['care_team.id'], name=op.f('fk_case_assignment_team_id_care_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_assignment'))
    )
    op.create_index(op.f('ix_case_assignment_case_id'), 'case_assignment', ['case_id'], unique=False)
    op.create_index('ix_case_assignment_feed', 'case_assignment', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_case_assignment_scope_feed', 'case_assignment', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_case_assignment_scope_prefix', 'case_assignment', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('case_status_event',
    sa.Column('case_id', sa.UUID(), nullable=False),
    sa.Column('from_status', sa.Enum('home_monitoring', 'needs_attention', 'transfer_requested', 'hospitalized', 'recovered', 'deceased', name='case_status'), nullable=True),
    sa.Column('to_status', sa.Enum('home_monitoring', 'needs_attention', 'transfer_requested', 'hospitalized', 'recovered', 'deceased', name='case_status'), nullable=False),
    sa.Column('changed_by', sa.UUID(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=True),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['f0_case.id'], name=op.f('fk_case_status_event_case_id_f0_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_status_event'))
    )
    op.create_index(op.f('ix_case_status_event_case_id'), 'case_status_event', ['case_id'], unique=False)
    op.create_index('ix_case_status_event_feed', 'case_status_event', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_case_status_event_scope_feed', 'case_status_event', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_case_status_event_scope_prefix', 'case_status_event', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('observation',
    sa.Column('case_id', sa.UUID(), nullable=False),
    sa.Column('kind', sa.Enum('spo2', 'pulse', 'temperature', 'respiratory_rate', 'blood_pressure', 'symptoms', name='observation_kind'), nullable=False),
    sa.Column('loinc', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('value2', sa.Float(), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=True),
    sa.Column('symptoms', postgresql.ARRAY(sa.String(length=40)), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('measured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('measured_by', sa.UUID(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('device_id', sa.UUID(), nullable=True),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['f0_case.id'], name=op.f('fk_observation_case_id_f0_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observation'))
    )
    op.create_index('ix_observation_case_time', 'observation', ['case_id', 'measured_at'], unique=False)
    op.create_index('ix_observation_feed', 'observation', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_observation_scope_feed', 'observation', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_observation_scope_prefix', 'observation', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.execute(AUDIT_FUNCTION)
    for table in SYNCED:
        op.execute(create_sync_trigger(table))
    for table in AUDITED:
        op.execute(create_audit_trigger(table))


def downgrade() -> None:
    for table in AUDITED:
        op.execute(drop_audit_trigger(table))
    for table in SYNCED:
        op.execute(drop_sync_trigger(table))
    op.execute("DROP FUNCTION IF EXISTS audit_row()")
    op.drop_index('ix_observation_scope_prefix', table_name='observation', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_observation_scope_feed', table_name='observation')
    op.drop_index('ix_observation_feed', table_name='observation')
    op.drop_index('ix_observation_case_time', table_name='observation')
    op.drop_table('observation')
    op.drop_index('ix_case_status_event_scope_prefix', table_name='case_status_event', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_case_status_event_scope_feed', table_name='case_status_event')
    op.drop_index('ix_case_status_event_feed', table_name='case_status_event')
    op.drop_index(op.f('ix_case_status_event_case_id'), table_name='case_status_event')
    op.drop_table('case_status_event')
    op.drop_index('ix_case_assignment_scope_prefix', table_name='case_assignment', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_case_assignment_scope_feed', table_name='case_assignment')
    op.drop_index('ix_case_assignment_feed', table_name='case_assignment')
    op.drop_index(op.f('ix_case_assignment_case_id'), table_name='case_assignment')
    op.drop_table('case_assignment')
    op.drop_index('uq_alert_one_open_per_case', table_name='alert', postgresql_where=sa.text("status <> 'resolved'"))
    op.drop_index('ix_alert_station_status', table_name='alert')
    op.drop_index('ix_alert_scope_prefix', table_name='alert', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_alert_scope_feed', table_name='alert')
    op.drop_index('ix_alert_feed', table_name='alert')
    op.drop_table('alert')
    op.drop_index(op.f('ix_f0_case_team_id'), table_name='f0_case')
    op.drop_index(op.f('ix_f0_case_status'), table_name='f0_case')
    op.drop_index(op.f('ix_f0_case_station_id'), table_name='f0_case')
    op.drop_index('ix_f0_case_scope_prefix', table_name='f0_case', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_f0_case_scope_feed', table_name='f0_case')
    op.drop_index('ix_f0_case_feed', table_name='f0_case')
    op.drop_geospatial_table('f0_case')
    op.drop_index(op.f('ix_care_team_member_user_id'), table_name='care_team_member')
    op.drop_table('care_team_member')
    op.drop_index(op.f('ix_care_team_station_id'), table_name='care_team')
    op.drop_index('ix_care_team_scope_prefix', table_name='care_team', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_care_team_scope_feed', table_name='care_team')
    op.drop_index('ix_care_team_feed', table_name='care_team')
    op.drop_table('care_team')
    op.drop_index(op.f('ix_app_user_unit_path'), table_name='app_user')
    op.drop_index(op.f('ix_app_user_station_id'), table_name='app_user')
    op.drop_table('app_user')
    op.drop_index('ix_station_scope_prefix', table_name='station', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_station_scope_feed', table_name='station')
    op.drop_index('ix_station_feed', table_name='station')
    op.drop_index(op.f('ix_station_commune_code'), table_name='station')
    op.drop_geospatial_index('idx_station_position', table_name='station', postgresql_using='gist', column_name='position')
    op.drop_geospatial_table('station')
    op.drop_index('ix_audit_log_scope', table_name='audit_log', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_audit_log_entity_row', table_name='audit_log')
    op.drop_table('audit_log')
    for name in ENUMS:
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
