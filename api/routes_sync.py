"""Route handlers of the sync area, registered by api/app.py."""

from __future__ import annotations

from typing import Any

from api.controllers.devices import DeviceController
from api.controllers.sync import SyncController
from api.controllers.sync_conflicts import SyncConflictController

HANDLERS: list[Any] = [DeviceController, SyncController, SyncConflictController]
