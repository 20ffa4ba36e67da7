"""Cooperative sockets: the standard library's socket, waiting through the hub.

What it is
    ``coopconc.socket.socket`` is a drop-in for ``socket.socket``: same methods, same errors,
    same timeouts. The difference is what happens when the kernel says "not yet" (no data to
    read, no room to write, no connection to accept): a standard socket puts the whole OS
    thread to sleep; ours parks only the current greenlet, and every other greenlet keeps
    running. ``coopconc.monkey.patch_socket()`` installs this module's objects in the
    standard ``socket`` module, so libraries that never heard of coopconc cooperate too.

How it is built on the hub
    The real socket underneath is always in non-blocking mode; the timeout you set is kept
    on our side (``self._timeout``). Every operation is the same loop::

        try the real call                      -> done: return its result
        BlockingIOError (EAGAIN)?              -> timeout 0.0 (non-blocking): re-raise it
        hub.wait_fd(fd, READ or WRITE, timeout) -> then try the call again

    ``wait_fd`` is the hub's one waiting path for file descriptors: it registers the fd with
    the hub's poller (epoll on Linux) and parks the greenlet on a ``Waiter``. Sockets ask it to
    *keep* the registration until the end of the hub's turn (``keep=True``), because the next
    call usually waits on the same fd again. After ``timeout`` seconds the wait raises
    ``TimeoutError('timed out')``, which *is* ``socket.timeout`` since Python 3.10;
    ``sendall`` counts its timeout for the whole call, as the stdlib does.

    ``close()`` and ``detach()`` first wake every greenlet waiting on the socket with
    ``cancel_wait_ex`` (an ``OSError(EBADF)``) and make the hub forget the fd; so does a socket
    dropped without ``close()``, whose fd is then closed by the C type's own finalizer.

    The class subclasses the standard ``socket.socket`` (as the stdlib's own class subclasses
    the C ``_socket.socket``), so ``makefile``, ``dup``, ``sendfile``, ``repr`` and friends are
    the stdlib's own code, calling our cooperative ``recv_into`` and ``send``.

    Name lookups (``getaddrinfo``, ``gethostbyname`` ...) may read files or ask a DNS server:
    they run in the hub's thread pool (``hub.threadpool``) so that only the asking greenlet
    waits; a failed lookup raises its ``gaierror`` in that greenlet and prints nothing.
    Numeric addresses ("127.0.0.1") need no lookup and are answered directly.

Taught in notebooks 03 (event loops), 08 (monkey patching) and 16 (servers).
"""

from __future__ import annotations

import _socket
import os
import socket as __socket__
from errno import EAGAIN, EALREADY, EBADF, EINPROGRESS, EISCONN, EWOULDBLOCK

from coopconc.hub import (
    READ,
    WRITE,
    check_timeout,
    get_hub,
    get_hub_if_exists,
    wait_read,
    wait_readwrite,
    wait_write,
)

# Everything the standard module offers (constants, exceptions, helpers such as htons) is
# offered here too, unchanged; the names below that need to cooperate replace their originals.
for _name in __socket__.__all__:
    globals()[_name] = getattr(__socket__, _name)
del _name

_stdlib_socket = __socket__.socket
_ss = _socket.socket  # the C type: its methods do the real, non-blocking system calls
error = OSError
timeout = TimeoutError  # the stdlib's socket.timeout is TimeoutError since Python 3.10
gaierror = __socket__.gaierror
herror = __socket__.herror
AF_INET = __socket__.AF_INET
AF_INET6 = __socket__.AF_INET6
AF_UNIX = __socket__.AF_UNIX
SOCK_STREAM = __socket__.SOCK_STREAM
SOCK_DGRAM = __socket__.SOCK_DGRAM
SOL_SOCKET = __socket__.SOL_SOCKET
SO_ERROR = __socket__.SO_ERROR
SO_REUSEADDR = __socket__.SO_REUSEADDR
getdefaulttimeout = __socket__.getdefaulttimeout
setdefaulttimeout = __socket__.setdefaulttimeout
_GLOBAL_DEFAULT_TIMEOUT = __socket__._GLOBAL_DEFAULT_TIMEOUT

__all__ = [
    # the stdlib's names that this module replaces with cooperative versions
    "socket",
    "SocketType",
    "create_connection",
    "create_server",
    "socketpair",
    "fromfd",
    "getaddrinfo",
    "gethostbyname",
    "gethostbyname_ex",
    "gethostbyaddr",
    "getnameinfo",
    "getfqdn",
    # gevent's additions
    "wait_read",
    "wait_write",
    "wait_readwrite",
    "cancel_wait",
    "cancel_wait_ex",
]
__all__ += sorted(set(__socket__.__all__) - set(__all__))  # constants, errors, helpers

