"""All mapped models, imported here so Alembic and the mappers see every table."""

from domain.models.admin_unit import AdminLevel, AdminUnit

__all__ = ["AdminLevel", "AdminUnit"]
