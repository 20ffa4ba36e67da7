"""Two small clients for talking to the chat from Python: HTTP/1.1 (h11) and websocket (wsproto).

They take a socket that is already connected -- a ``coopconc.socket``, a ``gevent.socket``
or a plain blocking one -- so the same client code drives the chat from a notebook cell, the
load test (a thousand of them in one process, one greenlet each) and the benchmark (against
both coopconc and gevent). Like the server side, they do no protocol work by hand: h11 and
wsproto turn bytes into events and back; the clients only move bytes.

coopconc's addition (gevent has no such module); used by notebook 17, tests/test_chat_load.py
and ``coopconc.bench.websocket``.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import h11
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

__all__ = ["HTTPClient", "WebSocketClient"]

_READ_SIZE = 65536


class HTTPClient:
    """Requests one after another on one kept-alive connection: ``request(method, target)``."""

    def __init__(self, sock, host: str = "127.0.0.1"):
        self.sock = sock
        self.host = host
        self._parser = h11.Connection(h11.CLIENT)

    def request(self, method: str, target: str, form: dict | None = None) -> tuple[int, bytes]:
        """Send one request (``form`` as an urlencoded body); return (status, body)."""
        if self._parser.our_state is h11.DONE:
            self._parser.start_next_cycle()
        body = urlencode(form).encode() if form is not None else b""
        headers = [("Host", self.host), ("Content-Length", str(len(body)))]
        if form is not None:
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        self.sock.sendall(
            self._parser.send(h11.Request(method=method, target=target, headers=headers))
            + self._parser.send(h11.Data(data=body))
            + self._parser.send(h11.EndOfMessage())
        )
        status, chunks = None, []
        while True:
            event = self._parser.next_event()
            if event is h11.NEED_DATA:
                self._parser.receive_data(self.sock.recv(_READ_SIZE))
            elif type(event) is h11.Response:
                status = event.status_code
            elif type(event) is h11.Data:
                chunks.append(bytes(event.data))
            elif type(event) is h11.EndOfMessage:
                return status, b"".join(chunks)
            elif type(event) is h11.ConnectionClosed:
                raise ConnectionError(f"the server closed the connection during {method} {target}")

    def json(self, method: str, target: str, form: dict | None = None):
        status, body = self.request(method, target, form)
        if status != 200:
            raise ConnectionError(f"{method} {target} answered {status}: {body[:200]!r}")
        return json.loads(body)

    def close(self) -> None:
        self.sock.close()


class WebSocketClient:
    """Handshake on creation; then ``send``, ``receive`` (None once closed) and ``close``."""

    def __init__(self, sock, target: str, host: str = "127.0.0.1"):
        self.sock = sock
        self.connection = WSConnection(ConnectionType.CLIENT)
        self.close_code: int | None = None
        self._events: list = []
        sock.sendall(self.connection.send(Request(host=host, target=target)))
        while True:
            for event in self._read_events():
                if isinstance(event, AcceptConnection):
                    return
                if isinstance(event, (RejectConnection, RejectData)):
                    status = getattr(event, "status_code", None)
                    raise ConnectionError(
                        f"the websocket handshake for {target} was refused ({status})"
                    )
                self._events.append(event)

    def _read_events(self) -> list:
        data = self.sock.recv(_READ_SIZE)
        self.connection.receive_data(data or None)
        return list(self.connection.events())

    def send(self, message: str | bytes) -> None:
        event = (
            TextMessage(data=message) if isinstance(message, str) else BytesMessage(data=message)
        )
        self.sock.sendall(self.connection.send(event))

    def receive(self) -> str | bytes | None:
        parts: list = []
        while True:
            while self._events:
                event = self._events.pop(0)
                if isinstance(event, (TextMessage, BytesMessage)):
                    parts.append(event.data)
                    if event.message_finished:
                        return ("" if isinstance(event.data, str) else b"").join(parts)
                elif isinstance(event, Ping):
                    self.sock.sendall(self.connection.send(event.response()))
                elif isinstance(event, CloseConnection):
                    self.close_code = event.code
                    if self.connection.state.name == "REMOTE_CLOSING":
                        self.sock.sendall(self.connection.send(event.response()))
                    return None
            try:
                self._events.extend(self._read_events())
            except OSError:
                return None

    def close(self, code: int = 1000) -> None:
        """Send a close frame, wait for the server's, close the socket."""
        try:
            if self.connection.state.name == "OPEN":
                self.sock.sendall(self.connection.send(CloseConnection(code=code)))
                while self.receive() is not None:
                    pass
        except OSError:
            pass
        finally:
            self.sock.close()