_family_of = _ss.family.__get__
_type_of = _ss.type.__get__
_proto_of = _ss.proto.__get__


class cancel_wait_ex(OSError):  # gevent's name
    """What a greenlet blocked on a socket gets when another greenlet closes that socket."""

    def __init__(self):
        super().__init__(EBADF, "File descriptor was closed in another greenlet")


def cancel_wait(fd, error=cancel_wait_ex) -> None:
    """Wake every greenlet waiting on ``fd`` with ``error`` (an exception class or instance)."""
    if not isinstance(fd, int):
        fd = fd.fileno()
    get_hub().cancel_wait(fd, error() if isinstance(error, type) else error)


def _wake_waiters_of(fd: int) -> None:
    """Before ``fd`` is closed or detached: wake whoever waits on it (if this thread has a hub)."""
    hub = get_hub_if_exists()
    if hub is not None and fd >= 0:
        hub.cancel_wait(fd, cancel_wait_ex())


class socket(_stdlib_socket):  # the stdlib's name
    """A socket whose blocking calls block only the current greenlet.

    ``socket(family=AF_INET, type=SOCK_STREAM, proto=0, fileno=None)``, exactly as the stdlib.
    """

    __slots__ = ("_timeout",)

    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        _stdlib_socket.__init__(self, family, type, proto, fileno)
        self._timeout = getdefaulttimeout()
        _ss.setblocking(self, False)

    # -- timeouts: ours, not the kernel's --------------------------------------------------

    @property
    def timeout(self) -> float | None:
        """Seconds a blocking call may wait (None: forever, 0.0: never wait)."""
        return self._timeout

    def gettimeout(self) -> float | None:
        return self._timeout

    def settimeout(self, value) -> None:
        """None: block (cooperatively) for ever; 0: non-blocking; x > 0: raise timeout after x s."""
        if value is not None:
            value = float(check_timeout("socket.settimeout", value, "value"))
            if value < 0.0:
                raise ValueError("Timeout value out of range")
        if _ss.fileno(self) < 0:
            raise OSError(EBADF, "Bad file descriptor")
        self._timeout = value

    def getblocking(self) -> bool:
        return self._timeout != 0.0

    def setblocking(self, flag: bool) -> None:
        self.settimeout(None if flag else 0.0)

    def _wait(self, event: int, reason: str) -> None:
        """Park this greenlet until the fd is ready for ``event``; TimeoutError after the timeout."""
        get_hub().wait_fd(_ss.fileno(self), event, self._timeout, None, reason, True)

    # -- reading ----------------------------------------------------------------------------

    def recv(self, *args) -> bytes:
        while True:
            try:
                return _ss.recv(self, *args)
            except BlockingIOError:
                if self._timeout == 0.0:
                    raise
            self._wait(READ, "socket.recv")

    def recv_into(self, *args) -> int:
        while True:
            try:
                return _ss.recv_into(self, *args)
            except BlockingIOError:
                if self._timeout == 0.0:
                    raise
            self._wait(READ, "socket.recv_into")

    def recvfrom(self, *args):
        while True:
            try:
                return _ss.recvfrom(self, *args)
            except BlockingIOError:
                if self._timeout == 0.0:
                    raise
            self._wait(READ, "socket.recvfrom")

    def recvfrom_into(self, *args):
        while True:
            try:
                return _ss.recvfrom_into(self, *args)
            except BlockingIOError:
                if self._timeout == 0.0:
                    raise
            self._wait(READ, "socket.recvfrom_into")

    if hasattr(_ss, "recvmsg"):

        def recvmsg(self, *args):
            while True:
                try:
                    return _ss.recvmsg(self, *args)
                except BlockingIOError:
                    if self._timeout == 0.0:
                        raise
                self._wait(READ, "socket.recvmsg")

        def recvmsg_into(self, *args):
            while True:
                try:
                    return _ss.recvmsg_into(self, *args)
                except BlockingIOError:
                    if self._timeout == 0.0:
                        raise
                self._wait(READ, "socket.recvmsg_into")

    # -- writing ----------------------------------------------------------------------------

    def send(self, *args) -> int:
        while True:
            try:
                return _ss.send(self, *args)
            except BlockingIOError:
                if self._timeout == 0.0:
                    raise
            self._wait(WRITE, "socket.send")

    def sendto(self, *args) -> int:
        if len(args) > 1:
            args = args[:-1] + (_resolve_addr(self, args[-1]),)
        while True:
            try:
                return _ss.sendto(self, *args)
            except BlockingIOError:
                if self._timeout == 0.0:
                    raise
            self._wait(WRITE, "socket.sendto")

    if hasattr(_ss, "sendmsg"):

        def sendmsg(self, *args) -> int:
            while True:
                try:
                    return _ss.sendmsg(self, *args)
                except BlockingIOError:
                    if self._timeout == 0.0:
                        raise
                self._wait(WRITE, "socket.sendmsg")

    def sendall(self, data, flags: int = 0) -> None:
        """Send every byte of ``data``; the timeout bounds the whole call, as in the stdlib."""
        try:
            sent = _ss.send(self, data, flags)
        except BlockingIOError:
            if self._timeout == 0.0:
                raise
            sent = 0
        view = memoryview(data)
        if view.itemsize != 1 or view.ndim != 1:
            view = view.cast("B")
        total = len(view)
        if sent >= total:
            return  # the usual case: it all fitted in the kernel's buffer at once
        hub = get_hub()
        fd = _ss.fileno(self)
        timeout = self._timeout
        deadline = None if timeout is None else hub.now() + timeout
        with view:
            while sent < total:
                if timeout == 0.0:  # non-blocking: BlockingIOError when the buffer is full
                    sent += _ss.send(self, view[sent:], flags)
                    continue
                left = None if deadline is None else deadline - hub.now()
                if left is not None and left <= 0:
                    raise TimeoutError("timed out")
                hub.wait_fd(fd, WRITE, left, None, "socket.sendall", True)
                try:
                    sent += _ss.send(self, view[sent:], flags)
                except BlockingIOError:
                    pass

    def _sendfile_use_sendfile(self, file, offset=0, count=None):
        # The stdlib's zero-copy path waits in a private selector (blocking the thread); give
        # up on it so that sendfile() falls back to its loop over our cooperative send().
        raise __socket__._GiveupOnSendfile("coopconc sends files with send()")

    # -- connections ------------------------------------------------------------------------

    def accept(self):
        """Wait for a connection; return ``(coopconc socket, address)``."""
        while True:
            try:
                fd, address = _ss._accept(self)
                break
            except BlockingIOError:
                if self._timeout == 0.0:
                    raise
            self._wait(READ, "socket.accept")
        sock = socket(_family_of(self), _type_of(self), _proto_of(self), fileno=fd)
        return sock, address

    def connect(self, address) -> None:
        """Connect to ``address``, waiting (cooperatively) for the handshake to finish."""
        err = self._connect(address)
        if err:
            raise OSError(err, os.strerror(err))

    def connect_ex(self, address) -> int:
        """Like ``connect`` but return the error number (0 for success) instead of raising."""
        try:
            return self._connect(address)
        except TimeoutError:
            return EAGAIN
        except gaierror:
            raise
        except OSError as exc:
            if exc.errno:
                return exc.errno
            raise

    def _connect(self, address) -> int:
        if self._timeout == 0.0:
            return _ss.connect_ex(self, address)
        address = _resolve_addr(self, address)
        err = _ss.connect_ex(self, address)
        if err in (EINPROGRESS, EWOULDBLOCK, EALREADY):
            self._wait(WRITE, "socket.connect")
            err = _ss.getsockopt(self, SOL_SOCKET, SO_ERROR)
        return 0 if err == EISCONN else err

    # -- closing ----------------------------------------------------------------------------

    def _real_close(self, _ss=_ss):
        # The stdlib's close() calls this once no makefile() object uses the socket any more.
        _wake_waiters_of(_ss.fileno(self))
        _ss.close(self)

    def detach(self) -> int:
        _wake_waiters_of(_ss.fileno(self))
        return _stdlib_socket.detach(self)

    def __del__(self, _ss=_ss):
        # A socket dropped without close(): forget its fd before it is closed, so that a
        # registration the hub kept (wait_fd keep=True) cannot outlive it. Then the C type's
        # own finalizer, which this method replaces, closes the fd (with a ResourceWarning).
        try:
            fd = _ss.fileno(self)
            if fd >= 0:
                _wake_waiters_of(fd)
        except Exception:  # never raise from __del__ (e.g. at interpreter shutdown)
            pass
        _ss.__del__(self)

    def __repr__(self) -> str:
        text = _stdlib_socket.__repr__(self)
        if self._timeout is not None and not self._closed:
            text = text[:-1] + f", timeout={self._timeout:g}>"
        return text


