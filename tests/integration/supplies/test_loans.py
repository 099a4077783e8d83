"""Lending SpO2 meters to F0 households by serial number, and getting them back."""

from __future__ import annotations

import importlib
import uuid
from datetime import UTC, datetime, timedelta

from httpx import AsyncClient
from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.case import F0Case
from domain.models.dispensing import Dispensing
from domain.models.supply import EquipmentLoan
from tests.integration.supplies.conftest import Depot, Move, case_row

People = dict[str, dict[str, str]]
loan_dispensings = importlib.import_module("migrations.versions.2026_12_01_0024_loan_dispensings")


async def meters_on_shelf(client: AsyncClient, people: People, depot: Depot) -> int:
    r = await client.get(f"/api/locations/{depot.td_loc.id}/stock", headers=people["td_staff"])
    return next((x["on_hand"] for x in r.json() if x["item_code"] == "spo2_meter"), 0)


async def setup(db_session: AsyncSession, move: Move, people: People, depot: Depot) -> F0Case:
    for serial in ("OXI-1", "OXI-2"):
        r = await move(people["td_staff"], location_id=depot.td_loc.id,
                       item_id=depot.item("spo2_meter"), kind="receipt", quantity=1,
                       serial_no=serial)
        assert r.status_code == 201, r.text
    case = case_row(depot.td, 1)
    db_session.add(case)
    await db_session.commit()
    return case


async def test_lend_and_return_moves_the_device_between_ledgers(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession
) -> None:
    case = await setup(db_session, move, people, depot)
    dup = await move(people["td_staff"], location_id=depot.td_loc.id,
                     item_id=depot.item("spo2_meter"), kind="receipt", quantity=1,
                     serial_no="OXI-1")
    assert dup.status_code == 409 and dup.json()["field"] == "serial_no"
    assert await meters_on_shelf(client, people, depot) == 2
    due = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    r = await client.post("/api/loans", headers=people["td_staff"],
                          json={"serial_no": "OXI-1", "case_id": str(case.id), "due_on": due})
    assert r.status_code == 201, r.text
    loan = r.json()
    assert loan["status"] == "open" and loan["days_overdue"] == 0
    assert await meters_on_shelf(client, people, depot) == 1
    home = await client.get(f"/api/locations/{loan['household_location_id']}/lots",
                            headers=people["td_staff"])
    assert [(x["item_code"], x["quantity"]) for x in home.json()] == [("spo2_meter", 1)]
    twice = await client.post("/api/loans", headers=people["td_staff"],
                              json={"serial_no": "OXI-1", "case_id": str(case.id), "due_on": due})
    assert twice.status_code == 409 and twice.json()["field"] == "serial_no"

    back = await client.post(f"/api/loans/{loan['id']}/return", json={"condition": "good"},
                             headers=people["td_staff"])
    assert back.status_code == 200 and back.json()["status"] == "returned"
    assert await meters_on_shelf(client, people, depot) == 2

    r = await client.post("/api/loans", headers=people["td_staff"],
                          json={"serial_no": "OXI-2", "case_id": str(case.id), "due_on": due})
    lost = await client.post(f"/api/loans/{r.json()['id']}/return", json={"condition": "lost"},
                             headers=people["td_officer"])
    assert lost.json()["status"] == "lost"
    assert await meters_on_shelf(client, people, depot) == 1
    units = await client.get("/api/equipment", params={"status": "lost"},
                             headers=people["td_staff"])
    assert [u["serial_no"] for u in units.json()["items"]] == ["OXI-2"]


async def test_overdue_loans_are_listed_earliest_due_first(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession
) -> None:
    case = await setup(db_session, move, people, depot)
    today = datetime.now(UTC).date()
    ids = []
    for serial in ("OXI-1", "OXI-2"):
        r = await client.post("/api/loans", headers=people["td_staff"], json={
            "serial_no": serial, "case_id": str(case.id), "due_on": today.isoformat()})
        ids.append(r.json()["id"])
    await db_session.execute(update(EquipmentLoan).where(EquipmentLoan.id == ids[0])
                             .values(due_on=today - timedelta(days=3)))
    await db_session.commit()
    r = await client.get("/api/loans", params={"overdue": "true"}, headers=people["q1_logistics"])
    assert [(x["serial_no"], x["days_overdue"]) for x in r.json()["items"]] == [("OXI-1", 3)]
    hidden = await client.get("/api/loans", params={"overdue": "true"},
                              headers=people["q3_logistics"])
    assert hidden.json()["total"] == 0


