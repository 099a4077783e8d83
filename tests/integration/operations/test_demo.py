"""The demo: Ho Chi Minh City's 436 mobile stations, where they stand, and its logins."""

from __future__ import annotations

from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.demo.operations import DEMO_PASSWORD, NO_LOGIN, load_operations_demo
from domain.models.admin_unit import AdminLevel, AdminUnit
from domain.models.case import F0Case
from domain.models.enums import AlertStatus, Role
from domain.models.observation import Alert, Observation
from domain.models.station import Station
from domain.models.user import User
from tests.integration.operations.conftest import World

DEMO = Station.code.like("TYT-LD-%")


async def _stations(session: AsyncSession) -> list[tuple[str, str, float, float]]:
    rows = await session.execute(
        select(Station.code, Station.scope_path, func.ST_X(Station.position),
               func.ST_Y(Station.position)).where(DEMO).order_by(Station.code))
    return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_436_stations_inside_the_city_and_its_wards(
    db_session: AsyncSession, world: World
) -> None:
    progress: list[int] = []
    logins = await load_operations_demo(db_session, cases=300, progress=progress.append)
    assert sum(progress) == 300
    assert {role for _, _, role in logins} == {r.value for r in Role}
    stations = await _stations(db_session)
    assert len(stations) == 436
    assert all(path.startswith("VN.79.") for _, path, _, _ in stations)
    city = await db_session.scalar(select(AdminUnit).where(AdminUnit.code == "79"))
    assert city is not None
    outside_city = await db_session.scalar(select(func.count()).where(
        DEMO, ~func.ST_Covers(city.bbox, Station.position)))
    ward = AdminUnit
    outside_ward = await db_session.scalar(
        select(func.count()).select_from(Station).join(ward, ward.code == Station.commune_code)
        .where(DEMO, (ward.level != AdminLevel.commune)
               | ~func.ST_Covers(ward.bbox, Station.position)
               | (ward.scope_path != Station.scope_path)))
    assert outside_city == 0 and outside_ward == 0
    wards = await db_session.scalar(select(func.count(func.distinct(Station.commune_code)))
                                    .where(DEMO))
    assert wards == 273, "every ward of the city has a station"
    cases = await db_session.scalar(select(func.count()).where(F0Case.case_code.like("F0-79-%")))
    assert cases == 300
    spo2 = await db_session.scalar(select(func.count()).select_from(Observation)
                                   .join(F0Case, F0Case.id == Observation.case_id)
                                   .where(F0Case.case_code.like("F0-79-%")))
    assert 300 <= (spo2 or 0) <= 300 * 10
    open_alerts = await db_session.scalar(select(func.count()).select_from(Alert)
                                          .join(F0Case, F0Case.id == Alert.case_id)
                                          .where(F0Case.case_code.like("F0-79-%"),
                                                 Alert.status != AlertStatus.resolved))
    assert (open_alerts or 0) >= 1


async def test_the_demo_is_the_same_for_the_same_seed(db_session: AsyncSession) -> None:
    async with db_session.begin_nested() as first:
        await load_operations_demo(db_session, stations=40, cases=20, seed=7)
        a = await _stations(db_session)
        await first.rollback()
    await load_operations_demo(db_session, stations=40, cases=20, seed=7)
    assert await _stations(db_session) == a and len(a) == 40


async def test_demo_logins_work_and_see_their_station(
    client: AsyncClient, db_session: AsyncSession
) -> None:
    logins = await load_operations_demo(db_session, stations=30, cases=60)
    await db_session.commit()
    tokens = {}
    for username, password, role in logins:
        r = await client.post("/api/auth/login", json={"username": username,
                                                       "password": password})
        assert r.status_code == 200, (username, r.text)
        tokens[role] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    staff = tokens["station_staff"]
    alerts = (await client.get("/api/alerts", params={"unresolved": "true"},
                               headers=staff)).json()
    assert alerts["total"] >= 1, "the demo station has an alert to look at"
    city = (await client.get("/api/cases/summary", headers=tokens["city_coordinator"])).json()
    assert city["total"] >= 60
    nurse = await db_session.scalar(select(User.username).where(User.password_hash == NO_LOGIN))
    assert nurse is not None
    no_login = await client.post("/api/auth/login", json={"username": nurse,
                                                          "password": DEMO_PASSWORD})
    assert no_login.status_code == 401, "only the printed demo accounts can log in"
