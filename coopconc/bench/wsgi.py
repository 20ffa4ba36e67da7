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
import subprocess
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


# -- not a coopconc-vs-gevent row: greenlets against threads (notebook 16) -----------------------


def _slow_hello(sleep, delay: float):
    """A hello-world app that first waits ``delay`` s, as if it asked a database."""

    def app(environ, start_response):
        sleep(delay)
        return hello_app(environ, start_response)

    return app


def _serve_in_this_process(kind: str, delay: float) -> None:
    """Child process: serve a slow hello on 127.0.0.1 with ``kind``; print the port; run."""
    if kind == "coopconc":
        import coopconc
        from coopconc.pywsgi import WSGIServer

        app = _slow_hello(coopconc.sleep, delay)
        server = WSGIServer(("127.0.0.1", 0), app, backlog=1024, log=None)
        server.start()
        print(server.server_port, flush=True)
        server.serve_forever()
    else:  # one OS thread per connection: the standard library's wsgiref + ThreadingMixIn
        from socketserver import ThreadingMixIn
        from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

        class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
            daemon_threads = True
            request_queue_size = 1024  # the same listen backlog as the coopconc server

        class QuietHandler(WSGIRequestHandler):
            def log_message(self, *args):
                pass

        server = ThreadingWSGIServer(("127.0.0.1", 0), QuietHandler)
        server.set_app(_slow_hello(time.sleep, delay))
        print(server.server_address[1], flush=True)
        server.serve_forever()


def _peak_rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status")


def _load(port: int, clients: int, requests: int) -> float:
    """``clients`` greenlets, each making ``requests`` HTTP/1.0 requests; return seconds."""
    import coopconc
    from coopconc import socket as csocket

    request = b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"

    def client():
        for _ in range(requests):
            with csocket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(request)
                answer = b""
                while data := sock.recv(65536):
                    answer += data
                if not answer.endswith(b"Hello World\n"):
                    raise RuntimeError(f"unexpected answer {answer[:60]!r}")

    t0 = time.perf_counter()
    coopconc.joinall([coopconc.spawn(client) for _ in range(clients)], raise_error=True)
    return time.perf_counter() - t0


def compare_with_threads(
    plan=((10, 10), (100, 3)), delay: float = 0.05, kinds=("coopconc", "threads")
) -> list[dict]:
    """Requests per second and peak memory of a greenlet server and a thread-per-connection one.

    Each kind of server runs, in its own child process, a hello-world app that waits
    ``delay`` seconds first (a database call, say), so that every client's connection is
    open and being served at the same time. For each ``(clients, requests)`` in ``plan``
    (fewest clients first), ``clients`` concurrent greenlets in this process each make
    ``requests`` requests, a new connection each (the thread server speaks HTTP/1.0 only).
    Rows: ``{"server", "clients", "requests_per_s", "peak_rss_mib"}`` -- the peak is the
    server process's resident-memory high-water mark so far (VmHWM).
    """
    children = {  # started together: their start-up times overlap
        kind: subprocess.Popen(
            [sys.executable, "-m", "coopconc.bench.wsgi", "serve", kind, str(delay)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for kind in kinds
    }
    rows = []
    try:
        for kind, child in children.items():
            port = int(child.stdout.readline())
            for clients, requests in plan:
                seconds = _load(port, clients, requests)
                rows.append(
                    {
                        "server": kind,
                        "clients": clients,
                        "requests_per_s": clients * requests / seconds,
                        "peak_rss_mib": _peak_rss_mib(child.pid),
                    }
                )
    finally:
        for child in children.values():
            child.kill()
            child.wait()
            child.stdout.close()
    return rows


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        _serve_in_this_process(sys.argv[2], float(sys.argv[3]))
    else:
        port, count, path, kind = sys.argv[1:5]
        seconds = run_clients(int(port), int(count), path, kind == "quickack")
        print(json.dumps({"seconds": seconds}))