async def test_only_the_station_lends_its_devices(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession
) -> None:
    case = await setup(db_session, move, people, depot)
    body = {"serial_no": "OXI-1", "case_id": str(case.id),
            "due_on": (datetime.now(UTC).date() + timedelta(days=7)).isoformat()}
    assert (await client.post("/api/loans", json=body,
                              headers=people["q3_staff"])).status_code == 404
    assert (await client.post("/api/loans", json=body,
                              headers=people["q1_logistics"])).status_code == 403
    other_case = case_row(depot.dk, 9)
    db_session.add(other_case)
    await db_session.commit()
    wrong = await client.post("/api/loans", headers=people["td_staff"],
                              json={**body, "case_id": str(other_case.id)})
    assert wrong.status_code == 404  # Đa Kao's patient is outside Tân Định's ward


async def test_a_loan_is_a_dispensing_of_the_case_whichever_way_it_is_made(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession
) -> None:
    """Online through ``POST /api/loans`` as through a dispensing (what a tablet pushes): the
    case's dispensings show what its household holds; the same id again adds nothing."""
    case = await setup(db_session, move, people, depot)
    due = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    loan_id = str(uuid.uuid4())
    body = {"id": loan_id, "serial_no": "OXI-1", "case_id": str(case.id), "due_on": due,
            "note": "for the grandmother"}
    r = await client.post("/api/loans", headers=people["td_staff"], json=body)
    assert r.status_code == 201, r.text
    assert r.json()["id"] == loan_id and r.json()["note"] == "for the grandmother"
    again = await client.post("/api/loans", headers=people["td_staff"], json=body)
    assert again.status_code == 200 and again.json() == r.json()
    given = await client.get("/api/dispensings", params={"case_id": str(case.id)},
                             headers=people["td_staff"])
    assert given.status_code == 200, given.text
    assert [(d["id"], d["kind"], d["serial_no"], d["due_on"], d["loan_id"])
            for d in given.json()["items"]] == [(loan_id, "loan", "OXI-1", due, loan_id)]
    other = await client.post("/api/loans", headers=people["td_staff"],
                              json={**body, "serial_no": "OXI-2"})
    assert other.status_code == 409 and other.json()["field"] == "id"
    assert await meters_on_shelf(client, people, depot) == 1


async def test_loans_made_before_have_their_dispensing_written_once(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession
) -> None:
    """Migration 0024: a loan without its dispensing (``POST /api/loans`` before) gets one,
    the loan's own figures, and running it again writes nothing more."""
    case = await setup(db_session, move, people, depot)
    due = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    r = await client.post("/api/loans", headers=people["td_staff"],
                          json={"serial_no": "OXI-2", "case_id": str(case.id), "due_on": due})
    loan = r.json()
    await db_session.execute(delete(Dispensing).where(Dispensing.loan_id == uuid.UUID(loan["id"])))
    await db_session.commit()
    for _ in range(2):
        await db_session.execute(text(loan_dispensings.BACKFILL))
        await db_session.commit()
    rows = (await db_session.execute(
        select(Dispensing).where(Dispensing.case_id == case.id))).scalars().all()
    assert [(str(d.id), d.kind.value, d.serial_no, d.due_on.isoformat(), str(d.loan_id),
             d.location_id == depot.td_loc.id) for d in rows] == [
        (loan["id"], "loan", "OXI-2", due, loan["id"], True)]


async def test_a_loan_made_before_and_sent_again_keeps_its_own_record(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession
) -> None:
    """A loan without its dispensing (made before loans were dispensings) sent again: with
    other content it is refused; with the same, its dispensing is the loan's own (its time
    and lender), not the request's."""
    case = await setup(db_session, move, people, depot)
    due = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    body = {"id": str(uuid.uuid4()), "serial_no": "OXI-1", "case_id": str(case.id),
            "due_on": due}
    first = (await client.post("/api/loans", headers=people["td_staff"], json=body)).json()
    await db_session.execute(delete(Dispensing).where(Dispensing.id == uuid.UUID(body["id"])))
    await db_session.commit()
    later = (datetime.now(UTC).date() + timedelta(days=12)).isoformat()
    for other in ({"due_on": later}, {"serial_no": "OXI-2"}):
        r = await client.post("/api/loans", headers=people["td_officer"], json={**body, **other})
        assert r.status_code == 409 and r.json()["field"] == "id", (other, r.text)
    again = await client.post("/api/loans", headers=people["td_officer"], json=body)
    assert again.status_code == 200 and again.json() == first
    row = (await db_session.execute(
        select(Dispensing).where(Dispensing.id == uuid.UUID(body["id"])))).scalar_one()
    loan = await db_session.get(EquipmentLoan, uuid.UUID(body["id"]))
    assert loan is not None
    assert (row.given_at, row.recorded_by, row.serial_no) == (loan.lent_at, loan.lent_by, "OXI-1")
