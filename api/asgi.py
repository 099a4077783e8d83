"""The app of one worker process when the CLI serves with several (``WEB_CONCURRENCY``).

Each worker is an entry point of its own: it reads its settings from the environment the
CLI prepared (the database it started, the token signing key) and builds its app once.
"""

from __future__ import annotations

import gc

from litestar import Litestar

from api.app import create_app
from domain.settings import Settings


def app_from_env() -> Litestar:
    app = create_app(Settings.from_env())
    gc.freeze()  # as in the single-process server: start-up objects out of the collector's way
    return app
