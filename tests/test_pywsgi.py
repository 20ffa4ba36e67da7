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


# -- the environ --------------------------------------------------------------------------------


def capture_environ(server_kwargs=None):
    seen = []

    def app(environ, start_response):
        seen.append(dict(environ))
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]

    return seen, serve(app, **(server_kwargs or {}))


def test_environ_has_every_pep3333_key_with_the_right_type():
    seen, server = capture_environ({"environ": {"example.extra": "yes"}})
    with connect(server) as sock:
        sock.sendall(
            b"POST /a%20b/c?x=1&y=%41 HTTP/1.1\r\nHost: example.org\r\n"
            b"Content-Type: text/plain\r\nContent-Length: 5\r\n"
            b"X-Many: one\r\nX-Many: two\r\nCookie: a=1\r\nCookie: b=2\r\n"
            b"X_Sneaky: dropped\r\n\r\nhello"
        )
        response = read_responses(sock, 1)[0]
        client_port = sock.getsockname()[1]
    assert response.body == b"hello"
    env = seen[0]
    for key in ["REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "SERVER_NAME"]:
        assert type(env[key]) is str, key
    assert env["REQUEST_METHOD"] == "POST"
    assert env["SCRIPT_NAME"] == ""
    assert env["PATH_INFO"] == "/a b/c"  # unquoted
    assert env["QUERY_STRING"] == "x=1&y=%41"  # left as sent
    assert env["SERVER_NAME"] == "127.0.0.1"
    assert env["SERVER_PORT"] == str(server.server_port)
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["REMOTE_PORT"] == str(client_port)
    assert env["CONTENT_TYPE"] == "text/plain"
    assert env["CONTENT_LENGTH"] == "5"
    assert "HTTP_CONTENT_LENGTH" not in env and "HTTP_CONTENT_TYPE" not in env
    assert env["HTTP_HOST"] == "example.org"
    assert env["HTTP_X_MANY"] == "one,two"  # repeated headers joined
    assert env["HTTP_COOKIE"] == "a=1; b=2"
    assert "HTTP_X_SNEAKY" not in env  # a name with "_" could pass for another header
    assert env["wsgi.version"] == (1, 0)
    assert env["wsgi.url_scheme"] == "http"
    assert env["wsgi.multithread"] is False and env["wsgi.multiprocess"] is False
    assert env["wsgi.run_once"] is False
    assert env["wsgi.input_terminated"] is True
    assert env["wsgi.errors"] is server.error_log
    assert env["example.extra"] == "yes"
    assert callable(env["coopconc.take_connection"])
    server.stop()


def test_get_without_body_has_no_content_length_key_and_reads_empty():
    seen, server = capture_environ()
    response = get(server, "/")
    assert response.status == 200 and response.body == b""
    assert "CONTENT_LENGTH" not in seen[0] and "CONTENT_TYPE" not in seen[0]
    server.stop()


# -- wsgi.input --------------------------------------------------------------------------------


def test_input_read_readline_readlines_and_iteration():
    results = []

    def app(environ, start_response):
        body = environ["wsgi.input"]
        results.append(body.read(3))
        results.append(body.readline())
        results.append(body.readline(2))
        results.append(body.readline(-1))
        results.append(body.readlines())
        results.append(body.read())
        results.append(body.read(10))
        start_response("200 OK", [])
        return []

    server = serve(app)
    payload = b"abcdef\nxyz\nline3\nline4\n"
    with connect(server) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(payload), payload)
        )
        assert read_responses(sock, 1)[0].status == 200
    assert results == [b"abc", b"def\n", b"xy", b"z\n", [b"line3\n", b"line4\n"], b"", b""]
    server.stop()


def test_input_iteration_over_a_chunked_body():
    lines = []

    def app(environ, start_response):
        lines.extend(environ["wsgi.input"])
        start_response("200 OK", [])
        return []

    server = serve(app)
    with connect(server) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"4\r\none\n\r\n6\r\ntwo\nth\r\n4\r\nree\n\r\n0\r\n\r\n"
        )
        assert read_responses(sock, 1)[0].status == 200
    assert lines == [b"one\n", b"two\n", b"three\n"]
    server.stop()


def test_the_body_is_read_lazily_while_the_app_asks_for_it():
    events = []
    got_head = coopconc.event.Event()

    def app(environ, start_response):
        events.append("app called")
        got_head.set()
        events.append(environ["wsgi.input"].read(5))
        start_response("200 OK", [])
        return []

    server = serve(app)
    with connect(server) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n")
        assert got_head.wait(5)  # the app runs before the body was sent
        events.append("client sends the body")
        sock.sendall(b"12345")
        assert read_responses(sock, 1)[0].status == 200
    assert events == ["app called", "client sends the body", b"12345"]
    server.stop()