SocketType = socket


# ---------------------------------------------------------------------------------------------
# Making sockets


def socketpair(family=None, type=SOCK_STREAM, proto=0):
    """Two connected coopconc sockets (AF_UNIX by default), as ``socket.socketpair``."""
    if family is None:
        family = AF_UNIX
    a, b = _socket.socketpair(family, type, proto)
    return socket(family, type, proto, a.detach()), socket(family, type, proto, b.detach())


def fromfd(fd, family, type, proto=0):
    """A coopconc socket on a duplicate of file descriptor ``fd``."""
    return socket(family, type, proto, os.dup(fd))


def create_connection(
    address, timeout=_GLOBAL_DEFAULT_TIMEOUT, source_address=None, *, all_errors=False
):
    """Connect to ``(host, port)``, trying each address the name resolves to, in turn."""
    host, port = address
    errors = []
    for family, type_, proto, _canonname, sockaddr in getaddrinfo(host, port, 0, SOCK_STREAM):
        sock = None
        try:
            sock = socket(family, type_, proto)
            if timeout is not _GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            errors.append(exc)
            if sock is not None:
                sock.close()
    if not errors:
        raise OSError("getaddrinfo returns an empty list")
    try:
        if all_errors:
            raise ExceptionGroup("create_connection failed", errors)  # noqa: F821 (3.11+)
        raise errors[0]
    finally:
        errors = None  # no reference cycle through the traceback


