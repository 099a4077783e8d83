"""Demo data commands; the demo builders live in domain/demo/."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.maintenance import refresh_planner_statistics
from domain.settings import Settings


async def _load(
    session: AsyncSession, *, stations: int, cases: int, seed: int
) -> list[tuple[str, str, str]]:
    from api.cli import progress_bar
    from domain.demo.chain import load_chain_demo
    from domain.demo.operations import load_operations_demo
    from domain.demo.orders import load_orders_demo
    from domain.demo.supplies import load_supplies_demo

    update, close = progress_bar(cases, "demo F0 cases")
    try:
        logins = await load_operations_demo(
            session, stations=stations, cases=cases, seed=seed, progress=update
        )
    finally:
        close()
    update, close = progress_bar(stations, "demo supplies")
    try:
        await load_supplies_demo(session, seed=seed, progress=update)
    finally:
        close()
    await load_orders_demo(session, seed=seed)
    await load_chain_demo(session, seed=seed)
    return logins


async def _existing_logins(session: AsyncSession) -> list[tuple[str, str, str]]:
    from domain.demo.operations import DEMO_LOGINS, DEMO_PASSWORD
    from domain.repositories.users import UserRepository

    users = UserRepository(session)
    return [(name, DEMO_PASSWORD, role.value) for role, name in DEMO_LOGINS.items()
            if await users.by_username(name) is not None]


async def load_demo_if_empty(url: str, settings: Settings) -> list[tuple[str, str, str]]:
    """Load the demo on the first start; later starts keep the data. Returns demo logins."""
    from domain.db import create_engine, create_session_maker
    from domain.repositories.stations import StationRepository

    engine = create_engine(url)
    try:
        async with create_session_maker(engine)() as session:
            if await StationRepository(session).count():
                return await _existing_logins(session)
            t0 = time.monotonic()
            logins = await _load(session, stations=436, cases=20000, seed=2021)
            await session.commit()
            await refresh_planner_statistics(engine)
            print(f"demo data loaded in {time.monotonic() - t0:.1f} s", file=sys.stderr)
            return logins
    finally:
        await engine.dispose()


async def _seed(url: str, args: argparse.Namespace) -> list[tuple[str, str, str]] | None:
    from domain.db import create_engine, create_session_maker
    from domain.demo.operations import clear_operational_data
    from domain.repositories.stations import StationRepository
    from domain.services.admin_units import load_admin_units

    await load_admin_units(url)
    engine = create_engine(url)
    try:
        async with create_session_maker(engine)() as session:
            if args.replace:
                await clear_operational_data(session)
            elif await StationRepository(session).count():
                return None
            logins = await _load(session, stations=args.stations, cases=args.cases,
                                 seed=args.seed)
            await session.commit()
        await refresh_planner_statistics(engine)
        return logins
    finally:
        await engine.dispose()


def cmd_seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    from api.cli import database
    from domain import migrations

    with database(settings, keep_running=True) as url:
        migrations.upgrade(url)
        t0 = time.monotonic()
        logins = asyncio.run(_seed(url, args))
    if logins is None:
        print("stations already exist: the demo loads into an empty database; "
              "--replace wipes all operational data (and accounts) first", file=sys.stderr)
        return 1
    print(f"demo loaded: {args.stations} stations, {args.cases} cases "
          f"in {time.monotonic() - t0:.1f} s")
    for username, password, role in logins:
        print(f"  {username:<24} {password:<16} {role}")
    return 0


def register(sub: Any) -> None:
    """Add demo subcommands to the CLI."""
    p = sub.add_parser("seed-demo", help="load the demo data into an empty database")
    p.add_argument("--stations", type=int, default=436, help="mobile stations (default 436)")
    p.add_argument("--cases", type=int, default=20000, help="F0 cases (default 20000)")
    p.add_argument("--seed", type=int, default=2021, help="random seed (default 2021)")
    p.add_argument("--replace", action="store_true",
                   help="first wipe every operational table and account (keeps the "
                   "administrative units)")
    p.set_defaults(fn=cmd_seed_demo)
