"""The bench's SO_REUSEPORT servers answer without waiting on the client's delayed ACK."""

from __future__ import annotations

import socket

from bench.reuseport import listening_socket
from tests.servers import free_port


def test_accepted_connections_send_at_once() -> None:
    """An answer goes out as headers then body; with Nagle's algorithm on, the body waited
    about 40 ms for the ACK of the headers. Every connection the server accepts has it off,
    and a second process can bind the same port."""
    port = free_port()
    server, beside = listening_socket(port), listening_socket(port)
    beside.close()
    try:
        with socket.create_connection(("127.0.0.1", port)) as client:
            conn, _ = server.accept()
            with conn:
                assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
                client.sendall(b"ping")
                assert conn.recv(4) == b"ping"
    finally:
        server.close()