def test_expect_100_continue_only_when_the_app_reads_the_body():
    def reader(environ, start_response):
        start_response("200 OK", [])
        return [environ["wsgi.input"].read()]

    def ignorer(environ, start_response):
        start_response("200 OK", [])
        return [b"did not read"]

    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
    server = serve(reader)
    with connect(server) as sock:
        sock.sendall(head)
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"body")
        assert read_responses(sock, 1)[0].body == b"body"
    server.stop()

    server = serve(ignorer)
    with connect(server) as sock:
        sock.sendall(head)
        got = read_all(sock)  # the server answers without 100 and closes (no body will come)
    assert got.startswith(b"HTTP/1.1 200 OK\r\n") and b"100 Continue" not in got
    assert got.endswith(b"did not read")
    server.stop()


# -- start_response, write, close ----------------------------------------------------------------


def test_start_response_with_exc_info_replaces_headers_before_the_first_byte():
    def app(environ, start_response):
        start_response("200 OK", [("X-First", "1")])
        try:
            raise ValueError("late problem")
        except ValueError:
            import sys

            start_response("503 Service Unavailable", [("X-Second", "2")], sys.exc_info())
        return [b"sorry"]

    server = serve(app)
    response = get(server)
    assert response.status == 503 and response.body == b"sorry"
    assert response.header("x-second") == b"2" and response.header("x-first") is None
    server.stop()


