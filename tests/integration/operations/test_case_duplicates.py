"""The same person is enrolled once: an exact duplicate is refused with 409 naming the case,
unless the caller confirms; names are stored in NFC."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from httpx import AsyncClient, Response

from tests.integration.operations.conftest import World

PERSON = {"full_name": "Trần Thị Bích", "year_of_birth": 1958, "sex": "female",
          "phone": "0903123456", "national_id": "079158000777",
          "test_date": date.today().isoformat(), "test_type": "rapid_antigen"}


async def enrol(client: AsyncClient, world: World, station: str = "A", actor: str = "staff_A",
                **fields: Any) -> Response:
    body = {"station_id": str(world.stations[station]), **PERSON, **fields}
    return await client.post("/api/cases", json=body, headers=world.actors[actor].headers)


def assert_names_existing(r: Response, existing: dict[str, Any], field: str) -> None:
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "duplicate_case" and body["field"] == field
    assert body["existing_case"] == {"id": existing["id"], "case_code": existing["case_code"]}
    assert existing["case_code"] in body["detail"]


async def test_the_same_national_id_is_refused_naming_the_case(
    client: AsyncClient, world: World
) -> None:
    first = (await enrol(client, world)).json()
    again = await enrol(client, world, full_name="Tran Thi Bich Ngoc", phone="0911111111",
                        year_of_birth=1960)
    assert_names_existing(again, first, "national_id")
    # at the ward's other station too, and nothing was written
    assert_names_existing(await enrol(client, world, station="A_2nd", actor="officer_A"), first,
                          "national_id")
    listed = await client.get("/api/cases", params={"q": "079158000777"},
                              headers=world.actors["staff_A"].headers)
    assert listed.json()["total"] == 1


async def test_the_same_phone_name_and_year_in_the_ward_is_refused(
    client: AsyncClient, world: World
) -> None:
    first = (await enrol(client, world, national_id=None)).json()
    # the name differs only in case, spacing and diacritics; the phone in its form
    again = await enrol(client, world, national_id=None, full_name="TRAN  thi bich",
                        phone="+84 903 123 456")
    assert_names_existing(again, first, "full_name")
    # another year of birth, another name or another phone is another person
    for other in ({"year_of_birth": 1990}, {"full_name": "Trần Thị Bình"},
                  {"phone": "0903123457"}):
        r = await enrol(client, world, national_id=None, **other)
        assert r.status_code == 201, (other, r.text)


async def test_another_ward_is_not_a_duplicate_by_phone_and_name(
    client: AsyncClient, world: World
) -> None:
    assert (await enrol(client, world, national_id=None)).status_code == 201
    other_ward = await enrol(client, world, station="B", actor="officer_B", national_id=None)
    assert other_ward.status_code == 201, other_ward.text


async def test_a_confirmed_enrolment_goes_through(client: AsyncClient, world: World) -> None:
    first = (await enrol(client, world)).json()
    r = await enrol(client, world, confirm_not_duplicate=True)
    assert r.status_code == 201, r.text
    assert r.json()["id"] != first["id"]
    assert r.json()["possible_duplicate_of"] is None


async def test_names_are_stored_in_nfc(client: AsyncClient, world: World) -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn  Thị Ánh ")
    r = await enrol(client, world, full_name=decomposed, national_id="079158000888")
    assert r.status_code == 201, r.text
    stored = r.json()["person"]["full_name"]
    assert stored == unicodedata.normalize("NFC", "Nguyễn Thị Ánh")
    edited = await client.patch(f"/api/cases/{r.json()['id']}",
                                json={"full_name": unicodedata.normalize("NFD", "Lê Thị Ánh")},
                                headers=world.actors["staff_A"].headers)
    assert edited.json()["person"]["full_name"] == unicodedata.normalize("NFC", "Lê Thị Ánh")
    # the NFC and the NFD spelling are one person
    again = await enrol(client, world, full_name="Lê Thị Ánh", national_id=None,
                        phone=PERSON["phone"])
    assert again.status_code == 409 and again.json()["existing_case"]["id"] == r.json()["id"]
