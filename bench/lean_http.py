"""The bench devices' HTTP/1.1 client: kept-alive sockets and nothing else.

A bench device shares the machine's two cores with the server it measures, so its client must
cost next to nothing. httpx does not: reading a pull page of 500 changes (about 150 kB) through
it took 3 to 4 ms of the bench process's CPU, more than a third of the page's round trip
(11.7 to 15.6 ms a page with httpx, 7.7 to 9.1 ms over a bare socket, the same server, three
alternating rounds). A tablet's own HTTP stack (the browser's, the OS's) runs natively and off
the server's cores; this client comes closer to that than httpx does on a shared machine.

It speaks what the sync endpoints answer: a status line, headers, then a body of
``Content-Length`` bytes or in chunks, gzip-decoded when the answer says so. A kept-alive
connection the server closed while idle fails the next request before any answer: that
request is sent once more on a fresh connection, as the bench devices did with httpx (a
push and a pull are safe to repeat: sync/PROTOCOL.md §14). Anything else is raised.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import msgspec


class HTTPError(Exception):
    """The server's answer was not HTTP/1.1 as this client reads it."""


@dataclass(frozen=True, slots=True)
class Response:
    status_code: int
    headers: dict[str, str]  # names lower-cased
    content: bytes  # the body, gzip-decoded
    num_bytes_downloaded: int  # the body as it crossed the wire

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return msgspec.json.decode(self.content)


class _Closed(Exception):
    """The connection was closed before any byte of the answer came back."""


class _Connection:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    def close(self) -> None:
        self.writer.close()

    async def exchange(self, head: bytes, body: bytes) -> tuple[Response, bool]:
        """Send one request; the answer and whether the connection may be used again."""
        self.writer.write(head + body)
        try:
            status = await self.reader.readuntil(b"\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            raise _Closed from exc
        parts = status.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise HTTPError(f"not an HTTP/1.x status line: {status[:80]!r}")
        code = int(parts[1])
        headers: dict[str, str] = {}
        for line in (await self.reader.readuntil(b"\r\n\r\n"))[:-4].split(b"\r\n"):
            if line:
                name, _, value = line.partition(b":")
                headers[name.decode("latin-1").strip().lower()] = value.decode("latin-1").strip()
        if "content-length" in headers:
            raw = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            raw = await self._chunks()
        elif code in (204, 304) or 100 <= code < 200:
            raw = b""
        else:  # the body runs to the end of the connection
            raw = await self.reader.read()
            headers["connection"] = "close"
        content = gzip.decompress(raw) if headers.get("content-encoding") == "gzip" else raw
        reusable = headers.get("connection", "").lower() != "close" and not parts[0].endswith(
            b"1.0")
        return Response(code, headers, content, len(raw)), reusable

    async def _chunks(self) -> bytes:
        out = bytearray()
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers are sent to us
                return bytes(out)
            out += await self.reader.readexactly(size)
            await self.reader.readexactly(2)


class LeanClient:
    """Up to ``connections`` kept-alive connections to one server; requests beyond that wait
    for one to come free (as httpx's pool limits did)."""

    def __init__(self, base_url: str, connections: int, *, timeout_s: float = 300.0) -> None:
        url = urlsplit(base_url)
        if url.scheme != "http" or url.hostname is None:
            raise ValueError(f"an http:// address is needed, not {base_url!r}")
        self._host, self._port = url.hostname, url.port or 80
        self._authority = url.netloc
        self._timeout_s = timeout_s
        self._slots = asyncio.Semaphore(connections)
        self._idle: list[_Connection] = []

    async def __aenter__(self) -> LeanClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    async def post(self, url: str, *, content: bytes = b"",
                   headers: Mapping[str, str] | None = None) -> Response:
        return await self.request("POST", url, content, headers or {})

    async def get(self, path: str, *, headers: Mapping[str, str] | None = None) -> Response:
        return await self.request("GET", path, b"", headers or {})

    async def request(self, method: str, path: str, content: bytes,
                      headers: Mapping[str, str]) -> Response:
        lines = [f"{method} {path} HTTP/1.1", f"host: {self._authority}",
                 f"content-length: {len(content)}",
                 *(f"{k}: {v}" for k, v in headers.items())]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        async with self._slots:
            return await asyncio.wait_for(self._send(head, content), self._timeout_s)

    async def _send(self, head: bytes, content: bytes) -> Response:
        fresh = not self._idle
        conn = self._idle.pop() if self._idle else await self._connect()
        try:
            answer, reusable = await conn.exchange(head, content)
        except _Closed:
            conn.close()
            if fresh:
                raise ConnectionError("the server closed a new connection without answering") from None
            conn = await self._connect()  # closed while idle: once more, on a new one
            try:
                answer, reusable = await conn.exchange(head, content)
            except _Closed as exc:
                conn.close()
                raise ConnectionError("the server closed the connection without answering") from exc
            except BaseException:
                conn.close()
                raise
        except BaseException:
            conn.close()
            raise
        if reusable:
            self._idle.append(conn)
        else:
            conn.close()
        return answer

    async def _connect(self) -> _Connection:
        reader, writer = await asyncio.open_connection(self._host, self._port, limit=1 << 20)
        return _Connection(reader, writer)
