"""The app of one worker process when the CLI serves with several (``WEB_CONCURRENCY``).

Each worker is an entry point of its own: it reads its settings from the environment the
CLI prepared (the database it started, the token signing key) and builds its app once.
"""

from __future__ import annotations

from litestar import Litestar

from api.app import create_app
from api.collector import prepare_collector
from domain.settings import Settings


def app_from_env() -> Litestar:
    app = create_app(Settings.from_env())
    prepare_collector()  # as in the single-process server
    return app
