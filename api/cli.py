"""Command line: run the service, migrate, load data, create users, write the OpenAPI file."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from domain.settings import Settings


@contextmanager
def database(settings: Settings, *, keep_running: bool = False) -> Iterator[str]:
    """Yield the database URL: DATABASE_URL's server, or the private cluster under data_dir.

    A private cluster started here is stopped on the way out, unless ``keep_running``.
    """
    if settings.database_url:
        yield settings.database_url
        return
    from scripts.pgcluster import PrivateCluster

    cluster = PrivateCluster(settings.data_dir.resolve())
    was_running = cluster.running()
    cluster.start()
    try:
        yield cluster.url()
    finally:
        if not was_running and not keep_running:
            cluster.stop()


def progress_bar(total: int, desc: str) -> tuple[Callable[[int], None], Callable[[], None]]:
    """A tqdm bar on a terminal; silent elsewhere (CI logs stay readable)."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="row", disable=not sys.stderr.isatty(), leave=False)

    def update(n: int) -> None:
        bar.update(n)

    return update, bar.close


def _load_admin_units_with_bar(url: str, *, force: bool = False) -> int:
    from domain.services.admin_units import dataset_size, load_admin_units

    update, close = progress_bar(dataset_size(), "administrative units")
    try:
        return asyncio.run(load_admin_units(url, force=force, progress=update))
    finally:
        close()


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from domain import migrations

    with database(settings, keep_running=True) as url:
        migrations.upgrade(url)
    print("migrations at head")
    return 0


def cmd_load_admin_units(settings: Settings, args: argparse.Namespace) -> int:
    with database(settings, keep_running=True) as url:
        n = _load_admin_units_with_bar(url, force=True)
    from domain.admin_dataset import DATASET_STATE

    print(f"{n} administrative units loaded: {DATASET_STATE}")
    return 0


def cmd_openapi(settings: Settings, args: argparse.Namespace) -> int:
    from api.app import create_app
    from api.openapi_doc import OPENAPI_PATH, render

    out = Path(args.output) if args.output else OPENAPI_PATH
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(create_app(settings)))
    print(f"wrote {out}")
    return 0


async def _create_user(url: str, args: argparse.Namespace) -> str:
    import uuid

    from domain.db import create_engine, create_session_maker
    from domain.models.enums import Role
    from domain.services.users import UserService

    engine = create_engine(url)
    try:
        async with create_session_maker(engine)() as session:
            user = await UserService(session).create(
                username=args.username, password=args.password, full_name=args.full_name,
                role=Role(args.role), unit_code=args.unit,
                station_id=uuid.UUID(args.station) if args.station else None, phone=args.phone,
            )
            await session.commit()
            return str(user.id)
    finally:
        await engine.dispose()


def cmd_create_user(settings: Settings, args: argparse.Namespace) -> int:
    from domain.errors import DomainError

    with database(settings, keep_running=True) as url:
        try:
            user_id = asyncio.run(_create_user(url, args))
        except DomainError as exc:
            print(f"error: {exc.field or 'input'}: {exc.message}", file=sys.stderr)
            return 2
    print(f"created user {args.username} ({args.role}) with id {user_id}")
    return 0


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    import time

    import uvicorn

    from api.app import create_app
    from api.collector import prepare_collector
    from domain import migrations

    t0 = time.monotonic()
    with database(settings) as url:
        migrations.upgrade(url)
        if args.demo:
            _load_admin_units_with_bar(url)
            from api.demo_cli import load_demo_if_empty

            logins = asyncio.run(load_demo_if_empty(url, settings))
        else:
            logins = []
        base = f"http://{settings.host}:{settings.port}"
        print(f"\nField operations service ready in {time.monotonic() - t0:.1f} s")
        print(f"  API docs:   {base}/schema")
        print(f"  Readiness:  {base}/ready")
        print(f"  Map:        {base}/map")
        print(f"  Station app: {base}/station (a commune officer signs in to enrol the tablet)")
        if logins:
            print("  Demo logins (username / password / role):")
            for username, password, role in logins:
                print(f"    {username:<24} {password:<16} {role}")
        sys.stdout.flush()
        # uvicorn re-raises the signal that stopped it; SIGTERM's default action would end the
        # process there, skipping the private cluster's shutdown on the way out of database().
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        if settings.workers == 1:
            app = create_app(dataclasses.replace(settings, database_url=url))
            prepare_collector()
            uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning",
                        timeout_keep_alive=settings.keep_alive_s)
        else:
            # Worker processes build their own app from the environment (api/asgi.py): the
            # database this process started and the key it signs tokens with go with it.
            os.environ.update(DATABASE_URL=url, JWT_SECRET=settings.jwt_secret)
            uvicorn.run("api.asgi:app_from_env", factory=True, workers=settings.workers,
                        host=settings.host, port=settings.port, log_level="warning",
                        timeout_keep_alive=settings.keep_alive_s)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fieldops")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="migrate, load demo data and serve the API")
    run.add_argument("--demo", action="store_true", help="load demo data on first start")
    run.set_defaults(fn=cmd_run)
    sub.add_parser("migrate", help="apply migrations").set_defaults(fn=cmd_migrate)
    sub.add_parser("load-admin-units", help="load the administrative units as of early 2025 (63 provinces, 696 districts)").set_defaults(
        fn=cmd_load_admin_units
    )
    from domain.models.enums import Role

    cu = sub.add_parser("create-user", help="create a login")
    cu.add_argument("--username", required=True)
    cu.add_argument("--password", required=True)
    cu.add_argument("--full-name", required=True)
    cu.add_argument("--role", required=True, choices=[r.value for r in Role])
    cu.add_argument("--unit", required=True, help="administrative unit code, e.g. 79 or 26734")
    cu.add_argument("--station", help="station id, for station-bound roles")
    cu.add_argument("--phone")
    cu.set_defaults(fn=cmd_create_user)
    oa = sub.add_parser("openapi", help="write openapi/openapi.json")
    oa.add_argument("--output")
    oa.set_defaults(fn=cmd_openapi)
    from api import demo_cli

    demo_cli.register(sub)
    args = parser.parse_args(argv)
    settings = Settings.from_env(os.environ)
    return int(args.fn(settings, args))


if __name__ == "__main__":
    sys.exit(main())
