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


def test_every_page_is_the_generic_page_with_the_paging_parameters(settings: Settings) -> None:
    """One page type and one paging declaration: every list answering a page takes
    ``limit`` and ``offset``, and every page component has exactly the four members."""
    schema = create_app(settings).openapi_schema.to_schema()
    pages = {n for n, c in schema["components"]["schemas"].items() if n.endswith("Page")}
    assert len(pages) >= 16
    for name in pages:
        component = schema["components"]["schemas"][name]
        assert set(component["properties"]) == {"items", "total", "limit", "offset"}, name
        assert component["title"].startswith("Page["), name
    listed = 0
    for path, ops in schema["paths"].items():
        for op in ops.values():
            answer = (op.get("responses", {}).get("200", {}).get("content", {})
                      .get("application/json", {}).get("schema", {}))
            refs = [s.get("$ref", "") for s in answer.get("oneOf", [answer])]
            if any(ref.rsplit("/", 1)[-1] in pages for ref in refs):
                listed += 1
                params = {p["name"]: p["schema"] for p in op.get("parameters", [])}
                assert {"limit", "offset"} <= set(params), path
                assert params["limit"]["minimum"] == 1 and params["offset"]["minimum"] == 0
    assert listed >= 16
