"""Whole-request failures of the sync endpoints; nothing from such a request is applied.

They are not domain errors: each maps to one HTTP status defined by the protocol (400, 401,
413, 415, 426), and the sync controller turns them into problem+json in one place.
"""

from __future__ import annotations

from typing import Any


class SyncRequestError(Exception):
    status = 400
    code = "invalid_request"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra


class BadSyncRequest(SyncRequestError):
    """Malformed body: wrong types, unknown entity or field, a value that cannot be pushed."""


class Unauthenticated(SyncRequestError):
    status = 401
    code = "unauthenticated"


class PayloadTooLarge(SyncRequestError):
    status = 413
    code = "too_large"


class UnsupportedMediaType(SyncRequestError):
    status = 415
    code = "unsupported_media_type"


class UnsupportedProtocol(SyncRequestError):
    status = 426
    code = "unsupported_protocol"


class ServiceUnavailable(SyncRequestError):
    """Nothing wrong with the request: the server could not apply it now (the ward stayed
    busy, or the database kept reporting transient failures). Nothing was applied; retry
    after ``retry_after`` seconds, with the same mutation ids."""

    status = 503
    code = "unavailable"
