"""WSGIServer: HTTP/1.1 on top of StreamServer, one greenlet per connection.

What it is
    ``WSGIServer(("127.0.0.1", 8000), app).serve_forever()`` runs a WSGI application (PEP 3333)
    -- ``app(environ, start_response)`` returning an iterable of bytes -- the way
    ``gevent.pywsgi.WSGIServer`` does. Each connection gets its own greenlet (it *is* a
    ``StreamServer``); that greenlet reads a request, calls the application, writes the
    response, and goes round again while the client keeps the connection alive. An
    application that waits (on a socket, a queue, ``sleep``) parks only its own greenlet, so
    one server answers thousands of slow clients at once.

How it is built
    The story so far: ``baseserver`` accepts connections and gives each a greenlet;
    ``server.StreamServer`` adds TCP. This module adds HTTP, in one class per job:

    * Reading is done by **h11**, a small and careful HTTP/1.1 parser that does no I/O: we
      feed it the bytes ``recv`` returned and it hands back events -- ``Request`` (method,
      target, headers), ``Data`` (a piece of the body, Content-Length or chunked framing
      already undone), ``EndOfMessage``. It also refuses what is malformed (a bad request
      line, a bad Content-Length, broken chunk framing, a header section over our limit).
      One ``h11.Connection`` reads one request; the bytes it got past that request (a
      pipelined next request) start the next one. (h11 can write responses too, but
      through it a hello-world response costs about twice the time of the few lines below.)
    * ``Input`` is ``wsgi.input``: it asks h11 for the next ``Data`` only when the
      application reads, so a body is never read unless wanted -- and the
      ``100 Continue`` a client may be waiting for is sent at that moment, not before.
    * Writing is ours (it is the easy half of HTTP): the status line and headers, then the
      body with a ``Content-Length`` when we know it, chunked when we do not. The status
      line, the headers and the first piece of the body leave in **one** ``send``, and the
      socket has ``TCP_NODELAY``: small responses on a kept-alive connection never wait for
      Nagle's algorithm to meet the client's delayed ACK (~40 ms each). A generator's pieces
      are sent as they are yielded.
    * ``WSGIHandler`` runs one connection: the request loop, the ``environ``, the
      application call, ``start_response``/``write``, errors, the access log line.

    What goes wrong is contained in its own connection: a malformed request gets 400, 413,
    414 or 431 and that connection is closed; an application that raises gets 500 (the
    traceback goes to ``error_log``, never to the client); a client that vanishes
    mid-response ends its handler quietly; an idle kept-alive connection is closed after
    ``idle_timeout`` seconds; a client that sends half a request and stalls ties up only
    its own greenlet (and only for ``idle_timeout`` per silent read). ``stop(timeout)``
    closes idle kept-alive connections at once and lets requests in progress finish
    (their responses say ``Connection: close``) for up to ``timeout`` seconds.

    Besides the hub (through sockets), the module reads the wall clock: the ``Date`` header
    and the access log's date and duration need it.

How it maps to gevent.pywsgi
    Same names and arguments: ``WSGIServer(listener, application, backlog, spawn, log,
    error_log, handler_class, environ)``, ``WSGIHandler(sock, address, server)`` with
    ``handle()``, ``get_environ()`` and ``run_application()`` to override, the access log
    line in gevent's format, ``log``/``error_log`` taking a file, a logger or None.
    Differences: gevent parses HTTP itself and keeps one big handler class with a buffered
    ``rfile``; coopconc parses with h11 and splits reading (``Input``) from the connection
    loop. gevent sends headers and body in two ``send`` calls; we send one. gevent has no
    idle timeout and no body limit; ours are ``idle_timeout`` (60 s) and ``max_body_size``
    (1 GiB). ``SERVER_NAME`` is the bound address (gevent asks DNS for a name). No SSL.

    coopconc-only: ``environ["coopconc.take_connection"]()`` hands the client's socket to
    the application, for protocols that leave HTTP behind (websockets). It returns
    ``(sock, buffered)``: the coopconc socket (timeout reset to None) and the bytes already
    received past the request head that nobody has read (call it before reading
    ``wsgi.input``). From then on the server sends nothing, reads nothing and does not
    close the socket -- closing it is the caller's job; whatever the application passes to
    ``start_response`` or returns is ignored (the iterable's ``close()`` is still called),
    the connection is not reused for HTTP, and the handler's greenlet ends when the
    application returns. A request with ``Connection: Upgrade`` (where h11 pauses, waiting
    to see whether the protocol switches) works the same way; if the application does not
    take the socket, the server answers it as any other request. Subclassing
    ``WSGIHandler`` (gevent-websocket's way) works too: ``run_application`` sees
    ``self.environ``, ``self.socket`` and ``self.start_response``.

Taught in notebook 16 (servers).
"""

