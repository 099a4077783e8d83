"""The bench devices' HTTP client reads real uvicorn answers whole, reuses its connections,
survives the server closing an idle one, and never has more in flight than it was given."""

from __future__ import annotations

import asyncio
import gzip
import os
from collections.abc import AsyncIterator, Iterator

import pytest
from litestar import Litestar, Request, Response, get, post
from litestar.config.compression import CompressionConfig
from litestar.response import Stream

from bench.lean_http import LeanClient
from tests.servers import serving

PAYLOAD = os.urandom(300_000)
TEXT = ("Trạm y tế lưu động phường 12 " * 4000).encode()


class Seen:
    """What the server saw, across one module's requests."""

    requests = 0
    in_flight = 0
    most_in_flight = 0
    peers: set[tuple[str, int]] = set()


@post("/echo", status_code=200)
async def echo(request: Request[object, object, object]) -> Response[bytes]:
    Seen.requests += 1
    if request.client is not None:
        Seen.peers.add((request.client.host, request.client.port))
    return Response(await request.body(), media_type="application/octet-stream")


@get("/text")
async def text() -> Response[bytes]:
    return Response(TEXT, media_type="text/plain")


@get("/stream")
async def stream() -> Stream:
    async def parts() -> AsyncIterator[bytes]:
        for i in range(0, len(PAYLOAD), 65536):
            yield PAYLOAD[i:i + 65536]

    return Stream(parts(), media_type="application/octet-stream")


@get("/slow")
async def slow() -> dict[str, int]:
    Seen.in_flight += 1
    Seen.most_in_flight = max(Seen.most_in_flight, Seen.in_flight)
    await asyncio.sleep(0.1)
    Seen.in_flight -= 1
    return {"in_flight": Seen.most_in_flight}


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    app = Litestar([echo, text, stream, slow], compression_config=CompressionConfig(
        backend="gzip", minimum_size=500))
    with serving(app, keep_alive_s=1) as url:
        yield url


async def test_bodies_arrive_whole_over_one_kept_alive_connection(base: str) -> None:
    Seen.peers.clear()
    async with LeanClient(base, 1) as http:
        for _ in range(5):
            resp = await http.post("/echo", content=PAYLOAD,
                                   headers={"content-type": "application/octet-stream"})
            assert resp.status_code == 200
            assert resp.content == PAYLOAD
    assert len(Seen.peers) == 1  # five requests, one connection


async def test_gzip_and_chunked_answers_are_decoded(base: str) -> None:
    async with LeanClient(base, 1) as http:
        zipped = await http.get("/text", headers={"accept-encoding": "gzip"})
        plain = await http.get("/text", headers={"accept-encoding": "identity"})
        streamed = await http.get("/stream")
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == TEXT == plain.content
    assert zipped.num_bytes_downloaded < len(TEXT) // 10 < plain.num_bytes_downloaded
    assert gzip.decompress(gzip.compress(TEXT)) == zipped.content
    assert streamed.headers.get("transfer-encoding") == "chunked"
    assert streamed.content == PAYLOAD


async def test_a_connection_the_server_closed_while_idle_is_replaced(base: str) -> None:
    """The server drops a kept-alive connection after 1 s idle: the next request is sent
    again on a fresh connection and answered once."""
    async with LeanClient(base, 1) as http:
        assert (await http.post("/echo", content=b"one")).content == b"one"
        await asyncio.sleep(1.6)
        before = Seen.requests
        assert (await http.post("/echo", content=b"two")).content == b"two"
        assert Seen.requests == before + 1


async def test_no_more_requests_in_flight_than_connections(base: str) -> None:
    Seen.most_in_flight = 0
    async with LeanClient(base, 2) as http:
        answers = await asyncio.gather(*(http.get("/slow") for _ in range(6)))
    assert all(a.status_code == 200 for a in answers)
    assert Seen.most_in_flight == 2
    assert max(a.json()["in_flight"] for a in answers) == 2


async def test_an_error_status_is_an_answer_not_an_exception(base: str) -> None:
    async with LeanClient(base, 1) as http:
        missing = await http.get("/nowhere")
        again = await http.post("/echo", content=b"after")
    assert missing.status_code == 404
    assert "Not Found" in missing.text
    assert again.content == b"after"
