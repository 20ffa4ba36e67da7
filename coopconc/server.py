"""Servers, part two: StreamServer, the TCP server (HTTP is part three, ``coopconc.pywsgi``).

What it is
    ``StreamServer(("127.0.0.1", 8000), handle)`` listens on a port; for each client it calls
    ``handle(socket, address)`` in a new greenlet, with a cooperative ``coopconc.socket``, and
    closes that socket when ``handle`` returns. A thousand clients are a thousand small
    greenlets, not a thousand OS threads. ``serve_forever()`` runs it until ``stop()``;
    ``start()`` runs it in the background while your code goes on. ``WSGIServer`` is a
    StreamServer whose ``handle`` speaks HTTP.

How it is built on the hub
    The accepting loop, the connection limit, the handling of a handler's errors and
    start/stop are part one, ``coopconc.baseserver.BaseServer``. This module adds what is
    TCP-specific: making the listening socket (``SO_REUSEADDR``, ``bind``,
    ``listen(backlog)``), accepting one connection (the raw non-blocking ``accept``; when
    there is none yet, the acceptor waits in ``hub.wait_fd``) and closing the client socket
    when its handler is done.

Taught in notebook 16 (servers).
"""

from __future__ import annotations

import _socket

from coopconc.baseserver import BaseServer
from coopconc.hub import READ, get_hub
from coopconc.socket import AF_INET, SO_REUSEADDR, SOL_SOCKET, socket

__all__ = ["StreamServer"]

_accept = _socket.socket._accept
_fileno = _socket.socket.fileno


class StreamServer(BaseServer):
    """A TCP server: ``StreamServer(listener, handle=None, backlog=None, spawn='default')``.

    ``handle(socket, address)`` runs in a new greenlet per connection; see ``BaseServer`` for
    ``listener`` and ``spawn``. ``backlog`` is the ``listen()`` queue length (default 128).
    """

    backlog = 128
    reuse_addr = 1

    def __init__(self, listener, handle=None, backlog=None, spawn="default", **ssl_args):
        if ssl_args:
            raise TypeError(
                f"StreamServer({', '.join(ssl_args)}=...): coopconc has no SSL support; "
                "wrap the client sockets yourself in handle()"
            )
        BaseServer.__init__(self, listener, handle=handle, spawn=spawn)
        if backlog is not None:
            if hasattr(self, "socket"):
                raise TypeError("backlog must be None when a socket instance is passed")
            self.backlog = backlog

    @classmethod
    def get_listener(cls, address, backlog=None, family=None):
        """A new listening coopconc socket bound to ``address``."""
        return _tcp_listener(address, cls.backlog if backlog is None else backlog, family)

    def init_socket(self) -> None:
        if not hasattr(self, "socket"):
            self.socket = self.get_listener(self.address, self.backlog, self.family)
            self.address = self.socket.getsockname()
        else:
            _socket.socket.setblocking(self.socket, False)  # ours is already; a stdlib one too now

    def do_read(self):
        listener = self.socket
        while True:
            try:
                fd, address = _accept(listener)
                break
            except BlockingIOError:
                pass
            get_hub().wait_fd(_fileno(listener), READ, None, None, "StreamServer.accept")
        return socket(listener.family, listener.type, listener.proto, fileno=fd), address

    def do_close(self, sock, *args) -> None:
        sock.close()


def _tcp_listener(address, backlog: int = 50, family=AF_INET):
    """Make a TCP socket, bind it to ``address`` (SO_REUSEADDR) and start listening."""
    sock = socket(family=family if family is not None else AF_INET)
    try:
        sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.strerror is not None:
                exc.strerror += f": {address!r}"
            raise
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock
