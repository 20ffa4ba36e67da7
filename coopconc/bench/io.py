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


# ---------------------------------------------------------------------------------------------
# Not a coopconc-vs-gevent row: what one readiness check costs the kernel (notebook 03)


def watch_cost(sizes=(10, 30, 100, 300, 800), seconds: float = 0.005) -> list[dict]:
    """Seconds per call of ``select``, ``poll`` and ``epoll`` asked about n idle descriptors.

    For each n in ``sizes``: n descriptors (duplicates of one socket with no data) are watched
    for reading, and each mechanism is asked "is anything ready?" with a zero timeout -- the
    question an event loop asks on every turn. The best of five runs of about ``seconds``
    each counts (the least disturbed one). ``select`` is left out (None) where a descriptor number reaches FD_SETSIZE
    (1024), which select cannot watch at all.
    """
    import os
    import select
    import socket

    def per_call(fn, *args) -> float:
        calls = 1
        while True:  # grow the batch until it takes long enough to time
            t0 = time.perf_counter()
            for _ in range(calls):
                fn(*args)
            elapsed = time.perf_counter() - t0
            if elapsed >= seconds:
                break
            calls *= 4
        best = elapsed / calls
        for _ in range(4):
            t0 = time.perf_counter()
            for _ in range(calls):
                fn(*args)
            best = min(best, (time.perf_counter() - t0) / calls)
        return best

    a, b = socket.socketpair()
    rows = []
    try:
        for n in sizes:
            fds = [os.dup(a.fileno()) for _ in range(n)]
            ep = select.epoll()
            try:
                pl = select.poll()
                for fd in fds:
                    ep.register(fd, select.EPOLLIN)
                    pl.register(fd, select.POLLIN)
                row = {"n": n, "select": None}
                if max(fds) < 1024:
                    row["select"] = per_call(select.select, fds, [], [], 0)
                row["poll"] = per_call(pl.poll, 0)
                row["epoll"] = per_call(ep.poll, 0)
                rows.append(row)
            finally:
                ep.close()
                for fd in fds:
                    os.close(fd)
    finally:
        a.close()
        b.close()
    return rows
