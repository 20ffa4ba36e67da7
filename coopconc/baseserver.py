"""Servers, part one: a greenlet that accepts connections, and a greenlet per connection.

What it is
    Every server in coopconc is built in three layers, one module each: this one accepts
    connections and runs a handler per connection; ``coopconc.server.StreamServer`` makes it a
    TCP server; ``coopconc.pywsgi.WSGIServer`` speaks HTTP on top of that. This layer knows
    nothing about TCP or HTTP: only that there is a listening socket, and that each new
    connection gets its own greenlet running ``handle(client_socket, address)``. When
    ``handle`` returns, the client socket is closed (``do_close``). ``start()`` starts
    accepting in the background, ``serve_forever()`` starts and waits until somebody calls
    ``stop()``, and ``stop()`` closes the listener (and, when a pool limits the handlers, lets
    them finish for a moment, then kills them).

How it is built on the hub
    gevent accepts in a callback of its event loop. coopconc has no persistent watchers, only
    the hub's one way to wait for a file descriptor (``hub.wait_fd``), so the accepting is done
    by one ordinary greenlet, the *acceptor*, in a loop anyone can read:

        wait for a free slot (only with a connection limit)
        try accept(); if the kernel says "not yet", wait_fd(listener, READ)
        spawn handle(client, address) in its own greenlet

    One client's trouble is never the server's: a handler that raises is reported once (by
    the hub, like any greenlet that dies of an error; or by the acceptor, when ``spawn=None``
    runs the handler in the acceptor itself) and the next client is served. Errors of
    ``accept`` itself (too many open files...) are reported too, and accepting pauses for
    ``delay`` seconds, doubling up to ``max_delay``. ``close()`` kills the acceptor and
    closes the listener.

    ``spawn`` decides how handlers run: ``'default'`` (a new Greenlet each), a pool
    (``Pool(n)`` -- no more than n at once: while it is full no connection is accepted; a
    ``Group`` to keep track of them), an int n (shorthand for ``Pool(n)``), any
    ``spawn(fn, *args)`` callable, or None (run the handler in the acceptor itself: one
    client at a time).

Taught in notebook 16 (servers).
"""

from __future__ import annotations

import errno
import sys

from coopconc.greenlet import Greenlet
from coopconc.hub import Waiter, get_hub, sleep
from coopconc.pool import Pool

__all__ = ["BaseServer", "parse_address"]


def _handle_and_close_when_done(handle, close, args):
    try:
        return handle(*args)
    finally:
        close(*args)