from __future__ import annotations

import re
import sys
import time
import traceback
from datetime import datetime
from email.utils import formatdate
from urllib.parse import unquote_to_bytes

import h11

from coopconc.event import Event
from coopconc.hub import sleep
from coopconc.server import StreamServer
from coopconc.socket import IPPROTO_TCP, SHUT_RDWR, SHUT_WR, TCP_NODELAY

__all__ = ["WSGIServer", "WSGIHandler", "Input", "LoggingLogAdapter"]

_REASONS = {
    100: "Continue",
    200: "OK",
    400: "Bad Request",
    408: "Request Timeout",
    413: "Content Too Large",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
}
_STATUS = re.compile(r"[1-5][0-9][0-9] [^\r\n]*\Z")
_BAD_HEADER_CHARS = re.compile(r"[\r\n\0]")
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class _ClientGone(Exception):
    """The client's socket failed (reset, closed, silent past idle_timeout): stop quietly."""


class _BadRequest(Exception):
    """A request we refuse before (or instead of) calling the application."""

    def __init__(self, status: int, why: str):
        super().__init__(why)
        self.status = status


class _NoopLog:
    """``log=None``: a file that writes nothing."""

    def write(self, *args) -> None:
        pass

    def writelines(self, *args) -> None:
        pass

    def flush(self) -> None:
        pass


class LoggingLogAdapter:
    """Make a ``logging.Logger`` usable as ``log``/``error_log`` (each line one record)."""

    def __init__(self, logger, level: int = 20):
        self._logger = logger
        self._level = level

    def write(self, msg: str) -> None:
        msg = msg.rstrip("\n")
        if msg:
            self._logger.log(self._level, msg)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass


def _make_log(log, level: int):
    if log == "default":
        return sys.stderr
    if log is None:
        return _NoopLog()
    if not hasattr(log, "write") and hasattr(log, "log"):
        return LoggingLogAdapter(log, level)
    return log


_date_cache = [0, ""]


