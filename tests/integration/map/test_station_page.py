"""The station app is served by the app itself, and its service worker caches everything the
page needs: a module the page imports but the worker does not cache would break the app on a
tablet with no network, so every import is checked against the worker's list."""

from __future__ import annotations

import re

from httpx import AsyncClient

URL_IN_CODE = re.compile(r"""["'`(]\s*(?:https?:)?//[a-z0-9]""", re.IGNORECASE)
COMMENT = re.compile(r"(^|\s)//[^\n]*")  # a URL in a comment loads nothing
IMPORT = re.compile(r"""(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']""")


def _resolve(base: str, spec: str) -> str:
    if spec.startswith("/"):
        return spec
    parts = base.rsplit("/", 1)[0].split("/")
    for piece in spec.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


async def test_station_page_and_service_worker(client: AsyncClient) -> None:
    page = await client.get("/station")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'src="/static/station/app.js"' in page.text
    sw = await client.get("/station/sw.js")
    assert sw.status_code == 200 and "javascript" in sw.headers["content-type"]
    assert sw.headers["service-worker-allowed"] == "/station"
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert "/station" not in paths and "/station/sw.js" not in paths


async def test_every_module_the_app_loads_is_cached_for_offline_use(client: AsyncClient) -> None:
    sw = (await client.get("/station/sw.js")).text
    shell = set(re.findall(r'"(/[^"]+)"', sw.split("const SHELL = [", 1)[1].split("];", 1)[0]))
    assert "/station" in shell
    todo, seen = ["/static/station/app.js"], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        resp = await client.get(path)
        assert resp.status_code == 200, path
        code = COMMENT.sub("", resp.text).replace("http://www.w3.org/2000/svg", "")
        assert not URL_IN_CODE.search(code), f"{path} reaches outside the app"
        for a, b in IMPORT.findall(resp.text):
            todo.append(_resolve(path, a or b))
    node_only = {"/static/sync-client/backend-file.js"}
    # The QR generator is only for an officer enrolling another tablet: online by nature.
    online_only = {"/static/vendor/qrcode-generator/qrcode.mjs"}
    assert online_only <= seen
    assert seen - node_only - online_only <= shell, f"not cached by the service worker: {seen - shell}"
    for path in shell:
        assert (await client.get(path)).status_code == 200, path
