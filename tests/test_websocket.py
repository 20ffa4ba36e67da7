"""coopconc.websocket against real clients over loopback (websocket-client and raw frames).

The server (coopconc.pywsgi + WebSocketMiddleware) runs in its own thread with its own hub;
the clients are ordinary blocking ones in the test's thread. Every bad-input case is followed
by a client that still gets served, and the server's fds are counted before and after.
"""

from __future__ import annotations

import base64
import gc
import os
import socket
import struct
import time

import pytest
import websocket  # websocket-client
from chat_support import ServedInThread, open_fds

import coopconc
from coopconc.websocket import WebSocket, WebSocketError, WebSocketHandler, WebSocketMiddleware

# -- the apps under test -----------------------------------------------------------------

ERRORS_AFTER_CLOSE: list[str] = []  # what /twice's send() after close() raised


def echo_app(environ, start_response):
    ws = environ.get("wsgi.websocket")
    path = environ["PATH_INFO"]
    if ws is None:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"plain http"]
    if path == "/echo":
        for message in ws:
            ws.send(message)
    elif path == "/bye":
        ws.send("closing")
        ws.close(4000, "bye now")
    elif path == "/crash":
        ws.send("about to crash")
        raise RuntimeError("the app crashed on purpose")
    elif path == "/burst":
        # Five greenlets send at once: frames must not interleave on the wire.
        def sender(k):
            for i in range(50):
                ws.send(f"{k}:{i}:" + "x" * 20000)

        coopconc.joinall([coopconc.spawn(sender, k) for k in range(5)])
        ws.receive()  # until the client closes
    elif path == "/twice":
        other = coopconc.spawn(ws.receive)
        coopconc.sleep(0.05)
        try:
            ws.receive()
        except WebSocketError as exc:
            ws.send(f"refused: {exc}")
        other.kill()
        ws.close()
        try:
            ws.send("after close")
        except WebSocketError as exc:
            ERRORS_AFTER_CLOSE.append(str(exc))
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no websocket here"]
    return []


@pytest.fixture(scope="module")
def served():
    app = WebSocketMiddleware(echo_app, max_message_size=100_000, idle_timeout=30)
    with ServedInThread(app) as served:
        yield served


def connect(served, path="/echo", **kw) -> websocket.WebSocket:
    return websocket.create_connection(served.ws_url + path, timeout=5, **kw)


def assert_echo_works(served) -> None:
    client = connect(served)
    client.send("still here?")
    assert client.recv() == "still here?"
    client.close()


# -- a raw client: handshake and frames by hand -------------------------------------------


def raw_handshake(
    served,
    extra: bytes = b"",
    key: bytes | None = b"dGhlIHNhbXBsZSBub25jZQ==",
    version: bytes = b"13",
    method: bytes = b"GET",
) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=5)
    head = method + b" /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    if key is not None:
        head += b"Sec-WebSocket-Key: " + key + b"\r\n"
    sock.sendall(head + b"Sec-WebSocket-Version: " + version + b"\r\n" + extra + b"\r\n")
    return sock


def read_head(sock) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(1)
        if not more:
            break
        data += more
    return data


def frame(opcode: int, payload: bytes, fin: bool = True, mask: bool = True, rsv: int = 0) -> bytes:
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    if n < 126:
        length = bytes([(0x80 if mask else 0) | n])
    elif n < 1 << 16:
        length = bytes([(0x80 if mask else 0) | 126]) + struct.pack("!H", n)
    else:
        length = bytes([(0x80 if mask else 0) | 127]) + struct.pack("!Q", n)
    if not mask:
        return bytes([first]) + length + payload
    key = os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes([first]) + length + key + masked


def read_exactly(sock, n: int) -> bytes:
    data = b""
    while len(data) < n:
        more = sock.recv(n - len(data))
        if not more:
            raise EOFError(f"connection closed after {len(data)} of {n} bytes")
        data += more
    return data


