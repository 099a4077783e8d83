"""One server process of several sharing one address: ``python -m bench.reuseport PORT``.

Each process binds 127.0.0.1:PORT itself with SO_REUSEPORT, so the kernel spreads incoming
connections over all of them by hash (uvicorn's own ``--workers`` share one accepting socket,
and one busy process tends to accept most connections). The app is the one a worker of the
CLI builds from the environment (api/asgi.py); nothing is shared between the processes but
the database, as with app servers on separate hosts behind a load balancer.
"""

from __future__ import annotations

import socket
import sys

import uvicorn

from api.asgi import app_from_env
from domain.settings import Settings


class _Announcing(uvicorn.Server):
    """Says ``ready`` on stdout once it accepts connections (the bench waits for every one)."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            print("ready", flush=True)


def listening_socket(port: int) -> socket.socket:
    """127.0.0.1:PORT bound with SO_REUSEPORT beside the other processes, listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    # Accepted connections inherit it. uvloop sets it itself only on the sockets of a server
    # it binds; without it an answer written as headers then body waited for the client's
    # delayed ACK (Nagle's algorithm): about 40 ms on every push and pull (the couch and
    # scale benches measured 80 ms pushes that take 35 ms from `api.cli run`).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1024)
    return sock


def main(argv: list[str]) -> int:
    """``PORT``: serve on PORT, alongside the other processes bound to it."""
    sock = listening_socket(int(argv[0]))
    config = uvicorn.Config(app_from_env(), log_level="warning", lifespan="on",
                            timeout_keep_alive=Settings.from_env().keep_alive_s)
    # Server.run, not asyncio.run(serve()): run builds the loop uvicorn picks (uvloop, as
    # `api.cli run` gets); the stdlib loop cost the couch and scale benches' servers about a
    # fifth more CPU per push than the server the push bench measures.
    _Announcing(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
