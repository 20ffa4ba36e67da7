"""Tests of coopconc/pywsgi.py: a real WSGIServer on 127.0.0.1, raw HTTP bytes in, replies checked.

Clients are coopconc greenlets with raw sockets; responses are read back with h11's client side
(a parser we did not write), so framing mistakes -- a wrong Content-Length, broken chunks --
show up as parse errors, not as silently accepted bytes.
"""

import io
import os

import h11
import pytest

import coopconc
from coopconc import socket as csocket
from coopconc.pywsgi import WSGIHandler, WSGIServer


def open_fds() -> set:
    return set(os.listdir("/proc/self/fd"))


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello World\n"]


def serve(app, **kwargs) -> WSGIServer:
    kwargs.setdefault("log", None)
    kwargs.setdefault("error_log", io.StringIO())
    server = WSGIServer(("127.0.0.1", 0), app, **kwargs)
    server.start()
    return server


def connect(server) -> csocket.socket:
    sock = csocket.create_connection(("127.0.0.1", server.server_port))
    sock.settimeout(10)
    return sock


def read_all(sock) -> bytes:
    """Everything until the server closes the connection."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def exchange(server, raw: bytes) -> bytes:
    """Send raw bytes, half-close, return everything the server sent until it closed."""
    with connect(server) as sock:
        sock.sendall(raw)
        try:
            sock.shutdown(csocket.SHUT_WR)
        except OSError:
            pass
        return read_all(sock)


class Response:
    def __init__(self, status, headers, chunks):
        self.status = status
        self.headers = headers
        self.chunks = chunks
        self.body = b"".join(chunks)

    def header(self, name: str):
        return self.headers.get(name.lower().encode())


def read_responses(sock, count: int, head: bool = False, leftover: bytes = b"") -> list:
    """Parse ``count`` responses from ``sock`` with h11's client side."""
    responses = []
    conn = h11.Connection(h11.CLIENT)
    if leftover:
        conn.receive_data(leftover)
    for _ in range(count):
        method = b"HEAD" if head else b"GET"
        conn.send(h11.Request(method=method, target="/", headers=[("Host", "x")]))
        conn.send(h11.EndOfMessage())
        status, headers, chunks = None, {}, []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(sock.recv(65536))
                continue
            if type(event) is h11.Response:
                status = event.status_code
                headers = dict(event.headers)
            elif type(event) is h11.Data:
                chunks.append(bytes(event.data))
            elif type(event) is h11.EndOfMessage:
                break
            else:
                raise AssertionError(f"unexpected {event!r}")
        responses.append(Response(status, headers, chunks))
        if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
            break
        conn.start_next_cycle()
    return responses


def get(server, target="/", extra=b"") -> Response:
    with connect(server) as sock:
        sock.sendall(b"GET " + target.encode() + b" HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n")
        return read_responses(sock, 1)[0]


# -- the basic server -------------------------------------------------------------------------


def test_hello_world():
    server = serve(hello)
    response = get(server)
    assert response.status == 200
    assert response.body == b"Hello World\n"
    assert response.header("content-length") == b"12"
    assert response.header("content-type") == b"text/plain"
    assert response.header("date")
    server.stop()


def test_repr_and_address():
    server = serve(hello)
    assert server.address == ("127.0.0.1", server.server_port)
    assert repr(server) == (
        f"<WSGIServer address=127.0.0.1:{server.server_port} started connections=0>"
    )
    server.stop()


def test_a_bare_port_binds_loopback_only():
    server = WSGIServer(0, hello, log=None)
    server.start()
    assert server.server_host == "127.0.0.1"
    server.stop()


def test_ssl_arguments_are_refused_clearly():
    with pytest.raises(TypeError, match="no SSL support"):
        WSGIServer(("127.0.0.1", 0), hello, keyfile="k.pem", certfile="c.pem")


# -- coopconc.take_connection: the socket handed to the application -----------------------------


def test_take_connection_hands_over_the_socket_and_the_bytes_already_received():
    seen = {}

    def app(environ, start_response):
        sock, buffered = environ["coopconc.take_connection"]()
        seen["buffered"] = buffered
        sock.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n"
        )
        data = buffered
        while b"END" not in data:
            data += sock.recv(100)
        sock.sendall(b"echo:" + data)
        sock.close()  # ours now: the server would leave it open
        start_response("500 Ignored", [])  # ignored: the connection is not HTTP any more
        return [b"ignored body"]

    server = serve(app)
    with connect(server) as sock:
        sock.sendall(
            b"GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nHELLO"
        )
        coopconc.sleep(0.05)
        sock.sendall(b" END")
        got = read_all(sock)
    assert got == (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n"
        b"echo:HELLO END"
    )
    assert seen["buffered"].startswith(b"HELLO")
    server.stop()


def test_a_taken_socket_outlives_the_request_and_is_not_closed_by_the_server():
    owners = []
    closed = []

    def owner(sock, buffered):
        try:
            while data := sock.recv(100):
                sock.sendall(data.upper())
        finally:
            closed.append(True)
            sock.close()

    class Iterable:
        def __iter__(self):
            return iter([b"never sent"])

        def close(self):
            closed.append("iterable")

    def app(environ, start_response):
        sock, buffered = environ["coopconc.take_connection"]()
        owners.append(coopconc.spawn(owner, sock, buffered))
        return Iterable()

    server = serve(app)
    coopconc.sleep(0.01)  # the acceptor is waiting: the hub's epoll exists
    fds = open_fds()
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n")
        coopconc.sleep(0.05)
        assert closed == ["iterable"]  # close() called; nothing was sent
        assert not server.handlers  # the handler greenlet is done
        sock.sendall(b"abc")
        assert sock.recv(100) == b"ABC"  # the new owner still has the connection
    coopconc.joinall(owners, timeout=5)
    assert closed == ["iterable", True]
    coopconc.sleep(0.01)
    assert open_fds() == fds, [os.readlink(f"/proc/self/fd/{fd}") for fd in open_fds() - fds]
    server.stop()


def test_take_connection_after_headers_were_sent_is_an_error():
    errors = []

    def app(environ, start_response):
        write = start_response("200 OK", [])
        write(b"x")
        try:
            environ["coopconc.take_connection"]()
        except RuntimeError as exc:
            errors.append(str(exc))
        return []

    server = serve(app)
    response = get(server)
    assert response.status == 200 and response.body == b"x"
    assert "after the response started" in errors[0]
    server.stop()


def test_handler_class_can_be_subclassed():
    class Shouting(WSGIHandler):
        def get_environ(self):
            environ = super().get_environ()
            environ["example.shout"] = True
            return environ

    def app(environ, start_response):
        start_response("200 OK", [])
        return [b"LOUD" if environ.get("example.shout") else b"quiet"]

    server = serve(app, handler_class=Shouting)
    assert get(server).body == b"LOUD"
    server.stop()
