"""Websockets for WSGI apps served by ``coopconc.pywsgi``, with the protocol done by wsproto.

What it is
    A websocket starts life as an ordinary HTTP request (``GET`` with ``Upgrade: websocket``).
    The server answers ``101 Switching Protocols`` and from then on the same TCP connection
    carries *frames* both ways, for as long as either side wants. A WSGI app cannot express
    that (WSGI is one request in, one response out), so this module steps around it:

    - ``WebSocketMiddleware(app)`` wraps any WSGI app (Flask's ``app.wsgi_app`` included).
      For a websocket request it checks the handshake (a bad one gets ``400`` at once), then
      calls the app with ``environ["wsgi.websocket"]`` set to a ``WebSocket``: the key and
      the object's methods are gevent-websocket's (``receive``, ``send``, ``close``,
      ``closed``). Ordinary requests go straight through to the app.
    - The handshake is finished lazily: the first ``receive()``/``send()`` (or an explicit
      ``accept()``) sends ``101`` and takes the connection over. An app that refuses the
      websocket (unknown path: ``404``) simply answers before using it, and its answer goes
      out as a normal HTTP response. (gevent-websocket upgrades before calling the app, so
      there a refusal after the handshake is a close frame, not a status code.)

    ``ws.receive()`` returns one whole message -- ``str`` for a text message, ``bytes`` for a
    binary one, fragments joined -- or ``None`` once the connection is closed. Pings are
    answered with pongs along the way. ``ws.send(message)`` sends ``str`` as text and
    ``bytes`` as binary. ``ws.close(code, reason)`` does the closing handshake.

    Bad input closes *that* connection with the close code RFC 6455 names, and nothing else
    is disturbed: a malformed or unmasked frame ``1002``, invalid UTF-8 in a text message
    ``1007``, a message over ``max_message_size`` ``1009``, no data for ``idle_timeout``
    seconds ``1001``. The reason travels in the close frame, so the client can see it.

How it is built on the hub
    wsproto is a "sans-I/O" library: it never touches a socket. We feed it the bytes we read
    (``receive_data``) and it hands back events (a piece of a message, a ping, a close); we
    give it events to send and it hands back bytes. All the waiting is ours, and it is the
    cooperative socket's: ``recv`` parks only this greenlet in ``hub.wait_fd`` until the
    client sends something, so one greenlet per websocket costs a few kilobytes, not a thread.

    The connection itself comes from ``coopconc.pywsgi``: every request's environ carries
    ``environ["coopconc.take_connection"]``, a callable returning ``(sock, buffered)`` -- the
    client socket and any bytes already read past the request head. After that call the
    server leaves the socket alone; this module owns it and closes it.

    One greenlet may receive while others send (the chat does exactly that: a reader for the
    client's posts, a writer for the room's messages). Frames must not interleave on the
    wire, so sends go through a ``coopconc.lock.Lock``.

    Closing politely: after the close frame we stop writing (``shutdown(SHUT_WR)``) and read
    until the client hangs up (or ``close_timeout`` passes) before closing the socket. Closing
    at once, with unread bytes still queued, would make the kernel send a reset, and the
    client could lose the close frame that says *why*.

Names: ``WebSocket``, ``WebSocketError``, ``WebSocketHandler`` (for
``WSGIServer(..., handler_class=WebSocketHandler)``) and the ``wsgi.websocket`` environ key
are gevent-websocket's (``geventwebsocket``); ``WebSocketMiddleware``, ``accept()``,
``close_code``/``close_reason`` and iterating over a websocket are coopconc's additions.

Taught in notebook 17 (long polling, websockets and the chat room).
"""

from __future__ import annotations

import base64
import sys
import traceback
import weakref
from socket import SHUT_WR
from urllib.parse import quote

import h11
from greenlet import getcurrent
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import AcceptConnection, Request
from wsproto.frame_protocol import FrameProtocol, Opcode, ParseFailed
from wsproto.utilities import ProtocolError

from coopconc.event import Event
from coopconc.greenlet import joinall, spawn
from coopconc.lock import Lock
from coopconc.pywsgi import WSGIHandler

__all__ = [
    "WebSocket",
    "WebSocketError",
    "WebSocketHandler",
    "WebSocketMiddleware",
    "is_websocket_request",
]

