"""Supplies: catalog, stock-holding locations, the stock ledger and its derived balances,
discrepancies, requisitions with their history and shipments, equipment and loans.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 06:17:44.271402
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

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# stock_balance (derived) and stock_discrepancy (server-side reconciliation) do not travel.
SYNCED = [
    "catalog_item", "item_lot", "stock_location", "stock_movement", "requisition",
    "requisition_line", "requisition_event", "shipment", "shipment_line", "equipment_unit",
    "equipment_loan",
]
# station_caseload: open F0 cases per station, kept by statement-level triggers on f0_case
# (a bulk insert of a thousand cases costs one upsert per station), locked in station order.
OPEN_CASE = (
    "status IN ('home_monitoring', 'needs_attention', 'transfer_requested') AND NOT deleted"
)
CASELOAD_EVENTS = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}
NEW_OPEN = f"SELECT station_id, 1 AS n FROM new_rows WHERE {OPEN_CASE}"
OLD_OPEN = f"SELECT station_id, -1 AS n FROM old_rows WHERE {OPEN_CASE}"
# Statuses that did not change cancel out: an edit of an open case takes no lock.
UPSERT = (
    "INSERT INTO station_caseload AS c (station_id, open_cases) "
    "SELECT station_id, sum(n) FROM ({rows}) d GROUP BY station_id HAVING sum(n) <> 0 "
    "ORDER BY station_id "
    "ON CONFLICT (station_id) DO UPDATE SET open_cases = c.open_cases + excluded.open_cases;"
)
CASELOAD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION station_caseload_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {UPSERT.format(rows=NEW_OPEN)}
    ELSIF TG_OP = 'DELETE' THEN
        {UPSERT.format(rows=OLD_OPEN)}
    ELSE
        {UPSERT.format(rows=f"{NEW_OPEN} UNION ALL {OLD_OPEN}")}
    END IF;
    RETURN NULL;
END
$$;
"""
ENUMS = [
    "item_category", "location_kind", "movement_kind", "requisition_status", "shipment_status",
    "equipment_status", "loan_status", "discrepancy_status",
]


