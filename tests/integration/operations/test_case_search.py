"""Finding a patient: ``GET /api/cases?q=`` by name without diacritics, phone or national id,
ranked; and every ``/api`` route refusing a query parameter it does not take."""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.text import fold
from tests.integration.operations.conftest import World

_N = itertools.count(1)


async def enrol(client: AsyncClient, world: World, full_name: str, **extra: Any) -> dict[str, Any]:
    n = next(_N)
    body = {"station_id": str(world.stations["A"]), "team_id": str(world.teams["A"]),
            "full_name": full_name, "year_of_birth": 1970 + n % 30, "sex": "female",
            "phone": f"0977{n:06d}", "national_id": f"079170{n:06d}",
            "test_date": date.today().isoformat(), "test_type": "pcr", **extra}
    r = await client.post("/api/cases", json=body, headers=world.actors["staff_A"].headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def search(client: AsyncClient, world: World, q: str, actor: str = "staff_A",
                 **params: Any) -> Any:
    r = await client.get("/api/cases", params={"q": q, **params},
                         headers=world.actors[actor].headers)
    assert r.status_code == 200, r.text
    return r.json()


def codes(page: Any) -> list[str]:
    return [c["case_code"] for c in page["items"]]


async def test_a_name_is_found_without_diacritics_and_ranked(
    client: AsyncClient, world: World
) -> None:
    partial = await enrol(client, world, "Hồ Thanhnhung")
    prefix = await enrol(client, world, "Võ Nhungân")
    whole = await enrol(client, world, "Lê Thị Nhung")
    other = await enrol(client, world, "Trần Văn Bảo")
    found = await search(client, world, "nhung")
    assert codes(found) == [whole["case_code"], prefix["case_code"], partial["case_code"]]
    assert found["total"] == 3 and other["case_code"] not in codes(found)
    # diacritics and case in the query are ignored too; đ is d
    assert codes(await search(client, world, "NHỮNG")) == codes(found)
    dang = await enrol(client, world, "Đặng Thị Mai")
    assert codes(await search(client, world, "dang mai")) == [dang["case_code"]]
    # every word must match: "le nhung" is only the whole-word one
    assert codes(await search(client, world, "le nhung")) == [whole["case_code"]]


async def test_the_national_id_or_phone_itself_ranks_first(
    client: AsyncClient, world: World
) -> None:
    mine = await enrol(client, world, "Phạm Minh Châu", phone="0903 123 456",
                       national_id="079156001234")
    near = await enrol(client, world, "Phạm Minh Tâm", national_id="079156001239",
                       phone="0903123457")
    by_id = await search(client, world, "079156001234")
    assert codes(by_id)[0] == mine["case_code"]
    by_phone = await search(client, world, "0903123456")
    assert codes(by_phone) == [mine["case_code"]]
    assert codes(await search(client, world, "+84 903 123 456")) == [mine["case_code"]]
    # part of a number finds both, the exact one of neither first
    partial = await search(client, world, "0791560012")
    assert set(codes(partial)) >= {mine["case_code"], near["case_code"]}


async def test_search_pages_like_the_list(client: AsyncClient, world: World) -> None:
    made = [await enrol(client, world, f"Ngô Thị Lan {i}") for i in range(3)]
    first = await search(client, world, "lan", limit=2)
    second = await search(client, world, "lan", limit=2, offset=2)
    assert first["total"] == second["total"] == 3
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert set(codes(first) + codes(second)) == {m["case_code"] for m in made}


async def test_search_is_scoped_and_for_those_who_see_personal_data(
    client: AsyncClient, world: World
) -> None:
    # every world case is "Nguyễn Văn An"; ward A's three, not ward B's or Hanoi's
    seen = await search(client, world, "nguyen van an")
    assert {world.cases[k] for k in ("A", "A_2nd", "A_noteam")} == {
        uuid.UUID(c["id"]) for c in seen["items"]}
    team = await search(client, world, "nguyen van an", actor="team_A")
    assert [uuid.UUID(c["id"]) for c in team["items"]] == [world.cases["A"]]
    r = await client.get("/api/cases", params={"q": "nguyen"},
                         headers=world.actors["logistics_760"].headers)
    assert r.status_code == 403 and r.json()["field"] == "q"


@pytest.mark.parametrize("q", ["", "x" * 101, "  "])
async def test_a_query_that_cannot_search_is_a_4xx_naming_q(
    client: AsyncClient, world: World, q: str
) -> None:
    r = await client.get("/api/cases", params={"q": q}, headers=world.actors["staff_A"].headers)
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "q"


@pytest.mark.parametrize(("path", "known"), [
    ("/api/cases", {"status": "home_monitoring", "limit": "5", "offset": "0"}),
    ("/api/alerts", {"unresolved": "true", "limit": "5"}),
    ("/api/stations", {"limit": "5"}),
    ("/api/cases/summary", {"by": "commune"}),
    ("/api/follow-up", {"limit": "5"}),
    ("/api/care-teams", {}),
])
async def test_an_unknown_query_parameter_is_refused_and_known_ones_work(
    client: AsyncClient, world: World, path: str, known: dict[str, str]
) -> None:
    h = world.actors["staff_A"].headers
    ok = await client.get(path, params=known, headers=h)
    assert ok.status_code == 200, ok.text
    bad = await client.get(path, params={**known, "nhung": "1"}, headers=h)
    assert bad.status_code == 400, bad.text
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["field"] == "nhung"


async def test_an_operation_without_parameters_refuses_any(
    client: AsyncClient, world: World
) -> None:
    r = await client.get(f"/api/cases/{world.cases['A']}", params={"q": "x"},
                         headers=world.actors["staff_A"].headers)
    assert r.status_code == 400 and r.json()["field"] == "q"


async def test_the_sql_fold_is_the_python_fold(db_session: AsyncSession) -> None:
    names = ["Nguyễn Thị Minh Khai", "ĐẶNG  Văn   Ngữ", "Lý Thường Kiệt", "Hồ Xuân Hương",
             "Phạm Ngọc Thạch", "Trương Định", "Ỷ Lan", "Võ Thị Sáu", "Tôn Đức Thắng"]
    # every precomposed letter that folds to an ASCII letter, Vietnamese's among them
    letters = "".join(ch for ch in map(chr, [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)])
                      if fold(ch).isascii() and fold(ch).isalpha())
    for value in [*names, letters]:
        folded = await db_session.scalar(text("SELECT fold_vi(:v)"), {"v": value})
        assert folded == fold(value), value