def test_start_response_with_exc_info_after_the_first_byte_reraises():
    reraised = []

    def app(environ, start_response):
        import sys

        write = start_response("200 OK", [])
        write(b"partial")
        try:
            raise ValueError("too late")
        except ValueError:
            try:
                start_response("500 Oops", [], sys.exc_info())
            except ValueError as exc:
                reraised.append(str(exc))
                raise

    server = serve(app)
    got = exchange(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert reraised == ["too late"]
    assert got.startswith(b"HTTP/1.1 200 OK\r\n")  # the 200 already left; the connection is cut
    assert b"500" not in got.split(b"\r\n\r\n", 1)[1]
    assert "too late" in server.error_log.getvalue()
    server.stop()


def test_start_response_twice_without_exc_info_is_an_error():
    def app(environ, start_response):
        start_response("200 OK", [])
        start_response("200 OK", [])
        return [b"x"]

    server = serve(app)
    assert get(server).status == 500
    assert "already called" in server.error_log.getvalue()
    server.stop()


@pytest.mark.parametrize(
    "status, headers, message",
    [
        ("200", [], "three digits, a space"),
        (b"200 OK", [], "three digits, a space"),
        ("200 OK", [("X-Bad", "a\r\nInjected: yes")], "CR, LF"),
        ("200 OK", [["X-List", "not a tuple"]], "tuple of str"),
        ("101 Switching Protocols", [], "take_connection"),
    ],
)
def test_bad_status_or_headers_get_a_500_and_a_clear_error(status, headers, message):
    def app(environ, start_response):
        start_response(status, headers)
        return [b"x"]

    server = serve(app)
    response = get(server)
    assert response.status == 500
    assert b"Injected" not in response.body
    assert message in server.error_log.getvalue()
    server.stop()


def test_write_callable_and_a_str_body_is_refused_clearly():
    def app(environ, start_response):
        write = start_response("200 OK", [])
        write(b"written ")
        if environ["PATH_INFO"] == "/str":
            return ["text"]
        return [b"returned"]

    server = serve(app)
    response = get(server)
    assert response.body == b"written returned"
    assert response.header("transfer-encoding") == b"chunked"
    got = exchange(server, b"GET /str HTTP/1.1\r\nHost: x\r\n\r\n")
    assert got.startswith(b"HTTP/1.1 200 OK")  # the write() went out; then the str failed
    assert "a WSGI body is bytes" in server.error_log.getvalue()
    server.stop()


def test_close_of_the_iterable_is_always_called():
    closed = []

    class Body:
        def __init__(self, name, fail=False):
            self.name, self.fail = name, fail

        def __iter__(self):
            yield b"a"
            if self.fail:
                raise RuntimeError("mid-body failure")
            yield b"b"

        def close(self):
            closed.append(self.name)

    def app(environ, start_response):
        start_response("200 OK", [])
        return Body(environ["PATH_INFO"], fail=environ["PATH_INFO"] == "/fail")

    server = serve(app)
    assert get(server, "/ok").body == b"ab"
    exchange(server, b"GET /fail HTTP/1.1\r\nHost: x\r\n\r\n")
    exchange(server, b"HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n")
    coopconc.sleep(0.05)
    assert closed == ["/ok", "/fail", "/head"]
    server.stop()


# -- connections ------------------------------------------------------------------------------


def test_keep_alive_and_pipelined_requests_are_answered_in_order():
    def app(environ, start_response):
        start_response("200 OK", [])
        return [environ["PATH_INFO"].encode()]

    server = serve(app)
    with connect(server) as sock:
        sock.sendall(b"".join(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(5)))
        responses = read_responses(sock, 5)
        assert [r.body for r in responses] == [b"/0", b"/1", b"/2", b"/3", b"/4"]
        sock.sendall(b"GET /again HTTP/1.1\r\nHost: x\r\n\r\n")  # still open afterwards
        assert read_responses(sock, 1)[0].body == b"/again"
    server.stop()


def test_an_unread_small_body_is_skipped_and_the_connection_kept():
    def app(environ, start_response):
        start_response("200 OK", [])
        return [environ["PATH_INFO"].encode()]

    server = serve(app)
    with connect(server) as sock:
        sock.sendall(
            b"POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
            b"GET /two HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        assert [r.body for r in read_responses(sock, 2)] == [b"/one", b"/two"]
    server.stop()


def test_connection_close_and_http_1_0_end_the_connection():
    server = serve(hello)
    got = exchange(server, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert b"\r\nConnection: close\r\n" in got and got.endswith(b"Hello World\n")
    with connect(server) as sock:  # no shutdown from the client: the server closes
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        got = read_all(sock)
    assert got.startswith(b"HTTP/1.1 200 OK\r\n") and got.endswith(b"Hello World\n")
    server.stop()


def test_http_1_0_stream_is_delimited_by_close():
    def app(environ, start_response):
        start_response("200 OK", [])
        return iter([b"a", b"b"])

    server = serve(app)
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        got = read_all(sock)
    head, body = got.split(b"\r\n\r\n", 1)
    assert b"chunked" not in head.lower() and body == b"ab"
    server.stop()


def test_head_gets_headers_and_no_body():
    server = serve(hello)
    with connect(server) as sock:
        sock.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        (head,) = read_responses(sock, 1, head=True)
        assert head.status == 200 and head.body == b""
        assert head.header("content-length") == b"12"
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # no stray body bytes before it
        assert read_responses(sock, 1)[0].body == b"Hello World\n"
    server.stop()


def test_streamed_chunks_are_sent_when_yielded():
    client_saw_first = coopconc.event.Event()
    timeline = []

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])

        def body():
            timeline.append("yield one")
            yield b"one"
            assert client_saw_first.wait(5), "the first chunk did not reach the client"
            timeline.append("yield two")
            yield b"two"

        return body()

    server = serve(app)
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        first = sock.recv(65536)  # headers and the first chunk, nothing else yet
        timeline.append("client got one")
        client_saw_first.set()
        rest = read_responses(sock, 1, leftover=first)[0]
    assert first.endswith(b"\r\n\r\n3\r\none\r\n")
    assert rest.chunks == [b"one", b"two"]
    assert timeline == ["yield one", "client got one", "yield two"]
    server.stop()


def test_status_line_headers_and_small_body_leave_in_one_send():
    sends = []

    class Counting:
        """The client socket, with every send and sendall call recorded."""

        def __init__(self, sock):
            self._sock = sock

        def __getattr__(self, name):
            return getattr(self._sock, name)

        def sendall(self, data):
            sends.append(bytes(data))
            return self._sock.sendall(data)

        def send(self, data):
            sends.append(bytes(data))
            return self._sock.send(data)

    class CountingHandler(WSGIHandler):
        def __init__(self, sock, address, server):
            super().__init__(Counting(sock), address, server)

    server = serve(hello, handler_class=CountingHandler)
    with connect(server) as sock:
        for _ in range(3):
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_responses(sock, 1)[0].body == b"Hello World\n"
    assert len(sends) == 3
    assert all(s.startswith(b"HTTP/1.1 200 OK\r\n") and s.endswith(b"Hello World\n") for s in sends)
    server.stop()


def test_accepted_sockets_have_nagle_switched_off():
    options = []

    def app(environ, start_response):
        sock, _ = environ["coopconc.take_connection"]()
        options.append(sock.getsockopt(csocket.IPPROTO_TCP, csocket.TCP_NODELAY))
        sock.close()
        return []

    server = serve(app)
    exchange(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert options and options[0] != 0
    server.stop()


# -- bad input and faults ------------------------------------------------------------------------

BAD_REQUESTS = {
    "malformed request line": (b"GARBAGE\r\n\r\n", 400),
    "malformed header": (b"GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", 400),
    "space before colon": (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    "missing Host in 1.1": (b"GET / HTTP/1.1\r\n\r\n", 400),
    "invalid Content-Length": (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n", 400),
    "two Content-Lengths": (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        400,
    ),
    "bad chunk size": (
        b"POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        400,
    ),
    "chunk without its CRLF": (
        b"POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhelloXX0\r\n\r\n",
        400,
    ),
    "body over max_body_size": (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999\r\n\r\n",
        413,
    ),
    "chunked body over max_body_size": (
        b"POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"400\r\n"
        + b"x" * 1024
        + b"\r\n" * 2,
        413,
    ),
    "request line too long": (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    "header section too large": (
        b"GET / HTTP/1.1\r\nHost: x\r\n"
        + b"X-Filler: "
        + b"y" * 100
        + b"\r\n" * 0
        + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 50) for i in range(400))
        + b"\r\n",
        431,
    ),
}


def body_reader(environ, start_response):
    if environ["PATH_INFO"] == "/read":
        environ["wsgi.input"].read()
    start_response("200 OK", [])
    return [b"fine"]


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_bad_request_gets_its_status_and_the_next_client_is_served(case):
    raw, status = BAD_REQUESTS[case]
    server = serve(body_reader)
    server.max_body_size = 1000
    got = exchange(server, raw)
    assert got.startswith(b"HTTP/1.1 %d " % status), got[:80]
    assert b"\r\nConnection: close\r\n" in got
    assert get(server).body == b"fine"
    assert f"refused with {status}" in server.error_log.getvalue()
    server.stop()


@pytest.mark.parametrize("case", ["request line too long", "header section too large"])
def test_oversized_heads_are_refused_when_they_arrive_in_pieces_too(case):
    raw, status = BAD_REQUESTS[case]
    server = serve(body_reader)
    with connect(server) as sock:
        try:
            for start in range(0, len(raw), 1000):
                sock.sendall(raw[start : start + 1000])
                coopconc.sleep(0.001)
        except ConnectionError:
            pass  # the server answered and closed before we finished: fine
        got = read_all(sock)
    assert got.startswith(b"HTTP/1.1 %d " % status), got[:80]
    server.stop()


def test_a_bad_client_does_not_pause_a_kept_alive_one():
    server = serve(hello)
    with connect(server) as good:
        for raw, _ in BAD_REQUESTS.values():
            exchange(server, raw)
            good.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_responses(good, 1)[0].body == b"Hello World\n"
    server.stop()


def test_application_error_gets_500_without_traceback_and_server_goes_on():
    def app(environ, start_response):
        if environ["PATH_INFO"] == "/boom":
            raise ZeroDivisionError("secret detail")
        return hello(environ, start_response)

    server = serve(app)
    got = exchange(server, b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
    assert got.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert b"secret" not in got and b"Traceback" not in got
    log = server.error_log.getvalue()
    assert "Traceback" in log and "ZeroDivisionError: secret detail" in log
    assert "GET /boom HTTP/1.1" in log
    assert get(server).body == b"Hello World\n"
    server.stop()


def test_idle_keep_alive_connection_is_closed_after_idle_timeout():
    server = serve(hello)
    server.idle_timeout = 0.2
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_responses(sock, 1)[0].status == 200
        with coopconc.Timeout(5):
            assert sock.recv(100) == b""  # closed by the server, well before 5 s
    assert not server.handlers
    server.stop()


def test_a_stalled_half_request_ties_up_only_its_own_greenlet():
    server = serve(hello)
    stalled = [connect(server) for _ in range(20)]
    for sock in stalled:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Half")  # and then nothing
    coopconc.sleep(0.05)
    assert len(server.handlers) == 20
    for _ in range(5):
        assert get(server).body == b"Hello World\n"
    for sock in stalled:
        sock.close()
    server.stop()


def test_client_leaving_mid_response_prints_no_traceback(capfd):
    closed = []
    sent_some = coopconc.event.Event()

    def app(environ, start_response):
        start_response("200 OK", [])

        def body():
            try:
                for _ in range(10_000):
                    yield b"x" * 65536
                    sent_some.set()
            finally:
                closed.append(True)

        return body()

    server = serve(app)
    for _ in range(5):
        sock = connect(server)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.recv(1000)
        assert sent_some.wait(5)
        sock.setsockopt(csocket.SOL_SOCKET, csocket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
        sock.close()  # reset: the server's next send fails
        sent_some.clear()
    with coopconc.Timeout(5):
        while len(closed) < 5:
            coopconc.sleep(0.01)
    assert get(server).status == 200
    server.stop()
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    assert "Traceback" not in server.error_log.getvalue()


def test_connections_leave_no_open_fds():
    server = serve(body_reader)
    coopconc.sleep(0.01)
    fds = open_fds()
    for _ in range(3):
        get(server)
        for raw, _ in BAD_REQUESTS.values():
            exchange(server, raw)
    coopconc.sleep(0.05)
    assert not server.handlers
    assert open_fds() == fds
    server.stop()


# -- logs -------------------------------------------------------------------------------------


def test_access_log_line_has_gevents_format():
    log = io.StringIO()
    server = serve(hello, log=log)
    raw = exchange(server, b"GET /path?q=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    line = log.getvalue()
    import re

    match = re.fullmatch(
        r'127\.0\.0\.1 - - \[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] "GET /path\?q=1 HTTP/1\.1" 200 (\d+) '
        r"\d+\.\d{6}\n",
        line,
    )
    assert match, line
    assert int(match.group(1)) == len(raw)  # like gevent: every byte of the response
    server.stop()


def test_logs_may_be_loggers():
    import logging

    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append((record.levelno, record.getMessage()))

    logger = logging.getLogger("coopconc-test-pywsgi")
    logger.addHandler(Keep())
    logger.setLevel(logging.DEBUG)
    logger.propagate = False

    def app(environ, start_response):
        raise ValueError("logged")

    server = serve(app, log=logger, error_log=logger)
    get(server)
    levels = {level for level, _ in records}
    assert logging.INFO in levels and logging.ERROR in levels
    assert any("ValueError: logged" in message for _, message in records)
    server.stop()


# -- stopping ------------------------------------------------------------------------------------


def test_stop_lets_a_busy_request_finish_and_closes_idle_connections_at_once():
    started = coopconc.event.Event()

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/slow":
            started.set()
            coopconc.sleep(0.2)
        return hello(environ, start_response)

    server = serve(app)
    idle = connect(server)
    idle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    read_responses(idle, 1)
    busy = connect(server)
    busy.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    assert started.wait(5)
    server.stop(timeout=5)
    assert read_all(idle) == b""
    got = read_all(busy)
    assert got.endswith(b"Hello World\n") and b"Connection: close" in got
    assert not server.handlers
    idle.close()
    busy.close()


def test_spawn_pool_limits_connections():
    from coopconc.pool import Pool

    pool = Pool(2)
    server = serve(hello, spawn=pool)
    held = [connect(server) for _ in range(2)]
    for sock in held:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        read_responses(sock, 1)
    assert len(pool) == 2
    third = connect(server)
    third.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    coopconc.sleep(0.05)
    assert len(pool) == 2  # the third waits in the listen queue
    held[0].close()
    assert read_responses(third, 1)[0].status == 200
    for sock in held[1:] + [third]:
        sock.close()
    server.stop()


# -- the benchmark rows (their speed is measured by `make bench`, not here) ----------------------


def test_the_wsgi_bench_rows_are_registered():
    from coopconc.bench import load_all

    names = set(load_all())
    for row in [
        "WSGI hello, 50 clients",
        "WSGI hello, 50 QUICKACK clients",
        "WSGI 64 KiB chunked, 50 clients",
        "WSGI 64 KiB chunked, 50 QUICKACK",
    ]:
        assert row in names


def test_the_bench_client_finds_where_a_response_ends():
    from coopconc.bench.wsgi import _complete

    fixed = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    assert _complete(fixed) == len(fixed)
    assert _complete(fixed[:-1]) == 0
    assert _complete(fixed + b"HTTP/1.1") == len(fixed)
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    assert _complete(chunked) == len(chunked)
    assert _complete(chunked[:-2]) == 0


def test_client_leaving_mid_body_ends_its_handler_quietly(capfd):
    reads = []

    def app(environ, start_response):
        reads.append("reading")
        environ["wsgi.input"].read()
        reads.append("never here")
        start_response("200 OK", [])
        return []

    server = serve(app)
    with connect(server) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten.")
        coopconc.sleep(0.05)
    with coopconc.Timeout(5):
        while server.handlers:
            coopconc.sleep(0.01)
    assert reads == ["reading"]
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err + server.error_log.getvalue()
    assert get(server).status == 200
    server.stop()


def test_an_upgrade_request_not_taken_is_answered_as_http_and_the_connection_goes_on():
    server = serve(hello)
    with connect(server) as sock:
        sock.sendall(
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
            b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        responses = read_responses(sock, 2)
    assert [r.status for r in responses] == [200, 200]
    assert [r.body for r in responses] == [b"Hello World\n"] * 2
    server.stop()