def _http_date() -> str:
    """The Date header's value, formatted once per second."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0], _date_cache[1] = now, formatdate(now, usegmt=True)
    return _date_cache[1]


class Input:
    """``wsgi.input``: the request body, read from the client only when the application asks.

    ``read(n)``, ``read()``, ``readline(limit)``, ``readlines(hint)`` and iteration by lines.
    The body ends where the request's framing says (Content-Length or the last chunk); after
    that every read returns ``b""``.
    """

    def __init__(self, handler: WSGIHandler):
        self._handler = handler
        self._buffer = b""
        self.done = False  # EndOfMessage seen: the whole body has been read
        self.received = 0  # body bytes received so far

    def __repr__(self) -> str:
        state = "all read" if self.done else "more to come"
        return f"<Input received={self.received} buffered={len(self._buffer)} {state}>"

    def _more(self) -> bytes:
        """The next piece of the body from the client, or b"" at its end."""
        if self.done:
            return b""
        data = self._handler.read_body_piece()
        if data:
            self.received += len(data)
        else:
            self.done = True
        return data

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            pieces = [self._buffer]
            self._buffer = b""
            while True:
                data = self._more()
                if not data:
                    return b"".join(pieces)
                pieces.append(data)
        buffer = self._buffer
        while len(buffer) < size:
            data = self._more()
            if not data:
                break
            buffer += data
        self._buffer = buffer[size:]
        return buffer[:size]

    def readline(self, limit: int | None = -1) -> bytes:
        buffer = self._buffer
        start = 0
        while True:
            end = buffer.find(b"\n", start)
            if end >= 0:
                end += 1
                break
            if limit is not None and 0 <= limit <= len(buffer):
                end = len(buffer)
                break
            start = len(buffer)
            data = self._more()
            if not data:
                end = len(buffer)
                break
            buffer += data
        if limit is not None and 0 <= limit < end:
            end = limit
        self._buffer = buffer[end:]
        return buffer[:end]

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        lines, total = [], 0
        for line in self:
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                break
        return lines

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


class WSGIHandler:
    """One client connection: read a request, run the application, write the response, repeat.

    Subclass it (``WSGIServer(..., handler_class=MyHandler)``) and override
    ``get_environ()`` or ``run_application()`` to add to what a request does.
    """

    def __init__(self, sock, address, server: WSGIServer):
        self.socket = sock
        self.client_address = address
        self.server = server
        self.application = server.application
        self.idle = False  # waiting for the first byte of a request
        self._leftover = b""  # bytes received past the last request: the next one's start
        self.taken = False  # the application took the socket (take_connection)
        self.response_length = 0  # bytes of the current response sent so far

    def __repr__(self) -> str:
        state = "taken" if self.taken else ("idle" if self.idle else "busy")
        return f"<{type(self).__name__} {self.client_address!r} {state}>"

    # -- the connection loop ------------------------------------------------------------------

    def handle(self) -> None:
        """Serve requests on this connection until either side closes it."""
        server = self.server
        server.handlers.add(self)
        sock = self.socket
        try:
            sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)
            sock.settimeout(server.idle_timeout)
            while self.handle_one_request():
                pass
        except (_ClientGone, OSError):
            pass  # the client went away, or was silent too long: nothing to answer
        finally:
            server.handler_done(self)

    def handle_one_request(self) -> bool:
        """Read and answer one request. True if the connection stays open for another."""
        self.parser = h11.Connection(
            h11.SERVER, max_incomplete_event_size=self.server.max_header_size
        )
        if self._leftover:
            self.parser.receive_data(self._leftover)
        try:
            request = self._next_event(idle=not self._leftover)
            if type(request) is not h11.Request:
                return False  # closed between requests
            self._start_request(request)
        except h11.RemoteProtocolError as exc:
            self._refuse(self._status_for(exc), str(exc))
            return False
        except _BadRequest as exc:
            self._refuse(exc.status, str(exc))
            return False
        self.time_start = time.perf_counter()
        try:
            self.environ = self.get_environ()
            self.run_application()
        finally:
            if not self.taken:
                self.time_finish = time.perf_counter()
                self.log_request()
        if self.taken:
            return False
        return self._finish_request()

    def _next_event(self, idle: bool = False):
        """The parser's next event, receiving from the socket as long as it needs more."""
        parser = self.parser
        while True:
            event = parser.next_event()
            if event is not h11.NEED_DATA:
                return event
            self.idle = idle
            try:
                data = self.socket.recv(65536)
            except OSError as exc:
                raise _ClientGone(exc) from exc
            finally:
                self.idle = False
            idle = False
            parser.receive_data(data)

    def _status_for(self, exc: h11.RemoteProtocolError) -> int:
        status = exc.error_status_hint
        if status == 431:
            head = self.parser.trailing_data[0]
            end = head.find(b"\n")
            if end < 0 or end > self.server.max_request_line:
                return 414  # the request line alone did not fit
        return status

    def _start_request(self, request: h11.Request) -> None:
        server = self.server
        self.request = request
        target = request.target
        if len(target) > server.max_request_line:
            raise _BadRequest(414, f"the request target is {len(target)} bytes long")
        self.requestline = (
            f"{request.method.decode('latin-1')} {target.decode('latin-1')} "
            f"HTTP/{request.http_version.decode('latin-1')}"
        )
        length = None
        close = request.http_version != b"1.1"
        size = len(target)
        for name, value in request.headers:
            size += len(name) + len(value) + 4
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if size > server.max_header_size:  # h11 checks only heads that arrive in pieces
            raise _BadRequest(431, f"the request head is over {server.max_header_size} bytes")
        if (
            length is not None
            and server.max_body_size is not None
            and length > server.max_body_size
        ):
            raise _BadRequest(413, f"Content-Length {length} is over max_body_size")
        self.close_connection = close
        self.input = Input(self)
        self.status = None
        self.response_headers = None
        self.headers_sent = False
        self.response_length = 0
        self.code = None
        self.result = None

    def _finish_request(self) -> bool:
        """After the response: read what is left of the body, keep the bytes that follow."""
        if self.close_connection or self.server.closed:
            return False
        body = self.input
        if not body.done:
            if self.parser.they_are_waiting_for_100_continue:
                return False  # the client has not sent the body and will not: start afresh
            try:
                while body.read(65536):
                    if body.received > self.server.max_drain:
                        return False  # too much to throw away: close instead
            except _BadRequest:
                return False
        self._leftover = self.parser.trailing_data[0]
        return True

    def read_body_piece(self) -> bytes:
        """For ``Input``: the next piece of the request body, or b"" at its end."""
        if self.taken:
            raise RuntimeError("wsgi.input after take_connection(): read from the socket instead")
        parser = self.parser
        if parser.they_are_waiting_for_100_continue and not self.headers_sent:
            self._send(_CONTINUE)
            self.response_length = 0  # the log counts the final response only
        while True:
            try:
                event = self._next_event()
            except h11.RemoteProtocolError as exc:
                raise _BadRequest(exc.error_status_hint, f"bad body framing: {exc}") from None
            if type(event) is h11.Data:
                limit = self.server.max_body_size
                if limit is not None and self.input.received + len(event.data) > limit:
                    raise _BadRequest(413, "the chunked body is over max_body_size")
                if event.data:
                    return bytes(event.data)
            elif type(event) is h11.EndOfMessage or event is h11.PAUSED:
                return b""
            else:  # ConnectionClosed mid-body
                raise _ClientGone("the client closed the connection mid-body")

    def _send(self, data: bytes) -> None:
        self.response_length += len(data)  # all bytes of the response, as gevent's log counts
        try:
            self.socket.sendall(data)
        except OSError as exc:
            raise _ClientGone(exc) from exc

    def _refuse(self, status: int, why: str) -> None:
        """Answer a request we cannot serve with ``status`` and close (quietly if it is gone)."""
        reason = _REASONS.get(status, "Bad Request")
        self.server.error_log.write(
            f"{self.client_address_str} - refused with {status} {reason}: {why}\n"
        )
        body = f"{status} {reason}\n".encode()
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        try:
            self._send(head.encode() + body)
            self._linger()
        except (_ClientGone, OSError):
            pass

    def _linger(self) -> None:
        """Before closing on a client still sending: read and drop its bytes for a moment.

        Closing a socket with unread input makes the kernel reset the connection, and the
        client may then lose the error response it has not read yet.
        """
        sock = self.socket
        sock.shutdown(SHUT_WR)
        sock.settimeout(self.server.linger_timeout)
        dropped = 0
        while dropped < 1 << 20:
            data = sock.recv(65536)
            if not data:
                return
            dropped += len(data)

    @property
    def client_address_str(self) -> str:
        address = self.client_address
        return str(address[0]) if isinstance(address, tuple) else str(address or "-")

    # -- the environ ----------------------------------------------------------------------------

    def get_environ(self) -> dict:
        """The PEP 3333 environ for the current request."""
        request = self.request
        env = dict(self.server.environ)
        env["REQUEST_METHOD"] = request.method.decode("ascii")
        path, _, query = request.target.partition(b"?")
        if b"%" in path:
            path = unquote_to_bytes(path)
        env["PATH_INFO"] = path.decode("latin-1")
        env["QUERY_STRING"] = query.decode("latin-1")
        env["SERVER_PROTOCOL"] = "HTTP/" + request.http_version.decode("ascii")
        address = self.client_address
        if isinstance(address, tuple):
            env["REMOTE_ADDR"] = str(address[0])
            env["REMOTE_PORT"] = str(address[1])
        for name, value in request.headers:
            if b"_" in name:
                continue  # HTTP_X_Y could be faked by a header "x_y": drop such names
            key = name.decode("latin-1").upper().replace("-", "_")
            if key != "CONTENT_TYPE" and key != "CONTENT_LENGTH":
                key = "HTTP_" + key
            value = value.decode("latin-1")
            if key in env:
                value = env[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
            env[key] = value
        env["wsgi.input"] = self.input
        env["wsgi.input_terminated"] = True
        env["coopconc.take_connection"] = self.take_connection
        return env

    def take_connection(self):
        """coopconc only: hand the client socket to the application; ``(sock, buffered)``."""
        if self.taken:
            raise RuntimeError("take_connection() was already called for this request")
        if self.headers_sent:
            raise RuntimeError(
                "take_connection() after the response started: call it before start_response "
                "sends anything"
            )
        self.taken = True
        self.server.handler_done(self)
        self.server.taken_sockets.add(self.socket)
        self.socket.settimeout(None)
        return self.socket, self.parser.trailing_data[0]

    # -- running the application ----------------------------------------------------------------

    def run_application(self) -> None:
        """Call the application and send what it returns; 500 if it raises before answering."""
        try:
            self.result = self.application(self.environ, self.start_response)
            try:
                if not self.taken:
                    self.process_result()
            finally:
                close = getattr(self.result, "close", None)
                if close is not None:
                    close()
        except _ClientGone:
            self.close_connection = True  # the client left mid-response: stop quietly
            raise
        except _BadRequest as exc:
            self._fail(exc.status, str(exc), with_traceback=False)
        except Exception:
            self._fail(500, "the application raised", with_traceback=True)

    def _fail(self, status: int, why: str, with_traceback: bool) -> None:
        self.close_connection = True
        if self.taken:
            with_traceback = True
        if with_traceback:
            self.server.error_log.write(
                traceback.format_exc() + f"{self.client_address_str} {self.requestline!r}: {why}\n"
            )
        if self.taken or self.headers_sent:
            return  # too late for an error page: closing the connection tells the client
        self.code = status
        self.status = f"{status} {_REASONS[status]}"
        self.response_length = 0
        if with_traceback:
            self._send_error_page(status)
        else:
            self._refuse(status, why)

    def _send_error_page(self, status: int) -> None:
        body = f"{status} {_REASONS[status]}\n".encode()
        head = (
            f"HTTP/1.1 {self.status}\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\nDate: {_http_date()}\r\n\r\n"
        )
        self._send(head.encode() + body)

    def process_result(self) -> None:
        result = self.result
        if type(result) is list or type(result) is tuple:
            try:
                body = b"".join(result)
            except TypeError:
                body = None
            if body is not None and not self.headers_sent:
                self._send_whole(body)
                return
        write = self.write
        for data in result:
            if self.taken:
                return
            if data:
                write(data)
            elif type(data) is not bytes:
                write(data)  # b"" is fine; "" or None gets write()'s error
        if self.status is None:
            raise AssertionError("the application returned without calling start_response()")
        if not self.headers_sent:
            self._send_whole(b"")
        elif self._chunked:
            self._send(b"0\r\n\r\n")
        elif self._remaining:
            self.close_connection = True
            self.server.error_log.write(
                f"{self.requestline!r}: the application sent {self._remaining} bytes fewer "
                "than its Content-Length; closing the connection\n"
            )

    def start_response(self, status: str, headers, exc_info=None):
        """PEP 3333's start_response: remember the status and headers; return ``write``."""
        if exc_info:
            try:
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # no reference cycle through the traceback
        elif self.status is not None:
            raise AssertionError(
                "start_response() was already called; call it again only with exc_info, "
                "to replace the headers after an error (PEP 3333)"
            )
        if type(status) is not str or not _STATUS.match(status):
            raise ValueError(
                f"status {status!r}: give a str like '200 OK' (three digits, a space, a reason)"
            )
        if status[0] == "1":
            raise ValueError(
                f"status {status!r}: a WSGI application cannot send 1xx; to switch protocols "
                "take the socket with environ['coopconc.take_connection']()"
            )
        for pair in headers:
            if (
                type(pair) is not tuple
                or len(pair) != 2
                or type(pair[0]) is not str
                or type(pair[1]) is not str
            ):
                raise TypeError(f"header {pair!r}: each header is a (name, value) tuple of str")
            if _BAD_HEADER_CHARS.search(pair[0] + pair[1]) or ":" in pair[0]:
                raise ValueError(
                    f"header {pair!r}: names and values cannot hold CR, LF, NUL (or ':' in a name)"
                )
        self.status = status
        self.code = int(status[:3])
        self.response_headers = list(headers)
        return self.write

    # -- writing the response -------------------------------------------------------------------

    def _head(self, length: int | None) -> bytes:
        """Status line and headers; decide the body's framing and whether to keep the connection.

        ``length`` is the whole body's size if it is known now (the application returned a
        list, or finished before sending anything), else None.
        """
        self.headers_sent = True
        code = self.code
        lines = [f"HTTP/1.1 {self.status}\r\n"]
        given_length = None
        has_date = False
        for name, value in self.response_headers:
            low = name.lower()
            if low == "content-length":
                given_length = int(value)
            elif low == "connection":
                if "close" in value.lower():
                    self.close_connection = True
            elif low == "transfer-encoding":
                continue  # framing is the server's job (PEP 3333: no hop-by-hop headers)
            elif low == "date":
                has_date = True
            lines.append(f"{name}: {value}\r\n")
        has_body = code >= 200 and code != 204 and code != 304
        self._send_body = has_body and self.request.method != b"HEAD"
        self._chunked = False
        self._remaining = None
        if given_length is not None:
            self._remaining = given_length
        elif not has_body:
            pass
        elif length is not None:
            lines.append(f"Content-Length: {length}\r\n")
        elif self.request.http_version == b"1.1":
            lines.append("Transfer-Encoding: chunked\r\n")
            self._chunked = True
        else:
            self.close_connection = True  # HTTP/1.0 without a length: the close ends the body
        if self.server.closed:
            self.close_connection = True
        if self.close_connection and self.request.http_version == b"1.1":
            lines.append("Connection: close\r\n")
        if not has_date:
            lines.append(f"Date: {_http_date()}\r\n")
        lines.append("\r\n")
        return "".join(lines).encode("latin-1")

    def _frame(self, data: bytes) -> bytes:
        """``data`` as it goes on the wire: chunked, cut at Content-Length, or nothing (HEAD)."""
        if not self._send_body:
            return b""
        if self._chunked:
            return b"%x\r\n%b\r\n" % (len(data), data)
        remaining = self._remaining
        if remaining is not None:
            if len(data) > remaining:
                self.close_connection = True
                self.server.error_log.write(
                    f"{self.requestline!r}: the application sent more than its Content-Length; "
                    "the rest is dropped and the connection closed\n"
                )
                data = data[:remaining]
            self._remaining = remaining - len(data)
        return data

    def _send_whole(self, body: bytes) -> None:
        """Headers and the complete body, in one send."""
        if self.status is None:
            raise AssertionError("the application returned without calling start_response()")
        head = self._head(len(body))
        self._send(head + self._frame(body) if body else head)
        if self._remaining:
            self.close_connection = True

    def write(self, data: bytes) -> None:
        """PEP 3333's write callable (also used for each piece an iterable yields)."""
        if type(data) is not bytes:
            if not isinstance(data, (bytes, bytearray, memoryview)):
                raise TypeError(
                    f"the application gave {type(data).__name__} {data!r:.40}: a WSGI body is "
                    "bytes -- encode text first, e.g. 'hello'.encode('utf-8')"
                )
            data = bytes(data)
        if self.status is None:
            raise AssertionError("write() before start_response(): call start_response first")
        if self.taken:
            return
        if self.headers_sent:
            if data:
                self._send(self._frame(data))
        else:
            self._send(self._head(None) + self._frame(data))

    # -- the access log ---------------------------------------------------------------------------

    def format_request(self) -> str:
        """One access-log line, in gevent's format."""
        now = datetime.now().replace(microsecond=0)
        delta = f"{self.time_finish - self.time_start:.6f}"
        status = (self.status or "000").split()[0]
        return (
            f'{self.client_address_str} - - [{now}] "{self.requestline}" {status} '
            f"{self.response_length or '-'} {delta}"
        )

    def log_request(self) -> None:
        log = self.server.log
        if type(log) is not _NoopLog:
            log.write(self.format_request() + "\n")


class WSGIServer(StreamServer):
    """A WSGI server: ``WSGIServer(listener, application, ...)``, gevent.pywsgi's arguments.

    ``listener`` an address (a bare port binds 127.0.0.1) or a listening socket;
    ``spawn`` as for StreamServer (a Pool limits connections); ``log`` (access lines) and
    ``error_log`` (tracebacks, refused requests) a file, a ``logging.Logger`` or None
    (default: sys.stderr); ``environ`` extra keys for every request's environ.
    """

    handler_class = WSGIHandler
    #: Seconds a client may stay silent (between requests, mid-request) or stop reading our
    #: response before its connection is closed.
    idle_timeout = 60.0
    #: Largest request head (request line + headers) in bytes; over it: 431 (or 414).
    max_header_size = 16384
    #: Longest request target; over it: 414.
    max_request_line = 8192
    #: Largest request body; over it: 413. None: no limit.
    max_body_size = 1 << 30
    #: After refusing a bad request: seconds to wait for the client to stop sending.
    linger_timeout = 1.0
    #: An unread body up to this size is read and dropped to keep the connection; longer: close.
    max_drain = 65536

    base_env = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_SOFTWARE": "coopconc.pywsgi",
        "SCRIPT_NAME": "",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }

    def __init__(
        self,
        listener,
        application=None,
        backlog=None,
        spawn="default",
        log="default",
        error_log="default",
        handler_class=None,
        environ=None,
        **ssl_args,
    ):
        if ssl_args:
            raise TypeError(
                f"{type(self).__name__}({', '.join(ssl_args)}=...): coopconc has no SSL support; "
                "put a TLS-terminating proxy in front of it"
            )
        if application is not None:
            self.application = application
        if not callable(getattr(self, "application", None)):
            raise TypeError(
                f"{type(self).__name__}: give the WSGI application, a callable "
                "app(environ, start_response)"
            )
        if handler_class is not None:
            self.handler_class = handler_class
        self.log = _make_log(log, 20)
        self.error_log = _make_log(error_log, 40)
        self.handlers: set = set()  # the handlers of open connections
        self.taken_sockets: set = set()  # sockets applications took over: not ours to close
        self._no_handlers = Event()  # set when, after close(), the last connection ends
        StreamServer.__init__(self, listener, backlog=backlog, spawn=spawn)
        self.environ = dict(self.base_env)
        self.environ["wsgi.errors"] = self.error_log
        if environ is not None:
            self.environ.update(environ)
        self.update_environ()

    def update_environ(self) -> None:
        """SERVER_NAME and SERVER_PORT from the bound address."""
        address = self.address
        if isinstance(address, tuple):
            self.environ.setdefault("SERVER_NAME", str(address[0]))
            self.environ["SERVER_PORT"] = str(address[1])
        else:
            self.environ.setdefault("SERVER_NAME", "")
            self.environ.setdefault("SERVER_PORT", "")

    def init_socket(self) -> None:
        StreamServer.init_socket(self)
        if self.environ.get("SERVER_PORT") in ("0", ""):
            self.environ.pop("SERVER_PORT", None)
        self.update_environ()

    def handle(self, sock, address) -> None:
        """Run one connection (in its own greenlet) with ``handler_class``."""
        self.handler_class(sock, address, self).handle()

    def handler_done(self, handler: WSGIHandler) -> None:
        """A handler's connection ended (or was taken): it is no longer ours to wait for."""
        self.handlers.discard(handler)
        if self.closed and not self.handlers:
            self._no_handlers.set()

    def do_close(self, sock, *args) -> None:
        try:
            self.taken_sockets.remove(sock)
        except KeyError:
            sock.close()

    def stop(self, timeout=None) -> None:
        """Stop accepting; close idle connections now, give busy ones ``timeout`` s to finish."""
        self.close()
        if timeout is None:
            timeout = self.stop_timeout
        for handler in list(self.handlers):
            if handler.idle:
                _shutdown(handler.socket)  # its recv() sees the end: the handler returns
        if self.handlers:
            self._no_handlers.wait(timeout)  # each busy one returns after its response
        for handler in list(self.handlers):
            _shutdown(handler.socket)  # too slow: its next recv or send fails
        if self.handlers:
            self._no_handlers.wait(1)
        StreamServer.stop(self, timeout=timeout)
        sleep(0)  # the acceptor was killed without waiting: let that happen before we return

    def __repr__(self) -> str:
        return StreamServer.__repr__(self)[:-1] + f" connections={len(self.handlers)}>"


def _shutdown(sock) -> None:
    try:
        sock.shutdown(SHUT_RDWR)
    except OSError:
        pass
