"""Benchmarks of the WSGI server (issue 9): coopconc.pywsgi against gevent.pywsgi.

The server runs in the benchmark's process; the clients run in another process (a plain
epoll loop, no coopconc, no gevent), so what is timed is the server alone. 50 clients keep
their connections alive and send one request at a time each; one op = one request answered.

Each row comes in two kinds of client. A *plain* client is an ordinary socket: when a
response arrives in two pieces, its kernel delays the ACK of the first (up to ~40 ms), and a
server that wrote the headers and the body with two ``send`` calls has its second piece held
back by Nagle's algorithm until that ACK comes -- every request pays the delay. A
*QUICKACK* client sets ``TCP_QUICKACK`` after each read, which hides the problem.
"""

from __future__ import annotations

import json
import select
import socket
import sys
import time

from coopconc.bench import benchmark

CLIENTS = 50
CHUNK = b"x" * 4096
CHUNKS = 16  # 16 x 4 KiB = a 64 KiB body, sent chunked


def hello_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello World\n"]


def stream_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return (CHUNK for _ in range(CHUNKS))  # no Content-Length: the server chunks it


def _serve_and_time(lib, n: int, app, path: str, quickack: bool) -> float:
    """Serve ``app`` with ``lib``'s pywsgi; time ``n`` requests made by the client process."""
    WSGIServer = lib.sub("pywsgi").WSGIServer
    subprocess_mod = lib.sub("subprocess")
    server = WSGIServer(("127.0.0.1", 0), app, log=None)
    server.start()
    try:
        argv = [sys.executable, "-m", "coopconc.bench.wsgi", str(server.server_port), str(n)]
        argv += [path, "quickack" if quickack else "plain"]
        child = subprocess_mod.Popen(argv, stdout=subprocess_mod.PIPE)
        out, _ = child.communicate()
        if child.returncode != 0:
            raise RuntimeError(f"the client process failed ({child.returncode})")
        return json.loads(out)["seconds"]
    finally:
        server.stop()


@benchmark("WSGI hello, 50 clients", unit="request", n=5_000)
def wsgi_hello(lib, n):
    """Hello-world app, 50 keep-alive clients in another process (plain sockets)."""
    return _serve_and_time(lib, n, hello_app, "/", quickack=False)


@benchmark("WSGI hello, 50 QUICKACK clients", unit="request", n=5_000)
def wsgi_hello_quickack(lib, n):
    """Same, the clients set TCP_QUICKACK (no delayed ACK to wait for)."""
    return _serve_and_time(lib, n, hello_app, "/", quickack=True)


@benchmark("WSGI 64 KiB chunked, 50 clients", unit="request", n=2_000)
def wsgi_stream(lib, n):
    """A generator yielding 16 x 4 KiB (sent chunked), 50 keep-alive clients (plain)."""
    return _serve_and_time(lib, n, stream_app, "/stream", quickack=False)


@benchmark("WSGI 64 KiB chunked, 50 QUICKACK", unit="request", n=2_000)
def wsgi_stream_quickack(lib, n):
    """Same, the clients set TCP_QUICKACK."""
    return _serve_and_time(lib, n, stream_app, "/stream", quickack=True)


# -- the client process -------------------------------------------------------------------------


def _complete(buffer: bytes) -> int:
    """Length of the first whole response in ``buffer`` (0: not whole yet)."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return 0
    head = buffer[:end].lower()
    start = head.find(b"\r\ncontent-length:")
    if start >= 0:
        stop = head.find(b"\r\n", start + 2)
        length = int(head[start + 17 : stop if stop >= 0 else len(head)])
        total = end + 4 + length
        return total if len(buffer) >= total else 0
    tail = buffer.find(b"\r\n0\r\n\r\n", end)  # chunked: the last chunk ends it
    return tail + 7 if tail >= 0 else 0


def run_clients(port: int, n: int, path: str, quickack: bool, clients: int = CLIENTS) -> float:
    """Open ``clients`` keep-alive connections, make ``n`` requests in all; return seconds."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    ep = select.epoll()
    socks, buffers, left = {}, {}, {}
    per_client, extra = divmod(n, clients)
    for i in range(clients):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setblocking(False)
        fd = sock.fileno()
        socks[fd], buffers[fd] = sock, b""
        left[fd] = per_client + (1 if i < extra else 0)
        ep.register(fd, select.EPOLLIN)
    quick = getattr(socket, "TCP_QUICKACK", None) if quickack else None
    t0 = time.perf_counter()
    active = 0
    for fd, sock in socks.items():
        if left[fd]:
            sock.send(request)
            active += 1
    while active:
        for fd, _ in ep.poll():
            sock = socks[fd]
            data = sock.recv(262144)
            if quick is not None:
                sock.setsockopt(socket.IPPROTO_TCP, quick, 1)
            if not data:
                raise SystemExit("the server closed a keep-alive connection")
            buffer = buffers[fd] + data
            size = _complete(buffer)
            if size:
                buffer = buffer[size:]
                left[fd] -= 1
                if left[fd]:
                    sock.send(request)
                else:
                    active -= 1
            buffers[fd] = buffer
    elapsed = time.perf_counter() - t0
    for sock in socks.values():
        sock.close()
    ep.close()
    return elapsed


if __name__ == "__main__":
    port, count, path, kind = sys.argv[1:5]
    seconds = run_clients(int(port), int(count), path, kind == "quickack")
    print(json.dumps({"seconds": seconds}))
