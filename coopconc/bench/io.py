"""Benchmarks of cooperative I/O: sockets and the StreamServer (issue: io-1).

Everything runs in one process on 127.0.0.1: the server's handler greenlets and the client
greenlets share one hub, so each round trip is two sends, two receives and the waits in
between -- the hub's ``wait_fd`` path is what is being timed, along with the kernel's loopback.
"""

from __future__ import annotations

import time

from coopconc.bench import benchmark

CLIENTS = 50
MESSAGE = b"x" * 64


@benchmark("TCP echo, 50 clients", unit="round trip", n=10_000)
def tcp_echo(lib, n):
    """50 client greenlets, each sending n/50 small messages to a StreamServer echo and
    reading each reply before sending the next; one op = one round trip."""
    socket = lib.sub("socket")
    StreamServer = lib.sub("server").StreamServer
    per_client = max(1, n // CLIENTS)

    def echo(sock, address):
        recv, sendall = sock.recv, sock.sendall
        while True:
            data = recv(4096)
            if not data:
                break
            sendall(data)

    server = StreamServer(("127.0.0.1", 0), echo)
    server.start()
    address = ("127.0.0.1", server.server_port)

    def client():
        sock = socket.create_connection(address)
        recv, sendall = sock.recv, sock.sendall
        size = len(MESSAGE)
        for _ in range(per_client):
            sendall(MESSAGE)
            got = 0
            while got < size:
                got += len(recv(4096))
        sock.close()

    t0 = time.perf_counter()
    lib.mod.joinall([lib.mod.spawn(client) for _ in range(CLIENTS)], raise_error=True)
    elapsed = time.perf_counter() - t0
    server.stop()
    return elapsed * n / (per_client * CLIENTS)
