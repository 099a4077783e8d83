"""The chain demo: a day of reports, levels, plans, proposals and tablets in Ho Chi Minh City,
as the city coordinator reads it through the API."""

from __future__ import annotations

from datetime import timedelta

from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.demo.chain import load_chain_demo
from domain.demo.operations import load_operations_demo
from domain.models.proposal import Proposal, ProposalStatus
from domain.services.reports import local_today
from tests.integration.operations.conftest import World


async def test_a_day_of_the_chain_in_the_city(
    client: AsyncClient, db_session: AsyncSession, world: World
) -> None:
    await load_operations_demo(db_session, cases=200)
    await load_chain_demo(db_session)
    await db_session.commit()
    city = world.actors["coordinator_79"].headers

    overview = (await client.get("/api/reports/overview", params={"unit": "760"},
                                 headers=city)).json()
    states = [u["state"] for u in overview["units"]]
    assert states.count("submitted") + states.count("late") >= len(states) // 2
    assert overview["aggregate"]["units_reported"] >= 1

    day_before = (local_today() - timedelta(days=1)).isoformat()
    city_yesterday = (await client.get("/api/reports/overview", headers=city,
                                       params={"report_date": day_before})).json()
    district_states = {u["state"] for u in city_yesterday["units"]}
    assert "submitted" in district_states and district_states <= {"submitted", "late"}
    wards_yesterday = []
    for district in ("760", "770", "769", "778"):
        o = (await client.get("/api/reports/overview", headers=city,
                              params={"unit": district, "report_date": day_before})).json()
        wards_yesterday += [u["state"] for u in o["units"]]
    assert wards_yesterday.count("submitted") > len(wards_yesterday) // 2
    assert {"late", "missing"} & set(wards_yesterday)

    readiness = (await client.get("/api/readiness/map", headers=city)).json()
    wards = [u for u in readiness if u["level_of_unit"] == "commune"]
    assert wards and all(u["level"] in (1, 2, 3, 4) for u in wards)
    assert any(u["gaps"] and any(u["gaps"].values()) for u in wards)
    assert all(u["level"] for u in readiness if u["level_of_unit"] == "district")

    coverage = (await client.get("/api/chain-coverage", headers=city)).json()
    assert 0 < coverage["total"]["connected"] < coverage["total"]["communes"]
    assert coverage["total"]["reported_today"] > 0

    decided = await db_session.scalar(select(func.count()).select_from(Proposal).where(
        Proposal.status.in_([ProposalStatus.accepted, ProposalStatus.declined])))
    pending = await db_session.scalar(select(func.count()).select_from(Proposal).where(
        Proposal.status == ProposalStatus.pending))
    assert (decided or 0) > 0 and (pending or 0) > 0
