"""The committed OpenAPI document is what the app generates (run `make openapi` after a change)."""

from __future__ import annotations

from api.app import create_app
from api.openapi_doc import OPENAPI_PATH, render
from domain.settings import Settings


def test_committed_openapi_matches_the_app(settings: Settings) -> None:
    generated = render(create_app(settings))
    committed = OPENAPI_PATH.read_text() if OPENAPI_PATH.exists() else ""
    assert committed == generated, "openapi/openapi.json is stale: run `make openapi`"


def test_openapi_is_3_1_with_problem_details(settings: Settings) -> None:
    schema = create_app(settings).openapi_schema.to_schema()
    assert schema["openapi"].startswith("3.1")
    assert "/api/admin-units" in schema["paths"]
