"""Every error leaves as RFC 9457 problem+json; domain errors are mapped here and only here."""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError

from api.schemas.common import Problem
from domain import errors as de
from domain.db_errors import classify_db_error

log = logging.getLogger("fieldops.errors")

PROBLEM_JSON = "application/problem+json"

DOMAIN_STATUS: dict[type[de.DomainError], int] = {
    de.NotFound: 404,
    de.Forbidden: 403,
    de.ValidationFailed: 422,
    de.TransitionNotAllowed: 409,
    de.InsufficientStock: 409,
    de.Conflict: 409,
    de.Throttled: 429,
}

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    426: "Upgrade required",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem(
    status: int, detail: str | None = None, *, shape: type[Problem] = Problem,
    headers: dict[str, str] | None = None, **fields: Any,
) -> Response[Problem]:
    """The one builder of problem+json answers, the API's and the sync edge's (``shape`` is
    then ``SyncProblem``, which adds the server clock and the protocol's limits)."""
    body = shape(title=TITLES.get(status, "Error"), status=status, detail=detail, **fields)
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _domain_status(exc: de.DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in DOMAIN_STATUS:
            return DOMAIN_STATUS[cls]
    return 400


def domain_error_handler(_: Request[Any, Any, Any], exc: de.DomainError) -> Response[Problem]:
    extra = {k: v for k, v in exc.extra.items() if isinstance(v, str)}
    errors = [{"field": exc.field, "message": exc.message}] if exc.field else None
    named: dict[str, Any] = {}
    if isinstance(exc, de.DuplicateCase):
        named["existing_case"] = {"id": exc.extra["existing_case_id"],
                                  "case_code": exc.extra["existing_case_code"]}
    resp = problem(_domain_status(exc), exc.message, code=exc.code, field=exc.field,
                   errors=errors, **named)
    if extra:
        resp.headers.update({f"X-{k.replace('_', '-').title()}": v for k, v in extra.items()})
    if isinstance(exc, de.Throttled):
        resp.headers["Retry-After"] = str(exc.retry_after_s)
    return resp


_NAMED = re.compile(r"(?:missing required field|unknown field) `([^`]+)`")
_AT = re.compile(r"at `\$\.?([^`]*)`")


def _wire_name(request: Request[Any, Any, Any], key: str) -> str:
    """The name a parameter has on the wire (``?id=``) rather than in Python (``row_id``)."""
    try:
        param = request.route_handler.parsed_fn_signature.parameters.get(key)
    except Exception:  # no handler resolved (a framework-level refusal)
        return key
    kwarg = getattr(param, "kwarg_definition", None) if param is not None else None
    for attr in ("name", "query", "header", "cookie"):
        alias = getattr(kwarg, attr, None)
        if isinstance(alias, str) and alias:
            return alias
    return key


def _field_of(item: dict[str, Any], request: Request[Any, Any, Any]) -> str:
    key = item.get("key")
    if key and key != "data":  # "data" is Litestar's name for the whole body
        return _wire_name(request, str(key))
    named = field_in_message(str(item.get("message", "")))
    if named:
        return named
    return "body" if item.get("source") == "body" else ""


def field_in_message(msg: str) -> str | None:
    """The field a msgspec message blames: "Expected `int`, got `str` - at `$.limit`" or
    "Object missing required field `password` - at `$.items[0]`" (the path joined with it)."""
    at = _AT.search(msg)
    named = _NAMED.search(msg)
    parent = at.group(1) if at else ""
    if named:
        return f"{parent}.{named.group(1)}" if parent else named.group(1)
    return parent or None


def validation_handler(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[Problem]:
    items = exc.extra if isinstance(exc.extra, list) else []
    errors = [
        {
            "field": _field_of(i, request),
            "message": str(i.get("message", "")),
            "source": str(i.get("source", "")),
        }
        for i in items
        if isinstance(i, dict)
    ]
    first = next((e["field"] for e in errors if e["field"]), None)
    detail = exc.detail
    if errors:
        detail = "; ".join(f"{e['field'] or 'request'}: {e['message']}" for e in errors)
    return problem(400, detail, code="invalid_request", field=first, errors=errors or None)


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    headers = dict(exc.headers or {})
    if isinstance(exc, NotAuthorizedException):
        headers.setdefault("WWW-Authenticate", "Bearer")
    extra = exc.extra if isinstance(exc.extra, dict) else {}
    field = extra.get("field")
    if field is None and exc.status_code in (400, 413, 422):
        # The framework's own refusals of a body (malformed JSON, a bad Content-Length, size).
        field = "body"
    return problem(
        exc.status_code,
        exc.detail,
        headers=headers or None,
        code=extra.get("code") or ("invalid_request" if exc.status_code == 400 else None),
        field=field,
    )


RETRY_AFTER_S = 1


def dbapi_error_handler(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Problem]:
    """Input the database refused is the caller's 400 (a value past validation), a conflict is
    409 naming the constraint, a lost race is 503 with ``Retry-After``; anything else a 500."""
    kind = classify_db_error(exc)
    if kind == "transient":
        return problem(503, "the database was busy with a conflicting change; retry",
                       code="retry", headers={"Retry-After": str(RETRY_AFTER_S)})
    if kind == "data":
        # Validation and api/request.py refuse what they can name first; this is the rest.
        where = "body" if request.method in {"POST", "PUT", "PATCH"} else "query"
        return problem(400, "a value is out of range or contains characters the database "
                       "cannot store", code="invalid_request", field=where)
    if kind == "integrity":
        constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
        return problem(409, "the change conflicts with existing data", code="conflict",
                       field=constraint or "body")
    return internal_error_handler(request, exc)


def decode_error_handler(_: Request[Any, Any, Any], exc: msgspec.DecodeError) -> Response[Problem]:
    return problem(400, str(exc), code="invalid_request", field="body")


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "internal error", code="internal")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    de.DomainError: domain_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_error_handler,
    DBAPIError: dbapi_error_handler,
    msgspec.DecodeError: decode_error_handler,
    Exception: internal_error_handler,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "MediaType", "problem"]
