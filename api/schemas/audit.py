"""Audit entries on the wire: the domain's read model, paged."""

from __future__ import annotations

from typing import Annotated

from api.paging import Page, page_schema
from domain.services.audit import AuditRecord

AuditPage = Annotated[Page[AuditRecord], page_schema("AuditPage")]
