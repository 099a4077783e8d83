"""Domain errors: raised by services, mapped to HTTP once in api/errors.py."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class; ``field`` names the input at fault when there is one."""

    code = "domain_error"

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra


class NotFound(DomainError):
    """Missing, or outside the caller's scope: the two look the same on purpose."""

    code = "not_found"


class Deleted(NotFound):
    """The object (or the one the write refers to) was deleted: a tombstone, not a typo."""

    code = "deleted"


class ValidationFailed(DomainError):
    code = "invalid"


class ExpiredLot(ValidationFailed):
    """A lot past its expiry date was to be issued, dispensed or shipped."""

    code = "lot_expired"


class Conflict(DomainError):
    code = "conflict"


class Forbidden(DomainError):
    """The caller may see the object but not do this to it."""

    code = "forbidden"


class Immutable(Conflict):
    """A recorded event (or a field fixed at creation) cannot change: the same id again with
    other content is refused, not taken as a retry."""

    code = "immutable"


class DuplicateCase(Conflict):
    """The person is already a case (``existing_case_id``, ``existing_case_code``)."""

    code = "duplicate_case"


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"


class InsufficientStock(Conflict):
    code = "insufficient_stock"


class Throttled(DomainError):
    """Too many attempts; ``retry_after_s`` says when to try again."""

    code = "throttled"

    def __init__(self, message: str, *, retry_after_s: float, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after_s = max(1, int(retry_after_s + 0.999))
