"""Foundation: PostGIS, the change-feed stamp, and the administrative hierarchy.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 06:03:53.330200
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

from domain.ddl import SYNC_STAMP_FUNCTION, create_sync_trigger, drop_sync_trigger

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE SEQUENCE IF NOT EXISTS sync_version_seq")
    op.execute(SYNC_STAMP_FUNCTION)
    op.create_geospatial_table(
        "admin_unit",
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column(
            "level",
            sa.Enum("national", "province", "district", "commune", name="admin_level"),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("short_name", sa.String(length=120), nullable=False),
        sa.Column("unit_type", sa.String(length=40), nullable=False),
        sa.Column("name_en", sa.String(length=160), nullable=True),
        sa.Column("search_name", sa.String(length=240), nullable=False),
        sa.Column("parent_code", sa.String(length=8), nullable=True),
        sa.Column(
            "centroid",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "bbox",
            Geometry(
                geometry_type="POLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("scope_path", sa.String(length=64), nullable=False),
        sa.Column("sync_txid", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("sync_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "field_hlc",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "ST_Covers(bbox, centroid)", name=op.f("ck_admin_unit_centroid_in_bbox")
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["admin_unit.code"],
            name=op.f("fk_admin_unit_parent_code_admin_unit"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_admin_unit_code")),
    )
    op.create_geospatial_index(
        "idx_admin_unit_bbox",
        "admin_unit",
        ["bbox"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_index(
        "idx_admin_unit_centroid",
        "admin_unit",
        ["centroid"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index("ix_admin_unit_feed", "admin_unit", ["sync_txid", "sync_version"], unique=False)
    op.create_index(op.f("ix_admin_unit_level"), "admin_unit", ["level"], unique=False)
    op.create_index(op.f("ix_admin_unit_parent_code"), "admin_unit", ["parent_code"], unique=False)
    op.create_index(
        "ix_admin_unit_scope_feed",
        "admin_unit",
        ["scope_path", "sync_txid", "sync_version"],
        unique=False,
    )
    op.create_index(
        "ix_admin_unit_scope_prefix",
        "admin_unit",
        ["scope_path"],
        unique=False,
        postgresql_ops={"scope_path": "text_pattern_ops"},
    )
    op.create_index(
        "ix_admin_unit_search_trgm",
        "admin_unit",
        ["search_name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"search_name": "gin_trgm_ops"},
    )
    op.execute(create_sync_trigger("admin_unit"))


def downgrade() -> None:
    op.execute(drop_sync_trigger("admin_unit"))
    op.drop_index(
        "ix_admin_unit_search_trgm",
        table_name="admin_unit",
        postgresql_using="gin",
        postgresql_ops={"search_name": "gin_trgm_ops"},
    )
    op.drop_index(
        "ix_admin_unit_scope_prefix",
        table_name="admin_unit",
        postgresql_ops={"scope_path": "text_pattern_ops"},
    )
    op.drop_index("ix_admin_unit_scope_feed", table_name="admin_unit")
    op.drop_index(op.f("ix_admin_unit_parent_code"), table_name="admin_unit")
    op.drop_index(op.f("ix_admin_unit_level"), table_name="admin_unit")
    op.drop_index("ix_admin_unit_feed", table_name="admin_unit")
    op.drop_geospatial_index(
        "idx_admin_unit_centroid",
        table_name="admin_unit",
        postgresql_using="gist",
        column_name="centroid",
    )
    op.drop_geospatial_index(
        "idx_admin_unit_bbox", table_name="admin_unit", postgresql_using="gist", column_name="bbox"
    )
    op.drop_geospatial_table("admin_unit")
    sa.Enum(name="admin_level").drop(op.get_bind(), checkfirst=True)
    op.execute("DROP FUNCTION IF EXISTS sync_stamp()")
    op.execute("DROP SEQUENCE IF EXISTS sync_version_seq")
    # The extensions stay: other databases objects may use them and they cost nothing.
