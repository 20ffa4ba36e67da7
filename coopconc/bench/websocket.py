"""Benchmarks of websockets: coopconc.pywsgi + coopconc.websocket against gevent.pywsgi +
gevent-websocket (``geventwebsocket.handler.WebSocketHandler``), the stack the gevent tutorial
used for its websocket examples.

The server and its clients share one process and one hub (as in ``bench.io``). The clients
are deliberately cheap -- a frame built once and sent as bytes, replies read by length -- so
the time goes to the server side: reading and parsing frames, building and sending them,
and the waits in the hub.
"""

from __future__ import annotations

import os
import struct
import time

from coopconc.bench import benchmark

_KEY = b"dGhlIHNhbXBsZSBub25jZQ=="
_HANDSHAKE = (
    b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: " + _KEY + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def _masked_text_frame(payload: bytes) -> bytes:
    """A client's text frame (clients must mask, RFC 6455 5.3); payload under 126 bytes."""
    key = os.urandom(4)
    body = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + key + body


def _server(lib, app):
    """A started WSGI server for ``app(ws)`` on lib, with its websocket layer."""
    if lib.name == "coopconc":
        from coopconc.pywsgi import WSGIServer
        from coopconc.websocket import WebSocketMiddleware

        def wsgi(environ, start_response):
            app(environ["wsgi.websocket"])
            return []

        server = WSGIServer(("127.0.0.1", 0), WebSocketMiddleware(wsgi), log=None)
    else:
        from gevent.pywsgi import WSGIServer
        from geventwebsocket.handler import WebSocketHandler

        def wsgi(environ, start_response):
            app(environ["wsgi.websocket"])
            return []

        server = WSGIServer(("127.0.0.1", 0), wsgi, handler_class=WebSocketHandler, log=None)
    server.start()
    return server


def _open_client(lib, port: int):
    sock = lib.sub("socket").create_connection(("127.0.0.1", port))
    sock.sendall(_HANDSHAKE)
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"handshake refused: {head[:80]!r}")
    return sock


def _read_n(sock, n: int) -> None:
    got = 0
    while got < n:
        data = sock.recv(max(65536, n - got))
        if not data:
            raise EOFError("the server closed the websocket")
        got += len(data)


ECHO_CLIENTS = 50
MESSAGE = b"hello, websocket! " * 3  # 54 bytes: a 2-byte frame header each way


@benchmark("websocket echo, 50 clients", unit="round trip", n=5_000)
def websocket_echo(lib, n):
    """50 websocket clients each send n/50 small text messages to an echo app and wait for
    each reply; one op = one round trip (a frame parsed and a frame sent by the server)."""
    per_client = max(1, n // ECHO_CLIENTS)

    def echo(ws):
        while True:
            message = ws.receive()
            if message is None:
                break
            ws.send(message)

    server = _server(lib, echo)
    frame = _masked_text_frame(MESSAGE)
    reply = 2 + len(MESSAGE)

    def client():
        sock = _open_client(lib, server.server_port)
        for _ in range(per_client):
            sock.sendall(frame)
            _read_n(sock, reply)
        sock.close()

    t0 = time.perf_counter()
    lib.mod.joinall([lib.mod.spawn(client) for _ in range(ECHO_CLIENTS)], raise_error=True)
    elapsed = time.perf_counter() - t0
    server.stop(timeout=1)
    return elapsed * n / (per_client * ECHO_CLIENTS)


FANOUT_USERS = 1000


@benchmark("websocket fan-out to 1000 users", unit="delivery", n=20_000)
def websocket_fanout(lib, n):
    """1000 websockets open; the server sends each of n/1000 chat lines to all of them (a
    loop of ``ws.send``, as a chat room does); one op = one message delivered to one user."""
    rounds = max(1, n // FANOUT_USERS)
    line = "alice: " + "x" * 40  # what the chat sends: a JSON string, about this long
    reply = 2 + len(line)
    sockets = []
    joined = lib.sub("event").Event()
    members = []

    def member(ws):
        members.append(ws)
        if len(members) == FANOUT_USERS:
            joined.set()
        ws.receive()  # until the client leaves

    server = _server(lib, member)
    for _ in range(FANOUT_USERS):
        sockets.append(_open_client(lib, server.server_port))
    joined.wait(60)

    def reader(sock):
        _read_n(sock, reply * rounds)

    t0 = time.perf_counter()
    readers = [lib.mod.spawn(reader, sock) for sock in sockets]
    for _ in range(rounds):
        for ws in members:
            ws.send(line)
        lib.mod.sleep(0)
    lib.mod.joinall(readers, raise_error=True)
    elapsed = time.perf_counter() - t0
    close = struct.pack("!BB", 0x88, 0x80) + b"\0\0\0\0"  # a masked, empty close frame
    for sock in sockets:
        sock.sendall(close)
        sock.close()
    server.stop(timeout=1)
    return elapsed * n / (rounds * FANOUT_USERS)
