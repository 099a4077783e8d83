"""Every operation documents the problem statuses it can answer, added in one place.

What an operation can answer follows from what it takes: any request can be malformed (400);
an authenticated one can lack or misuse its token (401), be refused (403) or name what is out of
its scope (404); one that reads the database can lose a race (503); a write can conflict
(409); a service can refuse a rule (422); a body can be of the wrong type (415) or too large
(413). A handler's own ``responses`` (sync's protocol problems, login's 429) win over these.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.routes import HTTPRoute

from api.errors import PROBLEM_JSON
from api.schemas.common import Problem

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
DESCRIPTIONS = {
    400: "Malformed request: a parameter or body field (named in `field`) is invalid",
    401: "Missing, invalid or expired bearer token",
    403: "The caller may see this but not do it",
    404: "Not found, or outside the caller's scope",
    409: "Conflicts with the current state (named in `field`)",
    413: "The body is too large",
    415: "The body is not application/json",
    422: "A rule of the domain refuses the request (the field at fault in `field`)",
    429: "Too many attempts; retry after `Retry-After` seconds",
    503: "The database was busy with a conflicting change; retry after `Retry-After` seconds",
}


def problem_response(status: int, description: str | None = None) -> ResponseSpec:
    return ResponseSpec(Problem, description=description or DESCRIPTIONS[status],
                        media_type=PROBLEM_JSON, generate_examples=False)


def problem_statuses(handler: HTTPRouteHandler, method: str) -> set[int]:
    """The problem statuses an operation can answer, from its parameters and method."""
    params = set(handler.parsed_fn_signature.parameters)
    authenticated = "principal" in params or bool(handler.resolve_security())
    uses_db = authenticated or "db_session" in params
    statuses = {400}
    if authenticated:
        statuses |= {401, 403, 404}
    if uses_db:
        statuses |= {404, 422, 503}
    if "data" in params:
        statuses |= {413, 415, 422}
    if method in WRITES and uses_db:
        statuses.add(409)
    return statuses


def document_problems(app: Litestar) -> None:
    """Add the problem responses to every handler of the app before its schema is built."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if not handler.resolve_include_in_schema():
                continue
            own = dict(handler.responses or {})
            derived = {s: problem_response(s) for s in problem_statuses(handler, str(method))}
            handler.responses = {**derived, **own}
