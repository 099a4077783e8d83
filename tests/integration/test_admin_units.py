"""The early-2025 hierarchy through the API: counts, search, ancestors, GeoJSON, bad parameters."""

from __future__ import annotations

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession


async def test_lists_63_provinces(client: AsyncClient) -> None:
    r = await client.get("/api/admin-units", params={"level": "province", "limit": 100})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 63
    assert len(body["items"]) == 63
    assert {"code": "79", "name": "Thành phố Hồ Chí Minh"}.items() <= next(
        i for i in body["items"] if i["code"] == "79"
    ).items()


async def test_ho_chi_minh_city_districts_and_wards(client: AsyncClient) -> None:
    r = await client.get("/api/admin-units", params={"parent": "79", "limit": 100})
    districts = r.json()["items"]
    assert {d["name"] for d in districts} >= {"Quận 1", "Thành phố Thủ Đức", "Huyện Cần Giờ"}
    assert all(d["level"] == "district" and d["parent_code"] == "79" for d in districts)
    wards = (await client.get("/api/admin-units", params={"parent": "760"})).json()["items"]
    assert "Phường Tân Định" in {w["name"] for w in wards}
    assert all(w["level"] == "commune" and w["path"].startswith("VN.79.760.") for w in wards)


async def test_every_point_lies_inside_its_bounding_box(client: AsyncClient) -> None:
    seen = 0
    for level in ("province", "district", "commune"):
        offset = 0
        while True:
            page = (
                await client.get(
                    "/api/admin-units", params={"level": level, "limit": 1000, "offset": offset}
                )
            ).json()
            for u in page["items"]:
                lon, lat = u["centroid"]["coordinates"]
                min_lon, min_lat, max_lon, max_lat = u["bbox"]
                assert min_lon <= lon <= max_lon and min_lat <= lat <= max_lat, u["code"]
                seen += 1
            offset += 1000
            if offset >= page["total"]:
                break
    assert seen > 10_000


async def test_search_ignores_case_and_diacritics(client: AsyncClient) -> None:
    for q in ("tan dinh", "TÂN ĐỊNH", "Tan Định"):
        r = await client.get("/api/admin-units", params={"q": q, "level": "commune"})
        names = {u["name"] for u in r.json()["items"]}
        assert "Phường Tân Định" in names, q
    dd = await client.get("/api/admin-units", params={"q": "da kao"})
    assert "Phường Đa Kao" in {u["name"] for u in dd.json()["items"]}


async def test_search_ranks_whole_words_in_order_first(client: AsyncClient) -> None:
    """"tan dinh" is Phường Tân Định (and the other Tân Định) before Tân Dĩnh, which folds the
    same but is spelled otherwise, and before Định Tân, whose words come the other way round."""
    r = await client.get("/api/admin-units", params={"q": "tan dinh"})
    assert r.status_code == 200, r.text
    names = [(u["name"], u["code"]) for u in r.json()["items"]]
    assert names[0] == ("Phường Tân Định", "26734")  # Quận 1, spelled "Tan Dinh" in English
    order = [n for n, _ in names]
    for better, worse in (("Phường Tân Định", "Xã Tân Dĩnh"), ("Phường Tân Định", "Xã Định Tân"),
                          ("Xã Tân Dĩnh", "Xã Bàn Tân Định"), ("Xã Bàn Tân Định", "Xã Định Tân")):
        assert better in order and worse in order, (better, worse, order)
        last_better = max(i for i, n in enumerate(order) if n == better)
        assert last_better < order.index(worse), (better, worse, order)
    assert r.json()["total"] == len(names)
    # typed with its diacritics, Tân Dĩnh is first; a page past the first keeps the ranking
    dinh = (await client.get("/api/admin-units", params={"q": "tân dĩnh"})).json()["items"]
    assert dinh[0]["name"] == "Xã Tân Dĩnh"
    second = (await client.get("/api/admin-units",
                               params={"q": "tan dinh", "limit": 2, "offset": 1})).json()
    assert [u["code"] for u in second["items"]] == [c for _, c in names[1:3]]
    # words in the other order still find the unit, after the exact ones
    reverse = [u["name"] for u in (await client.get(
        "/api/admin-units", params={"q": "dinh tan"})).json()["items"]]
    assert reverse[0] == "Xã Định Tân" and "Phường Tân Định" in reverse


async def test_search_treats_like_wildcards_literally(client: AsyncClient) -> None:
    r = await client.get("/api/admin-units", params={"q": "%"})
    assert r.status_code == 200
    assert r.json()["total"] == 0


async def test_unit_with_its_chain_of_ancestors(client: AsyncClient) -> None:
    r = await client.get("/api/admin-units/26734")
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "Phường Tân Định"
    assert [a["code"] for a in body["ancestors"]] == ["VN", "79", "760"]
    assert [a["level"] for a in body["ancestors"]] == ["national", "province", "district"]


async def test_geojson_forms(client: AsyncClient) -> None:
    r = await client.get(
        "/api/admin-units", params={"parent": "760", "format": "geojson", "geometry": "outline"}
    )
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    f = fc["features"][0]
    assert f["geometry"]["type"] == "Polygon"
    lon, lat = f["geometry"]["coordinates"][0][0]
    assert 106 < lon < 107 and 10 < lat < 11  # longitude first (RFC 7946)
    one = (await client.get("/api/admin-units/79", params={"format": "geojson"})).json()
    assert one["type"] == "Feature" and one["geometry"]["type"] == "Point"
    assert one["properties"]["ancestors"] == [
        {"code": "VN", "name": "Việt Nam", "level": "national"}
    ]


async def test_unknown_unit_is_a_problem_404(client: AsyncClient) -> None:
    r = await client.get("/api/admin-units/99999")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "code"


async def test_malformed_parameters_are_400_naming_the_parameter(client: AsyncClient) -> None:
    for params, field in (
        ({"level": "planet"}, "level"),
        ({"limit": "many"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "99999999999999999999"}, "offset"),
        ({"q": "\x00"}, "q"),
        ({"format": "xml"}, "format"),
    ):
        r = await client.get("/api/admin-units", params=params)
        assert r.status_code == 400, params
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["status"] == 400
        assert body["field"] == field, body


async def test_loading_again_changes_nothing(db_session: AsyncSession) -> None:
    from sqlalchemy import func, select

    from domain.models.admin_unit import AdminUnit
    from domain.services.admin_units import AdminUnitService

    before = (await db_session.execute(
        select(func.count(), func.max(AdminUnit.sync_version)))).one()
    await AdminUnitService(db_session).load(force=True)
    after = (await db_session.execute(
        select(func.count(), func.max(AdminUnit.sync_version)))).one()
    assert before == after  # same rows, and no row got a new version (devices re-pull nothing)


async def test_the_units_are_those_of_early_2025_and_the_docs_say_so(client: AsyncClient) -> None:
    """696 districts, and 273 wards in Ho Chi Minh City: the state of early 2025, not 2021's
    705 and 312; the API docs say which."""
    districts = await client.get("/api/admin-units", params={"level": "district", "limit": 1})
    assert districts.json()["total"] == 696
    city = 0
    for district in (await client.get("/api/admin-units", params={"parent": "79"})).json()["items"]:
        page = await client.get("/api/admin-units", params={"parent": district["code"], "limit": 1})
        city += page.json()["total"]
    assert city == 273
    schema = (await client.get("/schema/openapi.json")).json()
    listing = schema["paths"]["/api/admin-units"]["get"]["description"]
    outlines = schema["paths"]["/api/map/units"]["get"]["description"]
    for text in (listing, outlines):
        assert "early 2025" in text and "2021" not in text