def read_frame(sock) -> tuple[int, bytes]:
    first, second = read_exactly(sock, 2)
    n = second & 0x7F
    if n == 126:
        n = struct.unpack("!H", read_exactly(sock, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", read_exactly(sock, 8))[0]
    return first & 0x0F, read_exactly(sock, n)


def read_close(sock) -> tuple[int, str]:
    """Skip data frames; return the close frame's (code, reason)."""
    while True:
        opcode, payload = read_frame(sock)
        if opcode == 0x8:
            return struct.unpack("!H", payload[:2])[0], payload[2:].decode()


def expect_close(client: websocket.WebSocket) -> tuple[int, bytes]:
    """The next frame must be a close frame: its (code, reason)."""
    opcode, payload = client.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE, (opcode, payload)
    return struct.unpack("!H", payload[:2])[0], payload[2:]


def upgraded(served) -> socket.socket:
    sock = raw_handshake(served)
    assert read_head(sock).startswith(b"HTTP/1.1 101 ")
    return sock


# -- the good path -----------------------------------------------------------------------


def test_text_and_binary_messages_echo(served):
    client = connect(served)
    client.send("héllo wörld")
    assert client.recv() == "héllo wörld"
    client.send_binary(bytes(range(256)))
    assert client.recv() == bytes(range(256))
    client.send("x" * 70_000)  # an 8-byte length field
    assert client.recv() == "x" * 70_000
    client.close()


def test_the_handshake_answer_is_rfc6455s():
    """Sec-WebSocket-Accept is SHA-1(key + GUID), base64: the RFC's own example."""
    with ServedInThread(WebSocketMiddleware(echo_app)) as served:
        sock = raw_handshake(served)
        head = read_head(sock)
        sock.close()
    assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in head


def test_fragmented_message_is_joined(served):
    sock = upgraded(served)
    sock.sendall(frame(0x1, b"one ", fin=False) + frame(0x0, b"two ", fin=False))
    sock.sendall(frame(0x9, b"ping in between"))  # a control frame may come mid-message
    sock.sendall(frame(0x0, "thrée".encode(), fin=True))
    assert read_frame(sock) == (0xA, b"ping in between")
    assert read_frame(sock) == (0x1, "one two thrée".encode())
    sock.close()


def test_ping_is_answered_with_pong(served):
    client = connect(served)
    client.ping("are you there")
    assert client.recv_data(control_frame=True) == (websocket.ABNF.OPCODE_PONG, b"are you there")
    client.close()


def test_client_close_is_answered_with_the_same_code(served):
    sock = upgraded(served)
    sock.sendall(frame(0x8, struct.pack("!H", 4321) + b"leaving"))
    assert read_close(sock) == (4321, "leaving")
    assert sock.recv(10) == b""  # and then the server hangs up
    sock.close()


def test_server_close_sends_code_and_reason(served):
    client = connect(served, "/bye")
    assert client.recv() == "closing"
    assert expect_close(client) == (4000, b"bye now")
    client.close()


def test_plain_http_still_reaches_the_app(served):
    import urllib.request

    with urllib.request.urlopen(served.url + "/", timeout=5) as response:
        assert response.read() == b"plain http"


def test_app_may_refuse_the_websocket_with_an_http_status(served):
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        connect(served, "/nowhere")
    assert info.value.status_code == 404
    assert_echo_works(served)


def test_many_senders_do_not_interleave_frames(served):
    client = connect(served, "/burst")
    seen = {k: [] for k in range(5)}
    for _ in range(250):
        k, i, body = client.recv().split(":")
        assert body == "x" * 20000
        seen[int(k)].append(int(i))
    assert all(order == list(range(50)) for order in seen.values())
    client.close()


def test_one_reader_at_a_time_and_no_send_after_close(served):
    client = connect(served, "/twice")
    text = client.recv()
    assert text.startswith("refused: ") and "already receiving" in text
    assert expect_close(client)[0] == 1000
    client.close()
    deadline = time.monotonic() + 5
    while not ERRORS_AFTER_CLOSE and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ERRORS_AFTER_CLOSE and "it is closed" in ERRORS_AFTER_CLOSE[0]


def test_an_app_that_raises_closes_with_1011(served):
    client = connect(served, "/crash")
    assert client.recv() == "about to crash"
    assert expect_close(client)[0] == 1011
    client.close()
    assert_echo_works(served)


# -- bad input: that connection only ------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"key": None},  # no Sec-WebSocket-Key
        {"key": b""},  # an empty one
        {"key": b"c2hvcnQ="},  # base64, but not of 16 bytes
        {"extra": b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "key": b"!!not base64!!"},
        {"version": b"8"},
        {"method": b"POST", "extra": b"Content-Length: 0\r\n"},
    ],
    ids=["no-key", "empty-key", "short-key", "two-keys", "version-8", "POST"],
)
def test_invalid_handshake_gets_400(served, changes):
    sock = raw_handshake(served, **changes)
    head = read_head(sock)
    sock.close()
    assert head.startswith(b"HTTP/1.1 400 "), head
    assert_echo_works(served)