class BaseServer:
    """Accept connections on ``listener`` and run ``handle(socket, address)`` for each.

    ``listener`` is an address (``("127.0.0.1", 8000)``, ``"127.0.0.1:8000"``, or just a port,
    which binds 127.0.0.1) or an already listening socket.
    """

    #: Pause after a failed accept: starts at min_delay, doubles up to max_delay.
    min_delay = 0.01
    max_delay = 1
    #: How many connections to accept in a row before letting the handlers run.
    max_accept = 100
    #: How long ``stop()`` lets a pool's handlers finish before killing them.
    stop_timeout = 1
    #: accept() errors after which the server closes instead of trying again.
    fatal_errors = (errno.EBADF, errno.EINVAL, errno.ENOTSOCK)

    def __init__(self, listener, handle=None, spawn="default"):
        self._acceptor = None
        self._stopped = True
        self._stop_waiters: list = []
        self.pool = None
        self.delay = self.min_delay
        try:
            self.set_listener(listener)
            self.set_spawn(spawn)
            self.set_handle(handle)
        except BaseException:
            self.close()
            raise

    # -- configuration ----------------------------------------------------------------------

    def set_listener(self, listener) -> None:
        if hasattr(listener, "accept"):
            self.family = listener.family
            self.address = listener.getsockname()
            self.socket = listener
        else:
            self.family, self.address = parse_address(listener)

    def set_spawn(self, spawn) -> None:
        if spawn == "default":
            self.pool = None
            self._spawn = Greenlet.spawn
        elif hasattr(spawn, "spawn"):
            self.pool = spawn
            self._spawn = spawn.spawn
        elif isinstance(spawn, int) and not isinstance(spawn, bool):
            self.pool = Pool(spawn)
            self._spawn = self.pool.spawn
        else:
            self.pool = None
            self._spawn = spawn  # a callable like spawn_raw, or None: run in the acceptor
        if self.pool is not None and hasattr(self.pool, "full"):
            self.full = self.pool.full

    def set_handle(self, handle) -> None:
        if handle is not None:
            self.handle = handle
        if not hasattr(self, "handle"):
            raise TypeError(
                f"{type(self).__name__}: give a handle(socket, address) function, "
                "or subclass it and define a handle method"
            )
        self._handle = self.handle

    def full(self) -> bool:
        """True while no more connections may be accepted (the pool is full)."""
        return False

    # -- state ------------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        return not self._stopped

    @property
    def closed(self) -> bool:
        return not hasattr(self, "socket")

    @property
    def server_host(self):
        """The IP address the server is bound to."""
        if isinstance(self.address, tuple):
            return self.address[0]
        return None

    @property
    def server_port(self):
        """The port the server is bound to (the real one once started, if you asked for 0)."""
        if isinstance(self.address, tuple):
            return self.address[1]
        return None

    def __repr__(self) -> str:
        state = "started" if self.started else ("closed" if self.closed else "not started")
        address = self.address
        if isinstance(address, tuple) and len(address) == 2:
            address = f"{address[0]}:{address[1]}"
        limit = f" pool={self.pool!r}" if self.pool is not None else ""
        return f"<{type(self).__name__} address={address} {state}{limit}>"

    # -- running ----------------------------------------------------------------------------

    def init_socket(self) -> None:
        """Make the listening socket if we were given an address (called by ``start``)."""

    def start(self) -> None:
        """Start accepting connections (making and binding the listener first if needed)."""
        if self.started:
            return
        self.init_socket()
        self._stopped = False
        try:
            self.start_accepting()
        except BaseException:
            self.close()
            raise

    def start_accepting(self) -> None:
        if self._acceptor is None:
            self._acceptor = Greenlet(self._accept_forever)
            self._acceptor.name = f"{type(self).__name__} acceptor"
            self._acceptor.start()

    def stop_accepting(self) -> None:
        acceptor, self._acceptor = self._acceptor, None
        if acceptor is not None and not acceptor.dead:
            acceptor.kill(block=False)

    def _accept_forever(self) -> None:
        pool = self.pool
        while not self._stopped:
            if pool is not None and self.full():
                if hasattr(pool, "wait_available"):
                    pool.wait_available()
                else:
                    while self.full():
                        sleep(self.min_delay)
                continue
            for _ in range(self.max_accept):
                try:
                    args = self.do_read()
                except Exception as exc:
                    if self._stopped:
                        return  # close() woke us up: not an error
                    get_hub().handle_error(self, *sys.exc_info())
                    if self.is_fatal_error(exc):
                        sys.stderr.write(f"ERROR: {self} failed with {exc}\n")
                        self.close()
                        return
                    sleep(self.delay)
                    self.delay = min(self.max_delay, self.delay * 2)
                    break
                self.delay = self.min_delay
                try:
                    self.do_handle(*args)
                except Exception:
                    # A handler run right here (spawn=None), or a spawn that failed: report it
                    # once, as the hub reports a handler greenlet that dies, and keep accepting.
                    get_hub().handle_error(self, *sys.exc_info())
                if pool is not None and self.full():
                    break
            else:
                sleep(0)  # max_accept in a row: let the new handlers have a turn

    def do_read(self):
        """Wait for one connection; return the arguments for ``handle``."""
        raise NotImplementedError

    def do_handle(self, *args) -> None:
        spawn = self._spawn
        try:
            if spawn is None:
                _handle_and_close_when_done(self._handle, self.do_close, args)
            else:
                spawn(_handle_and_close_when_done, self._handle, self.do_close, args)
        except BaseException:
            self.do_close(*args)
            raise

    def do_close(self, *args) -> None:
        """Called with the handler's arguments once it returns (closes the client socket)."""

    def is_fatal_error(self, exc) -> bool:
        return isinstance(exc, OSError) and exc.errno in self.fatal_errors

    def close(self) -> None:
        """Stop accepting and close the listening socket. Running handlers carry on."""
        self._stopped = True
        self.stop_accepting()
        sock = self.__dict__.pop("socket", None)
        if sock is not None:
            fileno = sock.fileno()
            if fileno >= 0:  # wake the acceptor before the fd number can be reused
                from coopconc.socket import cancel_wait_ex

                get_hub().cancel_wait(fileno, cancel_wait_ex())
            try:
                sock.close()
            except OSError:
                pass
        waiters, self._stop_waiters = self._stop_waiters, []
        for waiter in waiters:
            get_hub().run_callback(waiter.switch, None)

    def stop(self, timeout=None) -> None:
        """Close the listener; with a pool, give handlers ``timeout`` s to finish, then kill them."""
        self.close()
        if timeout is None:
            timeout = self.stop_timeout
        if self.pool is not None:
            self.pool.join(timeout=timeout)
            self.pool.kill(block=True, timeout=1)

    def serve_forever(self, stop_timeout=None) -> None:
        """Start (if needed) and wait until ``stop()`` or ``close()`` is called."""
        if not self.started:
            self.start()
        try:
            if not self._stopped:
                waiter = Waiter()
                self._stop_waiters.append(waiter)
                waiter.get(f"{type(self).__name__}.serve_forever", self)
        finally:
            Greenlet.spawn(self.stop, timeout=stop_timeout).join()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def parse_address(address):
    """``(family, (host, port))`` from ``("host", port)``, ``"host:port"``, ``"[v6]:port"`` or a port.

    A bare port (``8000`` or ``"8000"``) means 127.0.0.1: only this machine can connect.
    (gevent binds every interface there; say ``":8000"`` or ``("", 8000)`` if you want that.)
    """
    import socket as _stdlib

    if isinstance(address, tuple):
        if not address[0] or ":" in address[0]:
            return _stdlib.AF_INET6, address
        return _stdlib.AF_INET, address
    if isinstance(address, int) or (isinstance(address, str) and ":" not in address):
        try:
            return _stdlib.AF_INET, ("127.0.0.1", int(address))
        except ValueError:
            raise ValueError(f"Failed to parse address {address!r}: not a port number") from None
    if not isinstance(address, str):
        raise TypeError(f"Expected tuple or string, got {type(address).__name__}")
    host, _, port = address.rpartition(":")
    family = _stdlib.AF_INET
    if host.startswith("[") and host.endswith("]"):
        family, host = _stdlib.AF_INET6, host[1:-1]
    if host == "*":
        host = ""
    try:
        return family, (host, int(port))
    except ValueError:
        raise ValueError(f"Failed to parse address {address!r}: bad port {port!r}") from None
