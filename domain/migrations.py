"""Run Alembic from code: the service, the tests and the CLI share one path to the schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parent.parent


# Tables that PostGIS (and its optional tiger/topology add-ons) create in our database.
FOREIGN_TABLES = {"spatial_ref_sys", "layer", "topology"}
FOREIGN_SCHEMAS = {"tiger", "tiger_data", "topology"}


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter: compare our objects only, with GeoAlchemy2's spatial-index handling."""
    from geoalchemy2 import alembic_helpers

    if type_ == "table" and (
        name in FOREIGN_TABLES or getattr(obj, "schema", None) in FOREIGN_SCHEMAS
    ):
        return False
    return bool(alembic_helpers.include_object(obj, name, type_, reflected, compare_to))


def alembic_config(database_url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = database_url
    cfg.attributes["configure_logger"] = False
    return cfg


def heads() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config("")).get_heads())


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Blocking: call from a thread when an event loop is running (env.py uses asyncio.run)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
