"""The chain-of-command demo: a day in Ho Chi Minh City as its demo logins see it."""

from __future__ import annotations

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import issue_token
from domain.demo.operations import DEMO_LOGINS, load_operations_demo
from domain.demo.orders import load_orders_demo
from domain.demo.supplies import load_supplies_demo
from domain.models.enums import Role
from domain.repositories.users import UserRepository
from domain.settings import Settings


async def _headers(session: AsyncSession, settings: Settings, role: Role) -> dict[str, str]:
    user = await UserRepository(session).by_username(DEMO_LOGINS[role])
    assert user is not None
    token, _ = issue_token(settings, user.id, role.value)
    return {"Authorization": f"Bearer {token}"}


async def test_a_day_of_directives_inspections_and_community_teams(
    db_session: AsyncSession, client: AsyncClient, settings: Settings
) -> None:
    await load_operations_demo(db_session, cases=200)
    await load_supplies_demo(db_session)
    await load_orders_demo(db_session)
    await db_session.commit()
    city = await _headers(db_session, settings, Role.city_coordinator)
    district = await _headers(db_session, settings, Role.district_logistics)
    ward = await _headers(db_session, settings, Role.commune_officer)

    issued = (await client.get("/api/directives", headers=city)).json()
    issuers = {d["issuer_unit_code"] for d in issued["items"]}
    assert "79" in issuers and len(issuers) == 2, "from the city and from a district"
    counts = [d["counts"] for d in issued["items"]]
    assert sum(c["acknowledged"] + c["in_progress"] for c in counts) > 0
    assert sum(c["overdue"] for c in counts) > 0 and sum(c["done"] for c in counts) > 0
    assert sum(c["unread"] for c in counts) > 0
    late = next(d for d in issued["items"] if d["counts"]["overdue"] and d["issuer_unit_code"]
                == "79")
    detail = (await client.get(f"/api/directives/{late['id']}", headers=city)).json()
    assert all(u["reminder_count"] == 1 for u in detail["units"] if u["state"] == "overdue")

    mine = (await client.get("/api/received-directives", headers=ward)).json()
    assert {d["issuer_unit_code"] for d in mine["items"]} >= {"79"}
    urged = [d for d in mine["items"] if d["overdue"]]
    assert urged and all(d["reminder_count"] >= 1 for d in urged)

    inspections = (await client.get("/api/inspections", headers=ward)).json()
    assert inspections["total"] == 1
    seen = (await client.get(f"/api/inspections/{inspections['items'][0]['id']}",
                             headers=district)).json()
    assert seen["findings"] and len(seen["corrections"]) == 2
    assert {m["kind"] for m in seen["merits"]} == {"commendation", "discipline"}
    assert [a["requisition_status"] for a in seen["adjustments"]] == ["submitted"]

    teams = (await client.get("/api/community-teams", headers=ward)).json()
    assert teams["total"] == 4 and all(t["members"] for t in teams["items"])
