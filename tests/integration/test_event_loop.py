"""Nothing a request runs waits for Litestar's thread pool.

A plain ``def`` hook (``before_request``, ``after_request``, ``after_response``) or guard, a handler
declared ``sync_to_thread=True`` or a dependency provided with it runs in a worker thread:
every request then hands over to a thread and back. On two cores that cost a sync pull
page 5–6 ms of its 11 ms (``check_parameters`` was such a hook). A synchronous handler or
dependency that does no I/O belongs on the event loop (``sync_to_thread=False``), anything
else is a coroutine.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, get
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from litestar.utils.sync import AsyncCallable

from api.app import create_app
from domain.settings import Settings


def _threaded(app: Any) -> list[str]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            assert isinstance(handler, HTTPRouteHandler)
            name = f"{route.path} {sorted(handler.http_methods)}"
            if isinstance(handler.fn, AsyncCallable):
                found.append(f"{name}: the handler")
            for hook in ("before_request", "after_request", "after_response"):
                found += [f"{name}: {hook}" for layer in handler.ownership_layers
                          if isinstance(getattr(layer, hook, None), AsyncCallable)]
            found += [f"{name}: guard" for guard in handler.resolve_guards()
                      if isinstance(guard, AsyncCallable)]
            found += [f"{name}: dependency {key}"
                      for key, provide in handler.resolve_dependencies().items()
                      if isinstance(provide.dependency, AsyncCallable)]
    return found


def test_no_handler_hook_or_dependency_runs_in_a_worker_thread(settings: Settings) -> None:
    assert _threaded(create_app(settings)) == []


def test_the_walk_finds_a_plain_def_hook() -> None:
    """The check above can fail: a plain ``def`` before_request is found on every route."""

    def hook(request: Any) -> None:
        return None

    @get("/a", sync_to_thread=False)
    def a() -> str:
        return "a"

    @get("/b")
    async def b() -> str:
        return "b"

    found = _threaded(Litestar([a, b], before_request=hook))
    assert {"/a ['GET']: before_request", "/b ['GET']: before_request"} <= set(found)
    assert all(f.endswith(": before_request") for f in found)