# Close codes of RFC 6455, section 7.4.1 (the ones this module sends).
NORMAL = 1000
GOING_AWAY = 1001
PROTOCOL_ERROR = 1002
UNSUPPORTED_DATA = 1003
INVALID_DATA = 1007
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011

TAKE_CONNECTION = "coopconc.take_connection"  # the hook coopconc.pywsgi puts in every environ
_READ_SIZE = 65536


# The connection's states are wsproto's (ConnectionState); the frames' kinds too (Opcode).
CONNECTING = ConnectionState.CONNECTING
OPEN = ConnectionState.OPEN
REMOTE_CLOSING = ConnectionState.REMOTE_CLOSING
LOCAL_CLOSING = ConnectionState.LOCAL_CLOSING
CLOSED = ConnectionState.CLOSED
_TEXT, _BINARY, _PING, _CLOSE = Opcode.TEXT, Opcode.BINARY, Opcode.PING, Opcode.CLOSE
_NO_FRAMES = iter(())


class WebSocketError(OSError):
    """A websocket cannot do what was asked: it is closed, or was never accepted."""


class HandshakeError(WebSocketError):
    """The upgrade request is not a valid websocket handshake (the client gets 400)."""


def is_websocket_request(environ: dict) -> bool:
    """True when the request asks for a websocket (``Upgrade: websocket``)."""
    return "websocket" in environ.get("HTTP_UPGRADE", "").lower()


def _request_target(environ: dict) -> str:
    path = quote(
        environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "/"), safe="/:@!$&'()*+,;=-._~"
    )
    query = environ.get("QUERY_STRING", "")
    return path + ("?" + query if query else "")


def _request_headers(environ: dict) -> list[tuple[bytes, bytes]]:
    """The request's headers back from the environ (``HTTP_SEC_WEBSOCKET_KEY`` -> name)."""
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").lower()
            headers.append((name.encode("latin-1"), str(value).encode("latin-1")))
    return headers


def _start_handshake(environ: dict) -> WSConnection:
    """A server-side wsproto connection for this already-parsed request, or HandshakeError."""
    if environ.get("REQUEST_METHOD") != "GET":
        raise HandshakeError(
            f"a websocket handshake must be a GET request, not {environ.get('REQUEST_METHOD')}"
        )
    connection = WSConnection(ConnectionType.SERVER)
    try:
        connection.initiate_upgrade_connection(_request_headers(environ), _request_target(environ))
        events = list(connection.events())
    except (ProtocolError, h11.ProtocolError, UnicodeError) as exc:
        raise HandshakeError(f"invalid websocket handshake: {exc}") from None
    key = environ.get("HTTP_SEC_WEBSOCKET_KEY", "")
    try:
        key_ok = len(base64.b64decode(key, validate=True)) == 16
    except ValueError:
        key_ok = False
    if not key_ok:
        raise HandshakeError(f"Sec-WebSocket-Key {key!r} is not 16 bytes in base64 (RFC 6455, 4.1)")
    if not (len(events) == 1 and isinstance(events[0], Request)):
        raise HandshakeError(f"invalid websocket handshake: wsproto saw {events!r}")
    return connection


