"""An acknowledged emergency is still an emergency: the map, the station panel, the dashboard
and its CSV count every unresolved alert (open or acknowledged), emergency apart from attention,
until someone resolves it."""

from __future__ import annotations

import csv
import io
from typing import Any

from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.observation import Alert
from tests.integration.map.conftest import City


async def _figures(client: AsyncClient, headers: dict[str, str], city: City) -> dict[str, Any]:
    stations = (await client.get("/api/map/stations", headers=headers)).json()["features"]
    td = next(f for f in stations if f["id"] == str(city.overloaded.id))["properties"]
    panel = (await client.get(f"/api/map/stations/{city.overloaded.id}", headers=headers)).json()
    board = (await client.get("/api/dashboard", params={"unit": "760"}, headers=headers)).json()
    csv_text = (await client.get("/api/dashboard.csv", params={"unit": "760"}, headers=headers))
    total_row = next(csv.DictReader(io.StringIO(csv_text.content.decode("utf-8-sig"))))
    return {
        "map": (td["open_alerts"], td["emergency_alerts"], td["attention_alerts"]),
        "attention": td["attention"],
        "panel": panel["feature"]["properties"]["emergency_alerts"],
        "dashboard": (board["unit"]["open_alerts"], board["unit"]["emergency_alerts"],
                      board["unit"]["attention_alerts"], board["unit"]["acknowledged_alerts"]),
        "csv": (total_row["open_alerts"], total_row["emergency_alerts"],
                total_row["acknowledged_alerts"]),
    }


async def test_an_acknowledged_emergency_stays_on_the_map_and_the_dashboard_until_resolved(
    client: AsyncClient, make_user: Any, city: City, db_session: AsyncSession
) -> None:
    emergency = await db_session.scalar(
        select(Alert.id).where(Alert.station_id == city.overloaded.id)
    )
    _, nurse = await make_user("station_staff", "26734", station_id=city.overloaded.id)
    _, coordinator = await make_user("city_coordinator", "79")

    before = await _figures(client, coordinator, city)
    assert before["map"] == (1, 1, 0) and before["panel"] == 1
    # Quận 1: Tân Định's open emergency, Đa Kao's acknowledged attention alert
    assert before["dashboard"] == (2, 1, 1, 1)

    ack = await client.post(f"/api/alerts/{emergency}/acknowledge", headers=nurse)
    assert ack.status_code == 200, ack.text
    after_ack = await _figures(client, coordinator, city)
    assert after_ack["map"] == (1, 1, 0) and after_ack["attention"][0] == "open_alerts"
    assert after_ack["panel"] == 1
    assert after_ack["dashboard"] == (2, 1, 1, 2)
    assert after_ack["csv"] == ("2", "1", "2")

    done = await client.post(f"/api/alerts/{emergency}/resolve", headers=nurse)
    assert done.status_code == 200, done.text
    resolved = await _figures(client, coordinator, city)
    assert resolved["map"] == (0, 0, 0) and "open_alerts" not in resolved["attention"]
    assert resolved["dashboard"] == (1, 0, 1, 1)
    assert resolved["csv"] == ("1", "0", "1")