def create_server(address, *, family=AF_INET, backlog=None, reuse_port=False, dualstack_ipv6=False):
    """A listening coopconc socket bound to ``address`` (arguments as ``socket.create_server``)."""
    raw = __socket__.create_server(
        address,
        family=family,
        backlog=backlog,
        reuse_port=reuse_port,
        dualstack_ipv6=dualstack_ipv6,
    )
    return socket(_family_of(raw), _type_of(raw), _proto_of(raw), raw.detach())


# ---------------------------------------------------------------------------------------------
# Name lookups, in a thread so that only the asking greenlet waits


def _in_thread(fn, *args):
    """Call ``fn(*args)`` in the hub's thread pool and wait (cooperatively) for the answer.

    A failed lookup is an answer too: its exception is raised here, in the asking greenlet,
    and nowhere printed (the thread pool prints the errors of the jobs that *crash*).
    """
    ok, answer = get_hub().threadpool.apply(_outcome, (fn, args))
    if ok:
        return answer
    try:
        raise answer
    finally:
        answer = None  # no reference cycle through the traceback


def _outcome(fn, args):
    """In a worker thread: ``(True, fn(*args))``, or ``(False, the exception it raised)``."""
    try:
        return True, fn(*args)
    except Exception as exc:
        return False, exc


def _is_numeric(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("idna")
    if not isinstance(host, str):
        return False
    for family in (AF_INET, AF_INET6):
        try:
            _socket.inet_pton(family, host.partition("%")[0])
            return True
        except (OSError, ValueError):
            pass
    return False


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    """Resolve ``host`` and ``port`` into ``(family, type, proto, canonname, sockaddr)`` tuples."""
    if _is_numeric(host):
        return __socket__.getaddrinfo(host, port, family, type, proto, flags)
    return _in_thread(__socket__.getaddrinfo, host, port, family, type, proto, flags)


def gethostbyname(hostname: str) -> str:
    """The IPv4 address of ``hostname``, as a string."""
    if _is_numeric(hostname):
        return _socket.gethostbyname(hostname)
    return _in_thread(_socket.gethostbyname, hostname)


def gethostbyname_ex(hostname: str):
    """``(name, aliases, addresses)`` of ``hostname``."""
    return _in_thread(_socket.gethostbyname_ex, hostname)


def gethostbyaddr(ip_address: str):
    """``(name, aliases, addresses)`` of the host with that address."""
    return _in_thread(_socket.gethostbyaddr, ip_address)


def getnameinfo(sockaddr, flags: int):
    """``(host, port)`` for a socket address."""
    return _in_thread(_socket.getnameinfo, sockaddr, flags)


def getfqdn(name: str = "") -> str:
    """The fully qualified domain name of ``name`` (this host if empty)."""
    return _in_thread(__socket__.getfqdn, name)


def _resolve_addr(sock, address):
    """A ``(host, port)`` with a host *name* resolved cooperatively (numbers pass through)."""
    if not isinstance(address, tuple) or _family_of(sock) not in (AF_INET, AF_INET6):
        return address
    host, port = address[:2]
    if _is_numeric(host) or host == "":
        return address
    sockaddr = getaddrinfo(host, None, _family_of(sock))[0][-1]
    return (sockaddr[0], port) + tuple(sockaddr[2:])