def upgrade() -> None:
    op.create_table('catalog_item',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('category', sa.Enum('medicine_bag', 'test_kit', 'spo2_meter', 'bp_meter', 'oxygen_cylinder', 'oxygen_concentrator', 'protective_equipment', name='item_category'), nullable=False),
    sa.Column('unit_of_issue', sa.String(length=16), nullable=False),
    sa.Column('durable', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('lot_tracked', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('size_label', sa.String(length=24), nullable=True),
    sa.Column('map_key', sa.String(length=16), nullable=True),
    sa.Column('min_station_stock', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('daily_use_per_case', sa.Float(), server_default=sa.text('0'), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('NOT (durable AND lot_tracked)', name=op.f('ck_catalog_item_durable_not_lot')),
    sa.CheckConstraint('min_station_stock >= 0 AND daily_use_per_case >= 0', name=op.f('ck_catalog_item_planning')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_item')),
    sa.UniqueConstraint('code', name=op.f('uq_catalog_item_code'))
    )
    op.create_index('ix_catalog_item_feed', 'catalog_item', ['sync_txid', 'sync_version'], unique=False)
    op.create_index(op.f('ix_catalog_item_map_key'), 'catalog_item', ['map_key'], unique=False)
    op.create_index('ix_catalog_item_scope_feed', 'catalog_item', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_catalog_item_scope_prefix', 'catalog_item', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('item_lot',
    sa.Column('item_id', sa.UUID(), nullable=False),
    sa.Column('lot_no', sa.String(length=40), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['catalog_item.id'], name=op.f('fk_item_lot_item_id_catalog_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_lot')),
    sa.UniqueConstraint('item_id', 'lot_no', name=op.f('uq_item_lot_item_id'))
    )
    op.create_index(op.f('ix_item_lot_expires_on'), 'item_lot', ['expires_on'], unique=False)
    op.create_index('ix_item_lot_feed', 'item_lot', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_item_lot_scope_feed', 'item_lot', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_item_lot_scope_prefix', 'item_lot', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('stock_location',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.Enum('city_warehouse', 'district_warehouse', 'station', 'household', name='location_kind'), nullable=False),
    sa.Column('unit_code', sa.String(length=8), nullable=False),
    sa.Column('station_id', sa.UUID(), nullable=True),
    sa.Column('case_id', sa.UUID(), nullable=True),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind <> 'household' OR case_id IS NOT NULL", name=op.f('ck_stock_location_household_has_case')),
    sa.CheckConstraint("kind <> 'station' OR station_id IS NOT NULL", name=op.f('ck_stock_location_station_has_station')),
    sa.ForeignKeyConstraint(['case_id'], ['f0_case.id'], name=op.f('fk_stock_location_case_id_f0_case')),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_stock_location_station_id_station')),
    sa.ForeignKeyConstraint(['unit_code'], ['admin_unit.code'], name=op.f('fk_stock_location_unit_code_admin_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_location')),
    sa.UniqueConstraint('case_id', name=op.f('uq_stock_location_case_id')),
    sa.UniqueConstraint('code', name=op.f('uq_stock_location_code'))
    )
    op.create_index('ix_stock_location_feed', 'stock_location', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_stock_location_scope_feed', 'stock_location', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_stock_location_scope_prefix', 'stock_location', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_index(op.f('ix_stock_location_station_id'), 'stock_location', ['station_id'], unique=False)
    op.create_index('uq_stock_location_station', 'stock_location', ['station_id'], unique=True, postgresql_where=sa.text("kind = 'station'"))
    op.create_index('uq_stock_location_warehouse', 'stock_location', ['unit_code'], unique=True, postgresql_where=sa.text("kind IN ('city_warehouse', 'district_warehouse')"))
    op.create_table('equipment_unit',
    sa.Column('item_id', sa.UUID(), nullable=False),
    sa.Column('serial_no', sa.String(length=64), nullable=False),
    sa.Column('location_id', sa.UUID(), nullable=False),
    sa.Column('status', sa.Enum('in_stock', 'in_transit', 'on_loan', 'damaged', 'lost', name='equipment_status'), server_default='in_stock', nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['catalog_item.id'], name=op.f('fk_equipment_unit_item_id_catalog_item')),
    sa.ForeignKeyConstraint(['location_id'], ['stock_location.id'], name=op.f('fk_equipment_unit_location_id_stock_location')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment_unit')),
    sa.UniqueConstraint('serial_no', name=op.f('uq_equipment_unit_serial_no'))
    )
    op.create_index('ix_equipment_unit_feed', 'equipment_unit', ['sync_txid', 'sync_version'], unique=False)
    op.create_index(op.f('ix_equipment_unit_location_id'), 'equipment_unit', ['location_id'], unique=False)
    op.create_index('ix_equipment_unit_scope_feed', 'equipment_unit', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_equipment_unit_scope_prefix', 'equipment_unit', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('requisition',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('location_id', sa.UUID(), nullable=False),
    sa.Column('supplier_location_id', sa.UUID(), nullable=True),
    sa.Column('status', sa.Enum('submitted', 'forwarded', 'approved', 'rejected', 'shipped', 'received', 'cancelled', name='requisition_status'), server_default='submitted', nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('f0_under_care', sa.Integer(), nullable=False),
    sa.Column('days_of_cover', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.UUID(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('decision_note', sa.String(length=255), nullable=True),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('f0_under_care >= 0 AND days_of_cover BETWEEN 1 AND 90', name=op.f('ck_requisition_need')),
    sa.ForeignKeyConstraint(['location_id'], ['stock_location.id'], name=op.f('fk_requisition_location_id_stock_location')),
    sa.ForeignKeyConstraint(['supplier_location_id'], ['stock_location.id'], name=op.f('fk_requisition_supplier_location_id_stock_location')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requisition')),
    sa.UniqueConstraint('code', name=op.f('uq_requisition_code'))
    )
    op.create_index('ix_requisition_feed', 'requisition', ['sync_txid', 'sync_version'], unique=False)
    op.create_index(op.f('ix_requisition_location_id'), 'requisition', ['location_id'], unique=False)
    op.create_index('ix_requisition_scope_feed', 'requisition', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_requisition_scope_prefix', 'requisition', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_index(op.f('ix_requisition_status'), 'requisition', ['status'], unique=False)
    op.create_table('stock_balance',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('location_id', sa.UUID(), nullable=False),
    sa.Column('item_id', sa.UUID(), nullable=False),
    sa.Column('lot_id', sa.UUID(), nullable=True),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('qty', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('last_count_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_count_id', sa.UUID(), nullable=True),
    sa.Column('last_occurred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['catalog_item.id'], name=op.f('fk_stock_balance_item_id_catalog_item')),
    sa.ForeignKeyConstraint(['location_id'], ['stock_location.id'], name=op.f('fk_stock_balance_location_id_stock_location')),
    sa.ForeignKeyConstraint(['lot_id'], ['item_lot.id'], name=op.f('fk_stock_balance_lot_id_item_lot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_balance')),
    sa.UniqueConstraint('location_id', 'item_id', 'lot_id', name=op.f('uq_stock_balance_location_id'), postgresql_nulls_not_distinct=True)
    )
    op.create_index('ix_stock_balance_scope', 'stock_balance', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('equipment_loan',
    sa.Column('unit_id', sa.UUID(), nullable=False),
    sa.Column('item_id', sa.UUID(), nullable=False),
    sa.Column('case_id', sa.UUID(), nullable=False),
    sa.Column('station_location_id', sa.UUID(), nullable=False),
    sa.Column('household_location_id', sa.UUID(), nullable=False),
    sa.Column('status', sa.Enum('open', 'returned', 'lost', name='loan_status'), server_default='open', nullable=False),
    sa.Column('lent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('lent_by', sa.UUID(), nullable=True),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('returned_by', sa.UUID(), nullable=True),
    sa.Column('return_condition', sa.String(length=16), nullable=True),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['f0_case.id'], name=op.f('fk_equipment_loan_case_id_f0_case')),
    sa.ForeignKeyConstraint(['household_location_id'], ['stock_location.id'], name=op.f('fk_equipment_loan_household_location_id_stock_location')),
    sa.ForeignKeyConstraint(['item_id'], ['catalog_item.id'], name=op.f('fk_equipment_loan_item_id_catalog_item')),
    sa.ForeignKeyConstraint(['station_location_id'], ['stock_location.id'], name=op.f('fk_equipment_loan_station_location_id_stock_location')),
    sa.ForeignKeyConstraint(['unit_id'], ['equipment_unit.id'], name=op.f('fk_equipment_loan_unit_id_equipment_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment_loan'))
    )
    op.create_index(op.f('ix_equipment_loan_case_id'), 'equipment_loan', ['case_id'], unique=False)
    op.create_index('ix_equipment_loan_feed', 'equipment_loan', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_equipment_loan_scope_feed', 'equipment_loan', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_equipment_loan_scope_prefix', 'equipment_loan', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_index('ix_equipment_loan_status_due', 'equipment_loan', ['status', 'due_on'], unique=False)
    op.create_index('uq_equipment_loan_open_unit', 'equipment_loan', ['unit_id'], unique=True, postgresql_where=sa.text("status = 'open'"))
    op.create_table('requisition_event',
    sa.Column('requisition_id', sa.UUID(), nullable=False),
    sa.Column('from_status', sa.Enum('submitted', 'forwarded', 'approved', 'rejected', 'shipped', 'received', 'cancelled', name='requisition_status'), nullable=True),
    sa.Column('to_status', sa.Enum('submitted', 'forwarded', 'approved', 'rejected', 'shipped', 'received', 'cancelled', name='requisition_status'), nullable=False),
    sa.Column('actor_id', sa.UUID(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['requisition_id'], ['requisition.id'], name=op.f('fk_requisition_event_requisition_id_requisition')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requisition_event'))
    )
    op.create_index('ix_requisition_event_feed', 'requisition_event', ['sync_txid', 'sync_version'], unique=False)
    op.create_index(op.f('ix_requisition_event_requisition_id'), 'requisition_event', ['requisition_id'], unique=False)
    op.create_index('ix_requisition_event_scope_feed', 'requisition_event', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_requisition_event_scope_prefix', 'requisition_event', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('requisition_line',
    sa.Column('requisition_id', sa.UUID(), nullable=False),
    sa.Column('item_id', sa.UUID(), nullable=False),
    sa.Column('requested_qty', sa.Integer(), nullable=False),
    sa.Column('approved_qty', sa.Integer(), nullable=True),
    sa.Column('shipped_qty', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('accepted_qty', sa.Integer(), nullable=True),
    sa.Column('rejected_qty', sa.Integer(), nullable=True),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('requested_qty > 0 AND coalesce(approved_qty, 0) >= 0', name=op.f('ck_requisition_line_qty')),
    sa.ForeignKeyConstraint(['item_id'], ['catalog_item.id'], name=op.f('fk_requisition_line_item_id_catalog_item')),
    sa.ForeignKeyConstraint(['requisition_id'], ['requisition.id'], name=op.f('fk_requisition_line_requisition_id_requisition')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requisition_line')),
    sa.UniqueConstraint('requisition_id', 'item_id', name=op.f('uq_requisition_line_requisition_id'))
    )
    op.create_index('ix_requisition_line_feed', 'requisition_line', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_requisition_line_scope_feed', 'requisition_line', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_requisition_line_scope_prefix', 'requisition_line', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('shipment',
    sa.Column('requisition_id', sa.UUID(), nullable=False),
    sa.Column('from_location_id', sa.UUID(), nullable=False),
    sa.Column('to_location_id', sa.UUID(), nullable=False),
    sa.Column('status', sa.Enum('in_transit', 'delivered', name='shipment_status'), server_default='in_transit', nullable=False),
    sa.Column('shipped_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('shipped_by', sa.UUID(), nullable=True),
    sa.Column('carrier', sa.String(length=120), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_by', sa.UUID(), nullable=True),
    sa.Column('receipt_note', sa.String(length=255), nullable=True),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['from_location_id'], ['stock_location.id'], name=op.f('fk_shipment_from_location_id_stock_location')),
    sa.ForeignKeyConstraint(['requisition_id'], ['requisition.id'], name=op.f('fk_shipment_requisition_id_requisition')),
    sa.ForeignKeyConstraint(['to_location_id'], ['stock_location.id'], name=op.f('fk_shipment_to_location_id_stock_location')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment')),
    sa.UniqueConstraint('requisition_id', name=op.f('uq_shipment_requisition_id'))
    )
    op.create_index('ix_shipment_feed', 'shipment', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_shipment_scope_feed', 'shipment', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_shipment_scope_prefix', 'shipment', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('shipment_line',
    sa.Column('shipment_id', sa.UUID(), nullable=False),
    sa.Column('item_id', sa.UUID(), nullable=False),
    sa.Column('lot_id', sa.UUID(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('serials', postgresql.ARRAY(sa.String(length=64)), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('accepted_qty', sa.Integer(), nullable=True),
    sa.Column('rejected_qty', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sa.String(length=255), nullable=True),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('quantity > 0 AND (accepted_qty IS NULL OR accepted_qty + rejected_qty = quantity)', name=op.f('ck_shipment_line_qty')),
    sa.ForeignKeyConstraint(['item_id'], ['catalog_item.id'], name=op.f('fk_shipment_line_item_id_catalog_item')),
    sa.ForeignKeyConstraint(['lot_id'], ['item_lot.id'], name=op.f('fk_shipment_line_lot_id_item_lot')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], name=op.f('fk_shipment_line_shipment_id_shipment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_line'))
    )
    op.create_index('ix_shipment_line_feed', 'shipment_line', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_shipment_line_scope_feed', 'shipment_line', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_shipment_line_scope_prefix', 'shipment_line', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_index(op.f('ix_shipment_line_shipment_id'), 'shipment_line', ['shipment_id'], unique=False)
    op.create_table('stock_movement',
    sa.Column('location_id', sa.UUID(), nullable=False),
    sa.Column('item_id', sa.UUID(), nullable=False),
    sa.Column('lot_id', sa.UUID(), nullable=True),
    sa.Column('kind', sa.Enum('receipt', 'issue', 'transfer_out', 'transfer_in', 'adjustment', 'physical_count', 'loss', 'expiry', name='movement_kind'), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('recorded_by', sa.UUID(), nullable=True),
    sa.Column('device_id', sa.UUID(), nullable=True),
    sa.Column('offline', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=True),
    sa.Column('case_id', sa.UUID(), nullable=True),
    sa.Column('serial_no', sa.String(length=64), nullable=True),
    sa.Column('shipment_id', sa.UUID(), nullable=True),
    sa.Column('loan_id', sa.UUID(), nullable=True),
    sa.Column('absorbed_by', sa.UUID(), nullable=True),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('sync_txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('sync_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('field_hlc', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("CASE kind WHEN 'adjustment' THEN quantity <> 0 WHEN 'physical_count' THEN quantity >= 0 ELSE quantity > 0 END", name=op.f('ck_stock_movement_quantity_sign')),
    sa.ForeignKeyConstraint(['case_id'], ['f0_case.id'], name=op.f('fk_stock_movement_case_id_f0_case')),
    sa.ForeignKeyConstraint(['item_id'], ['catalog_item.id'], name=op.f('fk_stock_movement_item_id_catalog_item')),
    sa.ForeignKeyConstraint(['loan_id'], ['equipment_loan.id'], name=op.f('fk_stock_movement_loan_id_equipment_loan')),
    sa.ForeignKeyConstraint(['location_id'], ['stock_location.id'], name=op.f('fk_stock_movement_location_id_stock_location')),
    sa.ForeignKeyConstraint(['lot_id'], ['item_lot.id'], name=op.f('fk_stock_movement_lot_id_item_lot')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], name=op.f('fk_stock_movement_shipment_id_shipment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movement'))
    )
    op.create_index(op.f('ix_stock_movement_case_id'), 'stock_movement', ['case_id'], unique=False)
    op.create_index('ix_stock_movement_feed', 'stock_movement', ['sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_stock_movement_key_time', 'stock_movement', ['location_id', 'item_id', 'lot_id', 'occurred_at'], unique=False)
    op.create_index('ix_stock_movement_location_time', 'stock_movement', ['location_id', 'occurred_at'], unique=False)
    op.create_index('ix_stock_movement_scope_feed', 'stock_movement', ['scope_path', 'sync_txid', 'sync_version'], unique=False)
    op.create_index('ix_stock_movement_scope_prefix', 'stock_movement', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_index(op.f('ix_stock_movement_shipment_id'), 'stock_movement', ['shipment_id'], unique=False)
    op.create_index('ix_stock_movement_usage', 'stock_movement', ['item_id', 'occurred_at'], unique=False, postgresql_include=['location_id', 'quantity'], postgresql_where=sa.text("kind IN ('issue', 'transfer_out')"))
    op.create_table('stock_discrepancy',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('scope_path', sa.String(length=64), nullable=False),
    sa.Column('location_id', sa.UUID(), nullable=False),
    sa.Column('item_id', sa.UUID(), nullable=False),
    sa.Column('lot_id', sa.UUID(), nullable=True),
    sa.Column('movement_id', sa.UUID(), nullable=False),
    sa.Column('balance_after', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'resolved', name='discrepancy_status'), server_default='open', nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.UUID(), nullable=True),
    sa.Column('resolution', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['catalog_item.id'], name=op.f('fk_stock_discrepancy_item_id_catalog_item')),
    sa.ForeignKeyConstraint(['location_id'], ['stock_location.id'], name=op.f('fk_stock_discrepancy_location_id_stock_location')),
    sa.ForeignKeyConstraint(['lot_id'], ['item_lot.id'], name=op.f('fk_stock_discrepancy_lot_id_item_lot')),
    sa.ForeignKeyConstraint(['movement_id'], ['stock_movement.id'], name=op.f('fk_stock_discrepancy_movement_id_stock_movement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_discrepancy')),
    sa.UniqueConstraint('movement_id', name=op.f('uq_stock_discrepancy_movement_id'))
    )
    op.create_index('ix_stock_discrepancy_scope', 'stock_discrepancy', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.create_table('station_caseload',
    sa.Column('station_id', sa.UUID(), nullable=False),
    sa.Column('open_cases', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_station_caseload_station_id_station'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('station_id', name=op.f('pk_station_caseload'))
    )
    for table in SYNCED:
        op.execute(create_sync_trigger(table))
        op.execute(create_audit_trigger(table))
    op.execute(CASELOAD_FUNCTION)
    for event, tables in CASELOAD_EVENTS.items():
        op.execute(
            f"CREATE TRIGGER f0_case_caseload_{event.lower()} AFTER {event} ON f0_case "
            f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION station_caseload_apply()"
        )
    op.execute(
        f"INSERT INTO station_caseload (station_id, open_cases) SELECT station_id, count(*) "
        f"FROM f0_case WHERE {OPEN_CASE} GROUP BY station_id"
    )


def downgrade() -> None:
    for event in CASELOAD_EVENTS:
        op.execute(f"DROP TRIGGER IF EXISTS f0_case_caseload_{event.lower()} ON f0_case")
    op.execute("DROP FUNCTION IF EXISTS station_caseload_apply()")
    op.drop_table('station_caseload')
    for table in SYNCED:
        op.execute(drop_audit_trigger(table))
        op.execute(drop_sync_trigger(table))
    op.drop_index('ix_stock_discrepancy_scope', table_name='stock_discrepancy', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_table('stock_discrepancy')
    op.drop_index('ix_stock_movement_usage', table_name='stock_movement', postgresql_where=sa.text("kind IN ('issue', 'transfer_out')"))
    op.drop_index(op.f('ix_stock_movement_shipment_id'), table_name='stock_movement')
    op.drop_index('ix_stock_movement_scope_prefix', table_name='stock_movement', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_stock_movement_scope_feed', table_name='stock_movement')
    op.drop_index('ix_stock_movement_location_time', table_name='stock_movement')
    op.drop_index('ix_stock_movement_key_time', table_name='stock_movement')
    op.drop_index('ix_stock_movement_feed', table_name='stock_movement')
    op.drop_index(op.f('ix_stock_movement_case_id'), table_name='stock_movement')
    op.drop_table('stock_movement')
    op.drop_index(op.f('ix_shipment_line_shipment_id'), table_name='shipment_line')
    op.drop_index('ix_shipment_line_scope_prefix', table_name='shipment_line', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_shipment_line_scope_feed', table_name='shipment_line')
    op.drop_index('ix_shipment_line_feed', table_name='shipment_line')
    op.drop_table('shipment_line')
    op.drop_index('ix_shipment_scope_prefix', table_name='shipment', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_shipment_scope_feed', table_name='shipment')
    op.drop_index('ix_shipment_feed', table_name='shipment')
    op.drop_table('shipment')
    op.drop_index('ix_requisition_line_scope_prefix', table_name='requisition_line', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_requisition_line_scope_feed', table_name='requisition_line')
    op.drop_index('ix_requisition_line_feed', table_name='requisition_line')
    op.drop_table('requisition_line')
    op.drop_index('ix_requisition_event_scope_prefix', table_name='requisition_event', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_requisition_event_scope_feed', table_name='requisition_event')
    op.drop_index(op.f('ix_requisition_event_requisition_id'), table_name='requisition_event')
    op.drop_index('ix_requisition_event_feed', table_name='requisition_event')
    op.drop_table('requisition_event')
    op.drop_index('uq_equipment_loan_open_unit', table_name='equipment_loan', postgresql_where=sa.text("status = 'open'"))
    op.drop_index('ix_equipment_loan_status_due', table_name='equipment_loan')
    op.drop_index('ix_equipment_loan_scope_prefix', table_name='equipment_loan', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_equipment_loan_scope_feed', table_name='equipment_loan')
    op.drop_index('ix_equipment_loan_feed', table_name='equipment_loan')
    op.drop_index(op.f('ix_equipment_loan_case_id'), table_name='equipment_loan')
    op.drop_table('equipment_loan')
    op.drop_index('ix_stock_balance_scope', table_name='stock_balance', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_table('stock_balance')
    op.drop_index(op.f('ix_requisition_status'), table_name='requisition')
    op.drop_index('ix_requisition_scope_prefix', table_name='requisition', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_requisition_scope_feed', table_name='requisition')
    op.drop_index(op.f('ix_requisition_location_id'), table_name='requisition')
    op.drop_index('ix_requisition_feed', table_name='requisition')
    op.drop_table('requisition')
    op.drop_index('ix_equipment_unit_scope_prefix', table_name='equipment_unit', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_equipment_unit_scope_feed', table_name='equipment_unit')
    op.drop_index(op.f('ix_equipment_unit_location_id'), table_name='equipment_unit')
    op.drop_index('ix_equipment_unit_feed', table_name='equipment_unit')
    op.drop_table('equipment_unit')
    op.drop_index('uq_stock_location_warehouse', table_name='stock_location', postgresql_where=sa.text("kind IN ('city_warehouse', 'district_warehouse')"))
    op.drop_index('uq_stock_location_station', table_name='stock_location', postgresql_where=sa.text("kind = 'station'"))
    op.drop_index(op.f('ix_stock_location_station_id'), table_name='stock_location')
    op.drop_index('ix_stock_location_scope_prefix', table_name='stock_location', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_stock_location_scope_feed', table_name='stock_location')
    op.drop_index('ix_stock_location_feed', table_name='stock_location')
    op.drop_table('stock_location')
    op.drop_index('ix_item_lot_scope_prefix', table_name='item_lot', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_item_lot_scope_feed', table_name='item_lot')
    op.drop_index('ix_item_lot_feed', table_name='item_lot')
    op.drop_index(op.f('ix_item_lot_expires_on'), table_name='item_lot')
    op.drop_table('item_lot')
    op.drop_index('ix_catalog_item_scope_prefix', table_name='catalog_item', postgresql_ops={'scope_path': 'text_pattern_ops'})
    op.drop_index('ix_catalog_item_scope_feed', table_name='catalog_item')
    op.drop_index(op.f('ix_catalog_item_map_key'), table_name='catalog_item')
    op.drop_index('ix_catalog_item_feed', table_name='catalog_item')
    op.drop_table('catalog_item')
    for name in ENUMS:
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
