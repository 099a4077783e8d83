"""Dispensing (a bag given or a device lent, with the stock it took), losses in transit on
shipments, and discrepancies the level above closes (now audited, like every operational
table).

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-01 12:00:00.000000
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

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND = postgresql.ENUM("bag_a", "bag_b", "bag_c", "loan", name="dispensing_kind",
                       create_type=False)
CAUSE = postgresql.ENUM("negative_stock", "loss_in_transit", name="discrepancy_cause",
                        create_type=False)
OUTCOME = postgresql.ENUM("confirmed", "counted", "adjusted", name="discrepancy_outcome",
                          create_type=False)
OLD_LINE_CHECK = "quantity > 0 AND (accepted_qty IS NULL OR accepted_qty + rejected_qty = quantity)"
NEW_LINE_CHECK = (
    "quantity > 0 AND lost_qty >= 0 AND "
    "(accepted_qty IS NULL OR accepted_qty + rejected_qty + lost_qty = quantity)"
)


def upgrade() -> None:
    bind = op.get_bind()
    for enum in (KIND, CAUSE, OUTCOME):
        enum.create(bind, checkfirst=True)
    op.create_table(
        "dispensing",
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("kind", KIND, nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location_id", sa.UUID(), nullable=False),
        sa.Column("item_id", sa.UUID(), nullable=False),
        sa.Column("lot_id", sa.UUID(), nullable=True),
        sa.Column("serial_no", sa.String(length=64), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("movement_id", sa.UUID(), nullable=True),
        sa.Column("loan_id", sa.UUID(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("recorded_by", sa.UUID(), nullable=True),
        sa.Column("device_id", sa.UUID(), nullable=True),
        sa.Column("offline", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("scope_path", sa.String(length=64), nullable=False),
        sa.Column("sync_txid", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("sync_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("field_hlc", postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["f0_case.id"],
                                name=op.f("fk_dispensing_case_id_f0_case")),
        sa.ForeignKeyConstraint(["item_id"], ["catalog_item.id"],
                                name=op.f("fk_dispensing_item_id_catalog_item")),
        sa.ForeignKeyConstraint(["loan_id"], ["equipment_loan.id"],
                                name=op.f("fk_dispensing_loan_id_equipment_loan")),
        sa.ForeignKeyConstraint(["location_id"], ["stock_location.id"],
                                name=op.f("fk_dispensing_location_id_stock_location")),
        sa.ForeignKeyConstraint(["lot_id"], ["item_lot.id"],
                                name=op.f("fk_dispensing_lot_id_item_lot")),
        sa.ForeignKeyConstraint(["movement_id"], ["stock_movement.id"],
                                name=op.f("fk_dispensing_movement_id_stock_movement")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispensing")),
    )
    op.create_index(op.f("ix_dispensing_case_id"), "dispensing", ["case_id"])
    op.create_index("uq_dispensing_case_bag", "dispensing", ["case_id", "kind"], unique=True,
                    postgresql_where=sa.text("kind <> 'loan'"))
    op.create_index("ix_dispensing_scope_feed", "dispensing",
                    ["scope_path", "sync_txid", "sync_version"])
    op.create_index("ix_dispensing_feed", "dispensing", ["sync_txid", "sync_version"])
    op.create_index("ix_dispensing_scope_prefix", "dispensing", ["scope_path"],
                    postgresql_ops={"scope_path": "text_pattern_ops"})
    op.execute(create_sync_trigger("dispensing"))
    op.execute(create_audit_trigger("dispensing"))

    op.add_column("shipment_line", sa.Column("lost_qty", sa.Integer(),
                                             server_default=sa.text("0"), nullable=False))
    op.add_column("shipment_line", sa.Column("loss_reason", sa.String(length=255)))
    op.drop_constraint(op.f("ck_shipment_line_qty"), "shipment_line", type_="check")
    op.create_check_constraint(op.f("ck_shipment_line_qty"), "shipment_line", NEW_LINE_CHECK)
    op.add_column("requisition_line", sa.Column("lost_qty", sa.Integer()))

    op.add_column("stock_discrepancy", sa.Column("cause", CAUSE,
                                                 server_default="negative_stock",
                                                 nullable=False))
    op.add_column("stock_discrepancy", sa.Column("quantity", sa.Integer()))
    op.add_column("stock_discrepancy", sa.Column("explanation", sa.String(length=255)))
    op.add_column("stock_discrepancy",
                  sa.Column("explained_at", sa.DateTime(timezone=True)))
    op.add_column("stock_discrepancy", sa.Column("explained_by", sa.UUID()))
    op.add_column("stock_discrepancy", sa.Column("outcome", OUTCOME))
    op.add_column("stock_discrepancy", sa.Column("resolution_movement_id", sa.UUID()))
    op.create_foreign_key(
        op.f("fk_stock_discrepancy_resolution_movement_id_stock_movement"),
        "stock_discrepancy", "stock_movement", ["resolution_movement_id"], ["id"],
    )
    # who explained and who closed a discrepancy, and how, belongs in the audit trail
    op.execute(create_audit_trigger("stock_discrepancy"))


def downgrade() -> None:
    op.execute(drop_audit_trigger("stock_discrepancy"))
    op.drop_constraint(op.f("fk_stock_discrepancy_resolution_movement_id_stock_movement"),
                       "stock_discrepancy", type_="foreignkey")
    for column in ("resolution_movement_id", "outcome", "explained_by", "explained_at",
                   "explanation", "quantity", "cause"):
        op.drop_column("stock_discrepancy", column)
    op.drop_column("requisition_line", "lost_qty")
    op.drop_constraint(op.f("ck_shipment_line_qty"), "shipment_line", type_="check")
    op.create_check_constraint(op.f("ck_shipment_line_qty"), "shipment_line", OLD_LINE_CHECK)
    op.drop_column("shipment_line", "loss_reason")
    op.drop_column("shipment_line", "lost_qty")
    op.execute(drop_audit_trigger("dispensing"))
    op.execute(drop_sync_trigger("dispensing"))
    op.drop_table("dispensing")
    bind = op.get_bind()
    for enum in (OUTCOME, CAUSE, KIND):
        enum.drop(bind, checkfirst=True)
