"""Response compression: the app's gzip settings, and the answers that compress themselves.

Litestar's middleware compresses every answer of 1 KB or more for a client that accepts gzip.
A route whose answer is kept between requests (the map's stations, api/map_cache.py) opts out
with ``OWN_COMPRESSION`` and answers the kept compressed bytes: compressing 350 KB of GeoJSON
again for every request was 2.3 ms of a request that otherwise does almost nothing.
"""

from __future__ import annotations

import gzip
from typing import Any

from litestar import Request
from litestar.config.compression import CompressionConfig

# Level 5: most of level 9's saving at a fraction of its CPU on 200 KB map payloads.
GZIP_LEVEL = 5
MINIMUM_SIZE = 1024
OWN_COMPRESSION = "compresses_itself"  # route opt: the middleware leaves its answers alone


def compression_config() -> CompressionConfig:
    return CompressionConfig(backend="gzip", minimum_size=MINIMUM_SIZE,
                             gzip_compress_level=GZIP_LEVEL, exclude_opt_key=OWN_COMPRESSION)


def accepts_gzip(request: Request[Any, Any, Any]) -> bool:
    """As the middleware decides it."""
    return "gzip" in request.headers.get("accept-encoding", "")


def gzipped(body: bytes) -> bytes | None:
    """The body compressed as the middleware would, or None when too small to be."""
    return gzip.compress(body, GZIP_LEVEL) if len(body) >= MINIMUM_SIZE else None


def encoding_headers(compressed: bool) -> dict[str, str]:
    vary = {"Vary": "Accept-Encoding"}
    return {**vary, "Content-Encoding": "gzip"} if compressed else vary