@pytest.mark.parametrize(
    "bad, code",
    [
        (frame(0x1, b"not masked", mask=False), 1002),
        (frame(0x3, b"reserved opcode"), 1002),
        (frame(0x1, b"rsv bits", rsv=0b100), 1002),
        (frame(0x1, b"bad \xff\xfe utf-8"), 1007),
        (frame(0x0, b"continuation with nothing to continue"), 1002),
        (frame(0x9, b"p" * 126), 1002),  # a control frame over 125 bytes
        (frame(0x2, b"z" * 100_001), 1009),
        (frame(0x2, b"z" * 60_000, fin=False) + frame(0x0, b"z" * 60_000), 1009),
    ],
    ids=[
        "unmasked",
        "opcode",
        "rsv",
        "utf8",
        "continuation",
        "long-ping",
        "too-big",
        "too-big-fragments",
    ],
)
def test_protocol_violation_closes_that_connection_with_the_right_code(served, bad, code):
    good = connect(served)
    sock = upgraded(served)
    sock.sendall(bad)
    got, reason = read_close(sock)
    assert got == code, reason
    assert reason  # the close frame says why
    sock.close()
    good.send("the other client is fine")
    assert good.recv() == "the other client is fine"
    good.close()
    assert_echo_works(served)


def test_garbage_instead_of_frames_closes_that_connection(served):
    sock = upgraded(served)
    sock.sendall(b"GET / HTTP/1.1\r\n\r\n" * 3)  # not websocket frames at all
    code, _reason = read_close(sock)
    assert code == 1002
    sock.close()
    assert_echo_works(served)


def test_idle_timeout_closes_with_1001():
    app = WebSocketMiddleware(echo_app, idle_timeout=0.3)
    with ServedInThread(app) as served:
        sock = upgraded(served)
        start = time.monotonic()
        code, reason = read_close(sock)
        waited = time.monotonic() - start
        sock.close()
        assert code == 1001 and "idle" in reason
        assert 0.2 < waited < 5
        assert_echo_works(served)


def test_client_that_vanishes_ends_the_app_loop():
    """A client closing TCP without a close frame: receive() returns None (code 1006)."""
    seen = []

    def app(environ, start_response):
        ws = environ["wsgi.websocket"]
        seen.append(ws.receive())
        seen.append(ws.close_code)
        return []

    with ServedInThread(WebSocketMiddleware(app)) as served:
        sock = upgraded(served)
        sock.close()
        deadline = time.monotonic() + 5
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert seen == [None, 1006]


def test_fds_come_back_after_many_connections_good_and_bad():
    app = WebSocketMiddleware(echo_app, max_message_size=1000)
    with ServedInThread(app) as served:
        time.sleep(0.1)
        gc.collect()
        before = open_fds()
        for i in range(20):
            client = connect(served)
            client.send(str(i))
            assert client.recv() == str(i)
            client.close()
            sock = upgraded(served)
            sock.sendall(frame(0x2, b"z" * 2000))
            read_close(sock)
            sock.close()
            sock = upgraded(served)
            sock.close()  # vanishes
        deadline = time.monotonic() + 5
        while open_fds() > before and time.monotonic() < deadline:
            time.sleep(0.02)
        # (fewer is fine: an earlier test's garbage may close its own fds meanwhile)
        assert open_fds() <= before


# -- the object itself ---------------------------------------------------------------------


def test_without_pywsgi_the_error_says_what_to_do():
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/echo",
        "HTTP_HOST": "x",
        "HTTP_UPGRADE": "websocket",
        "HTTP_CONNECTION": "Upgrade",
        "HTTP_SEC_WEBSOCKET_KEY": base64.b64encode(b"0123456789abcdef").decode(),
        "HTTP_SEC_WEBSOCKET_VERSION": "13",
    }
    statuses = []
    app = WebSocketMiddleware(lambda env, sr: [env["wsgi.websocket"].receive()])
    with pytest.raises(WebSocketError, match="serve the app with coopconc.pywsgi.WSGIServer"):
        app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    assert (
        repr(environ["wsgi.websocket"]) == "<WebSocket /echo handshake pending received=0 sent=0>"
    )
    assert isinstance(environ["wsgi.websocket"], WebSocket)


def test_bad_options_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="max_message_size"):
        WebSocketMiddleware(echo_app, max_message_size=0)
    with pytest.raises(ValueError, match="idle_timeout"):
        WebSocketMiddleware(echo_app, idle_timeout=float("nan"))
    with pytest.raises(ValueError, match="idle_timeout"):
        WebSocketMiddleware(echo_app, idle_timeout=-1)


def test_gevent_websockets_handler_class_works_too():
    """``WSGIServer(..., handler_class=WebSocketHandler)``, as with gevent-websocket."""
    with ServedInThread(echo_app, handler_class=WebSocketHandler) as served:
        assert_echo_works(served)
        with pytest.raises(websocket.WebSocketBadStatusException) as info:
            connect(served, "/nowhere")
        assert info.value.status_code == 404
        import urllib.request

        with urllib.request.urlopen(served.url + "/", timeout=5) as response:
            assert response.read() == b"plain http"