class WebSocket:
    """One websocket connection, server side: ``receive()``, ``send()``, ``close()``.

    Made by ``WebSocketMiddleware`` and found in ``environ["wsgi.websocket"]``. Until the
    first ``receive``/``send``/``accept`` the client is still waiting for the server's answer
    to its handshake; the app may refuse it instead with an ordinary HTTP response.
    """

    def __init__(
        self,
        environ: dict,
        connection: WSConnection,
        *,
        max_message_size: int = 1 << 20,
        idle_timeout: float | None = None,
        close_timeout: float = 2.0,
    ):
        self.environ = environ
        self.max_message_size = max_message_size
        self.idle_timeout = idle_timeout
        self.close_timeout = close_timeout
        self.close_code: int | None = None  # the code of the close frame that ended it
        self.close_reason: str = ""
        self.received = 0  # whole messages
        self.sent = 0
        self._handshake = connection  # wsproto's handshake half, until accept()
        self._frames = None  # wsproto's frame half (a FrameProtocol), from accept() on
        self._state = CONNECTING
        self._socket = None
        self._accepted = False
        self._done = False  # the socket is closed; nothing more will be read or sent
        self._done_event = Event()
        self._parsed = _NO_FRAMES  # frames wsproto parsed that receive() has not handled yet
        self._reader = None  # the greenlet inside receive(), if any
        self._send_lock = Lock()

    # -- what gevent-websocket offers -------------------------------------------------

    @property
    def path(self) -> str:
        return self.environ.get("PATH_INFO", "")

    @property
    def origin(self) -> str | None:
        return self.environ.get("HTTP_ORIGIN")

    @property
    def protocol(self) -> None:
        """The negotiated subprotocol: coopconc accepts none."""
        return None

    @property
    def closed(self) -> bool:
        """True once the connection is closed or closing: nothing more can be sent."""
        return self._done or (self._accepted and self._state is not OPEN)

    @property
    def accepted(self) -> bool:
        """True once ``101 Switching Protocols`` was sent (coopconc's addition)."""
        return self._accepted

    def accept(self) -> None:
        """Finish the handshake now (``receive``/``send`` do it on first use)."""
        if self._accepted:
            return
        take = self.environ.get(TAKE_CONNECTION)
        if take is None:
            raise WebSocketError(
                f"this server cannot hand the connection over (no environ[{TAKE_CONNECTION!r}]): "
                "serve the app with coopconc.pywsgi.WSGIServer"
            )
        sock, buffered = take()
        self._socket = sock
        self._accepted = True
        sock.settimeout(self.idle_timeout)
        answer = self._handshake.send(AcceptConnection())
        # From now on only frames cross: wsproto's frame layer (no extensions negotiated) reads
        # and writes them, and this object keeps the connection's state itself.
        self._handshake = None
        self._frames = FrameProtocol(client=False, extensions=[])
        self._state = OPEN
        try:
            sock.sendall(answer)
        except OSError:
            self._finish(None, "", linger=False)
            return
        if buffered:
            self._feed(buffered)

    def receive(self) -> str | bytes | None:
        """The next whole message (``str`` or ``bytes``), or None when the connection closed."""
        if not self._accepted:
            self.accept()
        if self._reader is not None:
            raise WebSocketError(
                f"{self._reader!r} is already receiving on {self!r}; only one greenlet may"
            )
        self._reader = getcurrent()
        try:
            return self._receive_message()
        finally:
            self._reader = None

    read_message = receive  # gevent-websocket's other name

    def send(self, message: str | bytes, binary: bool | None = None) -> None:
        """Send one message: text for ``str``, binary for ``bytes`` (or as ``binary`` says)."""
        if not self._accepted:
            self.accept()
        kind = type(message)
        if binary is None and (kind is str or kind is bytes):
            payload = message  # wsproto sends str as text, bytes as binary
        elif binary or (binary is None and not isinstance(message, str)):
            payload = message.encode() if isinstance(message, str) else bytes(message)
        else:
            payload = message if isinstance(message, str) else bytes(message).decode()
        if self._done or self._state is not OPEN:
            raise WebSocketError(f"cannot send on {self!r}: it is closed (code {self.close_code})")
        self._send_frame(self._frames.send_data(payload, True))
        self.sent += 1

    def close(self, code: int = NORMAL, reason: str = "") -> None:
        """Say goodbye with ``code`` and ``reason``, wait for the client's reply, close."""
        if not self._accepted:
            # Never upgraded: nothing to say in websocket terms. The app's HTTP answer goes out.
            self._done = True
            return
        if self._done:
            return
        if self._state is OPEN:
            self._send_close(code, reason)
        if self._reader is not None:
            # The reading greenlet sees the client's close frame and finishes the job.
            self._done_event.wait(self.close_timeout)
        elif not self._done:
            self._await_close_reply()
        self._finish(self.close_code, self.close_reason, linger=False)

    def __iter__(self):
        """Each message until the connection closes (coopconc's addition)."""
        while (message := self.receive()) is not None:
            yield message

    def __repr__(self) -> str:
        if not self._accepted:
            state = "handshake pending"
        elif self._done:
            state = f"closed code={self.close_code}"
        else:
            state = self._state.name.lower()
        return f"<WebSocket {self.path} {state} received={self.received} sent={self.sent}>"

    # -- inside -------------------------------------------------------------------------
    #
    # wsproto's FrameProtocol turns the bytes we feed it into frames: for a data frame the
    # message's opcode (TEXT or BINARY, also for its continuation frames) and the payload
    # (a str for text, already checked as UTF-8), for a close frame (code, reason). A frame
    # that breaks the protocol raises ParseFailed, which carries the close code to send.

    def _receive_message(self):
        parts: list = []
        size = 0
        limit = self.max_message_size
        while True:
            try:
                for frame in self._parsed:
                    opcode = frame.opcode
                    if opcode is _TEXT or opcode is _BINARY:
                        data = frame.payload
                        n = len(data)
                        if opcode is _TEXT and size + 4 * n > limit:
                            n = len(data.encode())  # UTF-8 takes at most 4 bytes a character
                        size += n
                        if size > limit:
                            self._fail(MESSAGE_TOO_BIG, f"message over {limit} bytes")
                            return None
                        if frame.message_finished:
                            self.received += 1
                            if not parts:
                                return data
                            parts.append(data)
                            return ("" if opcode is _TEXT else b"").join(parts)
                        parts.append(data)
                    elif opcode is _PING:
                        self._send_frame(self._frames.pong(frame.payload), quiet=True)
                    elif opcode is _CLOSE:
                        self._closed_by(*frame.payload)
                        return None
                    # A pong: nothing to do.
            except ParseFailed as exc:
                self._fail(exc.code, str(exc))
                return None
            if self._done or not self._pump():
                return None

    def _pump(self) -> bool:
        """Read once from the socket into wsproto; False when the connection is over."""
        try:
            data = self._socket.recv(_READ_SIZE)
        except TimeoutError:
            self._fail(GOING_AWAY, f"idle for {self.idle_timeout:g} s")
            return False
        except OSError:
            data = b""
        if self._done:
            return False
        if not data:
            # The client hung up without a close frame: code 1006, as RFC 6455 7.1.5 says.
            self._state = CLOSED
            self._finish(self.close_code or 1006, self.close_reason, linger=False)
            return False
        self._feed(data)
        return True

    def _feed(self, data: bytes) -> None:
        self._frames.receive_bytes(data)
        self._parsed = self._frames.received_frames()

    def _await_close_reply(self) -> None:
        """Read (and drop) what the client still sends, until its close frame or a timeout."""
        self._reader = getcurrent()
        try:
            self._socket.settimeout(self.close_timeout)
            while True:
                for frame in self._parsed:
                    if frame.opcode is _CLOSE:
                        self._state = CLOSED  # the reply: messages before it are too late
                        return
                data = self._socket.recv(_READ_SIZE)
                if not data:
                    return
                self._feed(data)
        except (OSError, ParseFailed):
            pass
        finally:
            self._reader = None

    def _closed_by(self, code: int, reason: str) -> None:
        """The client's close frame arrived."""
        if self._state is LOCAL_CLOSING:
            # The reply to our own close frame.
            self._state = CLOSED
            self._finish(self.close_code or code, self.close_reason or reason, linger=False)
        else:
            # The client said goodbye first: answer with the same code, then hang up.
            self._state = REMOTE_CLOSING
            self._send_frame(self._frames.close(code, reason), quiet=True, closing=True)
            self._finish(code, reason, linger=True)

    def _fail(self, code: int, reason: str) -> None:
        """Close because of something the client did (or did not do)."""
        if self._state is OPEN:
            self._send_close(code, reason)
        self._finish(code, reason, linger=True)

    def _send_close(self, code: int, reason: str) -> None:
        reason = reason.encode()[:120].decode(errors="ignore")  # a control frame holds 125 bytes
        self.close_code, self.close_reason = code, reason
        self._send_frame(self._frames.close(code, reason), quiet=True, closing=True)

    def _send_frame(self, frame: bytes, quiet: bool = False, closing: bool = False) -> None:
        """Write one whole frame; the lock keeps frames of several greenlets apart.

        Nothing but a close frame (``closing``) goes out once the client said goodbye, and
        nothing at all after our close frame. ``quiet``: drop the frame instead of raising.
        """
        with self._send_lock:
            state = self._state
            if self._done or not (state is OPEN or (closing and state is REMOTE_CLOSING)):
                if quiet:
                    return
                raise WebSocketError(f"cannot send on {self!r}: it is closed")
            if closing:
                self._state = CLOSED if state is REMOTE_CLOSING else LOCAL_CLOSING
            try:
                self._socket.sendall(frame)
            except OSError as exc:
                self._finish(self.close_code or 1006, self.close_reason, linger=False)
                if not quiet:
                    raise WebSocketError(f"cannot send on {self!r}: {exc}") from None

    def _finish(self, code, reason: str, linger: bool) -> None:
        """Close the socket (after reading what the client still sends, if ``linger``)."""
        if self._done:
            return
        self._done = True
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
        sock = self._socket
        if sock is not None:
            if linger:
                try:
                    sock.shutdown(SHUT_WR)
                    sock.settimeout(self.close_timeout)
                    while sock.recv(_READ_SIZE):
                        pass
                except OSError:
                    pass
            sock.close()
        self._done_event.set()


