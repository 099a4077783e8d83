"""The committed OpenAPI document is generated here, and the drift test compares with it."""

from __future__ import annotations

import json
from pathlib import Path

from litestar import Litestar

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def render(app: Litestar) -> str:
    return (
        json.dumps(app.openapi_schema.to_schema(), indent=2, sort_keys=True, ensure_ascii=False)
        + "\n"
    )
