"""Random and mutated request bytes thrown at coopconc.pywsgi (hypothesis).

Whatever arrives, the server must not crash, must not leak a greenlet or a file descriptor,
and must go on answering a well-formed client.
"""

import io
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import coopconc
from coopconc import socket as csocket
from coopconc.greenlet import Greenlet
from coopconc.pywsgi import WSGIServer

GOOD = (
    b"POST /path?q=1 HTTP/1.1\r\nHost: example\r\nContent-Length: 5\r\n"
    b"X-Header: value\r\n\r\nhello"
    b"GET /chunks HTTP/1.1\r\nHost: example\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"3\r\nabc\r\n0\r\n\r\n"
)


def app(environ, start_response):
    body = environ["wsgi.input"].read()
    if environ["PATH_INFO"] == "/stream":
        start_response("200 OK", [])
        return iter([b"a", body])
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok:" + body]


def mutate(data: bytes, edits) -> bytes:
    data = bytearray(data)
    for kind, position, value in edits:
        if not data:
            data.append(value)
            continue
        i = position % len(data)
        if kind == 0:
            data[i] = value
        elif kind == 1:
            del data[i]
        elif kind == 2:
            data.insert(i, value)
        else:
            data[i:i] = data[i : i + 16]  # repeat a stretch
    return bytes(data)


requests = st.one_of(
    st.binary(max_size=300),
    st.builds(
        mutate,
        st.just(GOOD),
        st.lists(
            st.tuples(st.integers(0, 3), st.integers(0, 10_000), st.integers(0, 255)),
            min_size=1,
            max_size=8,
        ),
    ),
)


class TrackingSpawn:
    """``spawn=`` for the server: a Greenlet per connection, every one remembered."""

    def __init__(self):
        self.greenlets = []

    def __call__(self, fn, *args):
        g = Greenlet.spawn(fn, *args)
        self.greenlets.append(g)
        return g

    def alive(self) -> list:
        return [g for g in self.greenlets if not g.dead]


def well_formed(port: int) -> bytes:
    with csocket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(5)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        chunks = []
        while chunk := sock.recv(4096):
            chunks.append(chunk)
    return b"".join(chunks)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=requests, split=st.integers(1, 64), close_early=st.booleans())
def test_random_bytes_never_crash_leak_or_block_the_server(raw, split, close_early, capfd):
    errors = io.StringIO()
    spawn = TrackingSpawn()
    server = WSGIServer(("127.0.0.1", 0), app, log=None, error_log=errors, spawn=spawn)
    server.idle_timeout = 0.1
    server.linger_timeout = 0.1
    server.start()
    try:
        coopconc.sleep(0)
        fds = set(os.listdir("/proc/self/fd"))
        with csocket.create_connection(("127.0.0.1", server.server_port)) as sock:
            sock.settimeout(5)
            try:
                for start in range(0, len(raw), split):
                    sock.sendall(raw[start : start + split])
                if close_early:
                    sock.shutdown(csocket.SHUT_WR)
                with coopconc.Timeout(2, False):  # a half request may wait for more: fine
                    while sock.recv(65536):
                        pass
            except OSError:
                pass  # the server may reset a connection it refused
        assert well_formed(server.server_port).startswith(b"HTTP/1.1 200 OK\r\n")
        with coopconc.Timeout(5):
            while server.handlers:
                coopconc.sleep(0.01)
        coopconc.sleep(0.01)
        assert set(os.listdir("/proc/self/fd")) == fds
        assert len(spawn.greenlets) == 2 and not spawn.alive()  # no handler left running
        assert "Traceback" not in errors.getvalue()
        out, err = capfd.readouterr()
        assert "Traceback" not in out + err  # no handler greenlet died of an error
    finally:
        server.stop()
