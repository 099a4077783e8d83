"""Route handlers of the supplies area, registered by api/app.py."""

from __future__ import annotations

from typing import Any

HANDLERS: list[Any] = []