class WebSocketMiddleware:
    """Wrap a WSGI app so that it can answer websockets through ``environ["wsgi.websocket"]``.

    ``app = WebSocketMiddleware(app, max_message_size=..., idle_timeout=...)``; with Flask,
    ``flask_app.wsgi_app = WebSocketMiddleware(flask_app.wsgi_app)``. Serve it with
    ``coopconc.pywsgi.WSGIServer``. (gevent-websocket does the same job with
    ``WSGIServer(..., handler_class=WebSocketHandler)``; coopconc's addition.)
    """

    def __init__(
        self,
        app,
        *,
        max_message_size: int = 1 << 20,
        idle_timeout: float | None = None,
        close_timeout: float = 2.0,
    ):
        if max_message_size <= 0:
            raise ValueError(
                f"max_message_size must be a positive number of bytes, not {max_message_size!r}"
            )
        if idle_timeout is not None and not idle_timeout > 0:
            raise ValueError(
                f"idle_timeout must be None (no limit) or seconds > 0, not {idle_timeout!r}"
            )
        self.app = app
        self.options = {
            "max_message_size": max_message_size,
            "idle_timeout": idle_timeout,
            "close_timeout": close_timeout,
        }
        self.open_websockets: set[WebSocket] = set()  # accepted and not yet finished

    def __call__(self, environ, start_response):
        if not is_websocket_request(environ):
            return self.app(environ, start_response)
        try:
            connection = _start_handshake(environ)
        except HandshakeError as exc:
            body = f"400 Bad Request: {exc}\n".encode()
            start_response(
                "400 Bad Request",
                [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
            )
            return [body]
        ws = WebSocket(environ, connection, **self.options)
        environ["wsgi.websocket"] = ws
        environ["wsgi.websocket_version"] = "13"

        def start_response_unless_upgraded(status, headers, exc_info=None):
            if ws.accepted:
                return lambda data: None  # the HTTP exchange is over; nothing is written
            return start_response(status, headers, exc_info)

        self.open_websockets.add(ws)
        try:
            result = self.app(environ, start_response_unless_upgraded)
            if not ws.accepted:
                return result  # the app refused the websocket (404, 403 ...) in plain HTTP
            if hasattr(result, "close"):
                result.close()
            ws.close()
        except BaseException as exc:
            if not ws.accepted:
                raise
            ws.close(INTERNAL_ERROR, "server error")
            if isinstance(exc, Exception):
                errors = environ.get("wsgi.errors", sys.stderr)
                errors.write(f"error in websocket app for {ws.path}:\n{traceback.format_exc()}")
            else:
                raise
        finally:
            self.open_websockets.discard(ws)
        return []

    def close_all(self, code: int = GOING_AWAY, reason: str = "server shutting down") -> None:
        """Close every open websocket (a server going down calls this; coopconc's addition)."""
        closing = [
            spawn(ws.close, code, reason) for ws in list(self.open_websockets) if ws.accepted
        ]
        joinall(closing, timeout=self.options["close_timeout"] + 1.0)

    def __repr__(self) -> str:
        return f"<WebSocketMiddleware {self.app!r} open={len(self.open_websockets)}>"


_middleware_of_server: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class WebSocketHandler(WSGIHandler):
    """gevent-websocket's way in: ``WSGIServer(address, app, handler_class=WebSocketHandler)``.

    Every connection's app is wrapped in one ``WebSocketMiddleware`` per server (default
    options), so ``environ["wsgi.websocket"]`` is there for websocket requests.
    """

    def __init__(self, sock, address, server):
        WSGIHandler.__init__(self, sock, address, server)
        middleware = _middleware_of_server.get(server)
        if middleware is None:
            middleware = _middleware_of_server[server] = WebSocketMiddleware(server.application)
        self.application = middleware
