"""sync/PROTOCOL.md is the contract: its examples are sent to the server and its policy table
is the registry's."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from sync.entities import REGISTRY
from sync.hlc import HLC, HLC_PATTERN, system_ms
from tests.sync.conftest import Unit

DOC = Path(__file__).resolve().parents[2] / "sync" / "PROTOCOL.md"
DOC_DEVICE = "3f1c2a9e-7b44-4c1e-9d2a-6b0f1e8c5d21"
DOC_AUTHOR = "8a6e4f10-2c3b-4d5e-8f90-1a2b3c4d5e6f"
DOC_STATION = "5b2d7c4e-1f3a-4e8b-9c6d-0a1b2c3d4e5f"
DOC_HLC_MS = 1732300000000  # the first HLC of the push example


def _recent(match: re.Match[str]) -> str:
    """A documented mutation HLC moved to a minute ago (same spacing), since the server refuses
    HLCs from before the device's enrolment (``clock_behind``)."""
    ms = int(match[1]) - DOC_HLC_MS + system_ms() - 60_000
    return f'"hlc": "{HLC(ms, int(match[2])).format()}"'


def examples(unit: Unit | None = None) -> dict[str, Any]:
    """The ``<!-- example: name -->`` JSON blocks, with the doc's ids swapped for the unit's."""
    text = DOC.read_text()
    if unit is not None:
        for doc_id, real in ((DOC_DEVICE, unit.device.id), (DOC_AUTHOR, unit.staff.id),
                             (DOC_STATION, unit.station_id)):
            text = text.replace(doc_id, str(real))
        text = re.sub(r'"hlc": "(\d{15})-(\d{5})"', _recent, text)
    found = re.findall(r"<!-- example: ([a-z-]+) -->\n```json\n(.*?)\n```", text, re.S)
    return {name: json.loads(body) for name, body in found}


async def test_the_push_and_pull_examples_do_what_the_document_says(unit: Unit) -> None:
    ex = examples(unit)
    d = unit.device
    pushed = await d.post("/sync/v1/push", ex["push-request"])
    assert pushed.status_code == 200, pushed.text
    body = pushed.json()
    assert body.keys() == ex["push-response"].keys()
    assert body["results"] == ex["push-response"]["results"]
    pulled = await d.post("/sync/v1/pull", ex["pull-request"])
    page = pulled.json()
    assert page.keys() == ex["pull-response"].keys()
    assert page["reset"] is False and page["has_more"] is False
    actual = {(c["entity"], c["row_id"]): c for c in page["changes"]}
    documented = [c for c in ex["pull-response"]["changes"] if c["op"] == "upsert"]
    sent = {m["row_id"]: m["fields"] for m in ex["push-request"]["mutations"]}
    for change in documented:
        got = actual[(change["entity"], change["row_id"])]
        assert got["fields"].keys() == change["fields"].keys()
        for name in ("full_name", "phone", "risk_group", "status", "kind", "value", "unit"):
            if name in change["fields"]:
                assert got["fields"][name] == change["fields"][name], name
        assert sent[change["row_id"]].keys() <= got["fields"].keys()


async def test_the_error_examples_are_the_servers_answers(unit: Unit) -> None:
    ex = examples(unit)
    for name in ("bad-protocol", "unknown-field"):
        resp = await unit.device.post("/sync/v1/push", ex[f"{name}-request"])
        body, documented = resp.json(), ex[f"{name}-response"]
        assert re.fullmatch(HLC_PATTERN, body.pop("server_hlc")), name  # every answer has one
        assert body.pop("server_time").endswith("Z"), name  # and the server's wall time
        documented.pop("server_hlc")
        documented.pop("server_time")
        assert body == documented, name


def test_the_policy_table_is_the_registry() -> None:
    table = DOC.read_text().split("<!-- policy-table -->", 1)[1].split("\n\n", 1)[0]
    documented: dict[tuple[str, str], list[str]] = {}
    for line in table.strip().splitlines()[2:]:
        entity, policy, fields = (cell.strip() for cell in line.strip("|").split("|"))
        documented[(entity.strip("`"), policy)] = re.findall(r"`([a-z0-9_]+)`", fields)
    registered: dict[tuple[str, str], list[str]] = {}
    for spec in REGISTRY:
        for f in spec.fields:
            registered.setdefault((spec.name, f.policy.value), []).append(f.name)
    assert documented == registered


def test_example_ids_are_uuids() -> None:
    for body in examples().values():
        for m in body.get("mutations", []):
            uuid.UUID(m["id"])


async def test_the_schema_endpoint_publishes_types_and_policies(unit: Unit) -> None:
    resp = await unit.device.http.get("/sync/v1/schema")
    assert resp.status_code == 200
    schema = resp.json()
    assert [e["name"] for e in schema["entities"]] == REGISTRY.names
    assert (schema["clock_skew_ms"], schema["max_push_mutations"]) == (300_000, 1000)
    case = next(e for e in schema["entities"] if e["name"] == "f0_case")
    fields = {f["name"]: f for f in case["fields"]}
    assert (fields["phone"]["policy"], fields["phone"]["type"]) == ("lww", "string")
    assert (fields["risk_group"]["policy"], fields["risk_group"]["pushable"]) == ("derived", False)
    assert fields["status"]["values"][0] == "home_monitoring"
    assert fields["home_position"]["type"] == "point"
    assert case["deletes"] == "tombstone_wins"
