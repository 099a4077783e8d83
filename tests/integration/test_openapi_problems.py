"""Every operation documents the problem statuses it can answer, as problem+json."""

from __future__ import annotations

from typing import Any

from litestar import Litestar

PROBLEM = "application/problem+json"


def _operations(app: Litestar) -> list[tuple[str, str, dict[str, Any]]]:
    doc = app.openapi_schema.to_schema()
    return [(m.upper(), p, op) for p, item in doc["paths"].items() for m, op in item.items()]


def test_every_operation_documents_its_problems_as_problem_json(app: Litestar) -> None:
    missing: list[str] = []
    for method, path, op in _operations(app):
        responses = op["responses"]
        expected = {"400"}
        if op.get("security"):
            expected |= {"401", "404", "503"}
        if "requestBody" in op:
            expected |= {"415"}
        if method in {"POST", "PUT", "PATCH", "DELETE"} and op.get("security"):
            expected |= {"422"}
        for status in sorted(expected - set(responses)):
            missing.append(f"{method} {path}: {status} undocumented")
        for status, response in responses.items():
            if status.startswith(("4", "5")) and PROBLEM not in response.get("content", {}):
                missing.append(f"{method} {path}: {status} is not documented as {PROBLEM}")
    assert not missing, "\n".join(missing)


def test_login_documents_throttling(app: Litestar) -> None:
    login = next(op for _, path, op in _operations(app) if path == "/api/auth/login")
    assert {"401", "429", "503"} <= set(login["responses"])
