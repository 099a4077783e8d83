"""The one gate every request's input passes before a handler sees it.

Bodies: a JSON body must say it is JSON (415 otherwise), be UTF-8, nest at most ``MAX_DEPTH``
levels, and hold only values PostgreSQL can store: no NUL in a string or key, integers within
64 bits, finite numbers. Query and path parameters may not carry NUL either, and an ``/api``
route refuses a query parameter it does not declare (``?q=`` sent to a list that has no search
would otherwise answer the whole list, as if it had matched). Each refusal is a
``ClientException`` whose ``extra`` names the field at fault, in the convention of
``api/errors.py`` (``username``, ``items[0].quantity``; ``body`` for the body as a whole); the
error handler turns it into problem+json.

The sync endpoints read their own bodies (JSON or MessagePack, maybe gzip) and are not touched.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.exceptions import ClientException, HTTPException
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE
from litestar.types import Empty

MAX_DEPTH = 32
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Decodes without type hooks: the handler's own types convert the value afterwards.
_decoder = msgspec.json.Decoder()


def bad_input(detail: str, field: str) -> ClientException:
    return ClientException(detail, extra={"field": field, "code": "invalid_request"})


def _is_json(media_type: str) -> bool:
    media_type = media_type.strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def check_storable(value: Any) -> None:
    """Refuse what no column can hold, naming where it is; iterative, so depth cannot crash it."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        node, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise bad_input(f"nested more than {MAX_DEPTH} levels deep", where or "body")
        if isinstance(node, str):
            if "\x00" in node:
                raise bad_input("contains a NUL character", where or "body")
        elif isinstance(node, bool):
            continue
        elif isinstance(node, int):
            if not INT64_MIN <= node <= INT64_MAX:
                raise bad_input("integer out of the 64-bit range", where or "body")
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise bad_input("number out of range (not finite)", where or "body")
        elif isinstance(node, dict):
            for key, item in node.items():
                if "\x00" in key:
                    raise bad_input("a key contains a NUL character", where or "body")
                stack.append((item, _path(where, key), depth + 1))
        elif isinstance(node, list):
            stack.extend((item, _path(where, i), depth + 1) for i, item in enumerate(node))


def decode_json_body(body: bytes, content_type: str) -> Any:
    """The decoded body, or a 400/415 naming what is wrong with it."""
    if not body:
        return None
    if not _is_json(content_type):
        raise HTTPException(
            status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail=f"the body must be sent as application/json, not {content_type or 'untyped'}",
            extra={"field": "Content-Type", "code": "unsupported_media_type"},
        )
    try:
        value = _decoder.decode(body)
    except UnicodeDecodeError as exc:
        raise bad_input(f"the body is not valid UTF-8 (byte {exc.start})", "body") from None
    except RecursionError:
        raise bad_input(f"nested more than {MAX_DEPTH} levels deep", "body") from None
    except msgspec.DecodeError as exc:
        raise bad_input(f"malformed JSON: {exc}", "body") from None
    check_storable(value)
    return value


class HardenedRequest(Request[Any, Any, Any]):
    """Litestar's request with the body gate above in ``json()``, which handlers' ``data`` uses."""

    async def json(self) -> Any:
        if self._json is Empty:
            cached = self._connection_state.json
            if cached is not Empty:
                self._json = cached
            else:
                body = await self.body()
                self._json = self._connection_state.json = decode_json_body(
                    body, self.content_type[0]
                )
        return self._json


def declared_query_parameters(app: Litestar) -> dict[HTTPRouteHandler, frozenset[str]]:
    """Per ``/api`` handler, the query parameters it declares, its dependencies' included
    (``limit``, ``offset``): what Litestar itself parses for it, read once when the app is built."""
    declared: dict[HTTPRouteHandler, frozenset[str]] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path.startswith("/api/"):
            for handler, kwargs_model in route.route_handler_map.values():
                declared[handler] = frozenset(
                    p.field_alias for p in kwargs_model.expected_query_params)
    return declared


async def check_parameters(request: Request[Any, Any, Any]) -> None:
    """App-wide ``before_request``: no NUL in a query or path parameter (PostgreSQL refuses it),
    and no query parameter an ``/api`` route does not declare (400 naming it)."""
    declared = request.app.state.get("query_parameters", {}).get(request.route_handler)
    for name, value in request.query_params.multi_items():
        if "\x00" in value or "\x00" in name:
            raise bad_input("contains a NUL character", name)
        if declared is not None and name not in declared:
            raise bad_input(_unknown(name, declared), name)
    for name, value in request.path_params.items():
        if isinstance(value, str) and "\x00" in value:
            raise bad_input("contains a NUL character", name)


def _unknown(name: str, declared: frozenset[str]) -> str:
    if not declared:
        return f"unknown query parameter {name!r}: this operation takes none"
    return (f"unknown query parameter {name!r}; this operation takes "
            + ", ".join(sorted(declared)))
