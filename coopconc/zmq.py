"""Green ZeroMQ: pyzmq's sockets, with every blocking call parking only the calling greenlet.

What it is
    ``import coopconc.zmq as zmq`` gives what ``import zmq.green as zmq`` gives on gevent:
    every name of ``zmq`` (``REQ``, ``PUB``, ``NOBLOCK``, ``Again``, ``ZMQError``...) and three
    classes of our own, ``Context``, ``Socket`` and ``Poller``, which subclass pyzmq's. Their
    ``send``/``recv`` (and so ``send_multipart``, ``recv_json``, ``send_pyobj``... which pyzmq
    builds on them), ``Socket.poll`` and ``Poller.poll`` wait in the hub, so two greenlets in
    one process can talk over ZeroMQ.

How it is built on the hub
    A blocking call first tries the operation with ``NOBLOCK``. If ZeroMQ answers ``Again``
    the greenlet waits in the hub (``hub.wait_fd``) on the socket's ``zmq.FD`` for reading,
    then tries again.

The lesson: that file descriptor is edge-triggered
    ``zmq.FD`` is not "the socket is readable". It is a doorbell that libzmq rings when the
    socket's state changes from what libzmq last *told* somebody, and it is silenced whenever
    anybody asks libzmq about the state -- reading ``zmq.EVENTS``, and every ``send`` and
    ``recv`` as a side effect. Two consequences, both of which hang a careless implementation
    forever:

    1. The doorbell rings once for a whole burst of messages, and not at all for messages
       that arrive while libzmq believes you already know there is something to read. A recv
       that sleeps on the fd and then takes one message sleeps for good after the first,
       with the rest queued. So *before every wait*, ask: try the operation with
       ``NOBLOCK`` or read ``zmq.EVENTS``, and sleep on the fd only when the answer is
       "nothing".
    2. A ``send`` or ``recv`` made by one greenlet can change what *another* greenlet waits
       for (a REP socket becomes writable after a recv), and it silences the doorbell that
       the other greenlet sleeps on. So *after every operation*, if anybody else waits on the
       socket, read ``zmq.EVENTS`` and wake those whose event it now shows.

    ``Socket._cc_events`` is the second rule in one place: whoever reads ``EVENTS`` hands the
    news to the other waiters (a ``getsockopt(zmq.EVENTS)`` of your own included). Notebook
    18 shows the hang when the first rule is left out.

Several greenlets on one socket
    The hub lets one greenlet wait on an fd; ZeroMQ sockets are often shared (two senders on
    a DEALER, a reader and a writer). The first greenlet to wait on a socket sleeps on its fd
    (the *leader*); the others sleep on a ``Waiter`` (the *followers*). Whoever reads
    ``EVENTS`` wakes the waiters it satisfies (the leader through ``hub.cancel_wait``); a
    leader that leaves wakes the followers, one of which takes its place.

Timeouts and errors
    ``RCVTIMEO``/``SNDTIMEO`` are honoured: ``zmq.Again`` when they expire (``zmq.green``
    ignores them with a warning: a coopconc addition). ``NOBLOCK`` never waits. A
    ``coopconc.Timeout`` (or a kill) cancels a wait cleanly. Closing a socket wakes every
    greenlet waiting on it, which then gets pyzmq's own ``ZMQError`` (ENOTSOCK), as on gevent.
    The wait reason is ``"zmq recv on REP"`` (or send/poll): the greenlet's state, the
    tracer and the deadlock report say it. A greenlet parked on a ZeroMQ socket keeps the
    hub's loop alive (a peer in another process may still send), so two greenlets that both
    wait in ``recv`` wait forever, as on gevent: put a Timeout around a call that may never
    be answered. ``Context.term()`` is pyzmq's own and blocks the thread until every socket
    is closed: close them first. ``zmq.proxy``/``zmq.device`` would block the whole thread,
    so they raise an error that says what to do instead.

Taught in notebook 18 (ZeroMQ).
"""

from __future__ import annotations

from typing import Any

import zmq as _zmq
from greenlet import GreenletExit, getcurrent, greenlet

from coopconc.hub import READ, WRITE, Waiter, get_hub

# Every public name of pyzmq, then ours on top of the three classes.
__all__: list[str] = []
for _name in _zmq.__all__:
    if _name not in ("Context", "Socket", "Poller", "select", "proxy", "device"):
        globals()[_name] = getattr(_zmq, _name)
        __all__.append(_name)
del _name
__all__ += ["Context", "Socket", "Poller", "select", "proxy", "device", "proxy_steerable"]

# plain ints: pyzmq's constants are enums, slow to combine on the hot path
_EAGAIN = int(_zmq.EAGAIN)
_NOBLOCK = int(_zmq.NOBLOCK)
_EVENTS = int(_zmq.EVENTS)
_POLLIN = int(_zmq.POLLIN)
_POLLOUT = int(_zmq.POLLOUT)
_RCVTIMEO = int(_zmq.RCVTIMEO)
_SNDTIMEO = int(_zmq.SNDTIMEO)
_get_option = _zmq.Socket.get  # pyzmq's own getsockopt, without our EVENTS hook


class _Recheck(Exception):
    """Private: thrown into a leader parked on the fd -- EVENTS changed, look again."""


class _Expired(Exception):
    """Private: the wait ran out of time (RCVTIMEO, SNDTIMEO or a poll timeout)."""


def _again() -> _zmq.Again:
    return _zmq.Again(_EAGAIN)


class _Waiting:
    """Who waits on one socket: the state behind the leader/follower scheme."""

    __slots__ = ("hub", "fd", "leader", "leading", "followers")

    def __init__(self, fd: int):
        self.hub = None  # the hub of the first wait (closing tells it)
        self.fd = fd
        self.leader = 0  # the events the greenlet sleeping on the fd wants (0: none, or woken)
        self.leading = False  # a greenlet sleeps on the fd (until it is back in _cc_wait)
        self.followers: list = []  # [Waiter, wanted events] of the others

    def __len__(self) -> int:
        return self.leading + len(self.followers)


class Socket(_zmq.Socket):
    """A pyzmq socket whose blocking calls wait in the hub (``zmq.green.Socket``'s twin)."""

    _repr_cls = "coopconc.zmq.Socket"
    # pyzmq turns unknown attribute assignments into socket options: ours is declared here.
    _cc: _Waiting | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cc = _Waiting(_get_option(self, _zmq.FD))

    # -- the edge-triggered rule ----------------------------------------------------------

    def _cc_events(self) -> int:
        """Read ``zmq.EVENTS`` and pass the news on to every other greenlet it concerns.

        Reading EVENTS silences the fd's doorbell, so whoever reads it must wake the
        waiters it satisfies: nobody else will.
        """
        events = _get_option(self, _EVENTS)
        waiting = self._cc
        if waiting.leader & events:
            waiting.leader = 0  # woken: the next dispatch must not wake it twice
            waiting.hub.cancel_wait(waiting.fd, _Recheck())
        followers = waiting.followers
        if followers:
            for entry in list(followers):
                if entry[1] & events:
                    followers.remove(entry)
                    waiting.hub.run_callback(entry[0].switch, None)
        return events

    def _cc_after(self) -> None:
        """After an operation: if anybody waits here, re-check EVENTS for them."""
        if self._cc and not self.closed:
            self._cc_events()

    def _cc_wake_followers(self) -> None:
        """The leader is leaving: wake the followers, one of them will take its place."""
        waiting = self._cc
        for waiter, _ in waiting.followers:
            waiting.hub.run_callback(waiter.switch, None)
        waiting.followers.clear()

    def _cc_wait(self, wanted: int, deadline: float | None, reason: str) -> None:
        """Park until EVENTS shows one of ``wanted``; ``_Expired`` once ``deadline`` passes."""
        waiting = self._cc
        hub = waiting.hub = get_hub()
        try:
            while not (self._cc_events() & wanted):  # rule 1: look before you sleep
                timeout = None
                if deadline is not None:
                    timeout = deadline - hub.now()
                    if timeout <= 0:
                        raise _Expired
                if waiting.leading:
                    self._cc_follow(hub, wanted, timeout, reason)
                    continue
                waiting.leading = True
                waiting.leader = wanted
                try:
                    hub.wait_fd(waiting.fd, READ, timeout, _Expired(), reason, keep=True)
                except (_Recheck, _Expired):
                    pass  # the loop looks at EVENTS once more (and then gives up if expired)
                finally:
                    waiting.leader = 0
                    waiting.leading = False
        finally:
            if not waiting.leading and waiting.followers:
                self._cc_wake_followers()

    def _cc_follow(self, hub, wanted: int, timeout: float | None, reason: str) -> None:
        waiter = Waiter(hub)
        entry = [waiter, wanted]
        followers = self._cc.followers
        followers.append(entry)
        timer = None
        if timeout is not None:
            timer = hub.timer(timeout)
            timer.start(waiter.switch, None)
        try:
            waiter.get(reason, self)
        finally:
            if timer is not None:
                timer.stop()
            if entry in followers:
                followers.remove(entry)

    def _cc_deadline(self, option: int) -> float | None:
        """When a wait governed by RCVTIMEO/SNDTIMEO must give up (None: never)."""
        ms = _get_option(self, option)
        if ms < 0:
            return None
        return get_hub().now() + ms / 1000.0

    def _cc_retry(self, op, flags: int, wanted: int, verb: str, option: int):
        """Try ``op(flags | NOBLOCK)`` until it does not say Again, waiting in the hub between."""
        if flags & _NOBLOCK:
            try:
                return op(flags)
            finally:
                self._cc_after()
        flags |= _NOBLOCK
        deadline = False  # not looked up yet
        while True:
            try:
                result = op(flags)
            except _zmq.ZMQError as exc:
                if exc.errno != _EAGAIN:
                    self._cc_after()
                    raise
            else:
                self._cc_after()  # rule 2: tell the others what this operation changed
                return result
            if deadline is False:
                deadline = self._cc_deadline(option)
            try:
                self._cc_wait(wanted, deadline, f"zmq {verb} on {self._type_name}")
            except _Expired:
                raise _again() from None

    # -- the blocking calls -----------------------------------------------------------------

    def send(self, data: Any, flags: int = 0, copy: bool = True, track: bool = False, **kwargs):
        """Send a message part; waits cooperatively while the socket cannot take it."""
        op = lambda f: super(Socket, self).send(data, f, copy=copy, track=track, **kwargs)
        return self._cc_retry(op, flags, _POLLOUT, "send", _SNDTIMEO)

    def recv(self, flags: int = 0, copy: bool = True, track: bool = False):
        """Receive a message part; waits cooperatively until one arrives."""
        op = lambda f: super(Socket, self).recv(f, copy=copy, track=track)
        return self._cc_retry(op, flags, _POLLIN, "recv", _RCVTIMEO)

    def recv_into(self, buffer: Any, /, *, nbytes: int = 0, flags: int = 0) -> int:
        """Receive into ``buffer``; waits cooperatively until a message arrives."""
        op = lambda f: super(Socket, self).recv_into(buffer, nbytes=nbytes, flags=f)
        return self._cc_retry(op, flags, _POLLIN, "recv", _RCVTIMEO)

    def get(self, option: int):
        """getsockopt; reading EVENTS yourself passes the news on to waiting greenlets."""
        if option == _EVENTS:
            return self._cc_events()
        return super().get(option)

    getsockopt = get

    def close(self, linger: int | None = None) -> None:
        """Close the socket; greenlets waiting on it wake up with ZMQError (ENOTSOCK)."""
        waiting = self._cc
        if waiting is not None and waiting.hub is not None and not self.closed:
            # (also drops a registration that wait_fd(keep=True) left for this turn)
            waiting.hub.cancel_wait(waiting.fd, _Recheck())
            waiting.leader = 0
            self._cc_wake_followers()
        super().close(linger)

    def __repr__(self) -> str:
        text = super().__repr__()
        waiting = len(self._cc) if self._cc is not None else 0
        return text[:-1] + f" waiters={waiting}>" if waiting else text


class Context(_zmq.Context):
    """A pyzmq Context whose ``socket()`` makes coopconc.zmq Sockets."""

    _socket_class = Socket
    _repr_cls = "coopconc.zmq.Context"
    _instance = None  # instance() of this class is not the plain zmq one


class Poller(_zmq.Poller):
    """``zmq.Poller`` whose ``poll(timeout)`` (milliseconds) waits cooperatively.

    Sockets are coopconc.zmq Sockets, other zmq sockets, or anything with ``fileno()``.
    """

    def poll(self, timeout: float | None = None) -> list:
        """[(socket, events)] of the ready items; ``timeout`` in ms (None or -1: no limit)."""
        if timeout is not None and not isinstance(timeout, (int, float)):
            raise TypeError(f"Poller.poll(timeout={timeout!r}): give milliseconds as a number")
        if timeout is not None and timeout != timeout:
            raise ValueError(
                "Poller.poll(timeout=nan): give milliseconds >= 0, or None (or -1) for no limit"
            )
        if timeout is None or timeout < 0 or timeout == float("inf"):
            timeout = -1
        hub = get_hub()
        deadline = None if timeout < 0 else hub.now() + timeout / 1000.0
        while True:
            ready = super().poll(0)
            for sock, _ in self.sockets:
                if isinstance(sock, Socket):
                    sock._cc_after()  # zmq_poll read their EVENTS: rule 2
            if ready or timeout == 0:
                return ready
            left = None
            if deadline is not None:
                left = deadline - hub.now()
                if left <= 0:
                    return ready
            self._cc_wait_any(hub, left)

    def _cc_wait_any(self, hub, timeout: float | None) -> None:
        """Park until one registered item may be ready, or ``timeout`` seconds pass."""
        items = [(s, f) for s, f in self.sockets if f & (_POLLIN | _POLLOUT)]
        if not items:
            waiter = Waiter(hub)
            timer = None
            if timeout is not None:
                timer = hub.timer(timeout)
                timer.start(waiter.switch, None)
            try:
                waiter.get("zmq Poller.poll with nothing to wait for")
            finally:
                if timer is not None:
                    timer.stop()
            return
        deadline = None if timeout is None else hub.now() + timeout
        if len(items) == 1:  # the usual Socket.poll(): no helper greenlet needed
            try:
                _wait_item(hub, items[0], deadline)
            except _Expired:
                pass
            return
        waiter = Waiter(hub)
        cancelled = [False]
        helpers = []
        for item in items:
            helper = greenlet(_watch_item, hub)
            helpers.append(helper)
            hub.run_callback(helper.switch, hub, item, waiter, cancelled)
        timer = None
        if timeout is not None:
            timer = hub.timer(timeout)
            timer.start(waiter.switch, None)
        try:
            waiter.get("zmq Poller.poll", [s for s, _ in items])
        finally:
            if timer is not None:
                timer.stop()
            cancelled[0] = True  # a helper not started yet returns at once
            current = getcurrent()
            for helper in helpers:
                if helper:  # still waiting: end it now, and have it come back to us
                    helper.parent = current
                    helper.throw(GreenletExit)


def _wait_item(hub, item, deadline: float | None) -> None:
    """Wait until one poller item may be ready (``_Expired`` at the deadline)."""
    sock, flags = item
    if isinstance(sock, Socket):
        sock._cc_wait(flags & (_POLLIN | _POLLOUT), deadline, f"zmq poll on {sock._type_name}")
        return
    if isinstance(sock, _zmq.Socket):  # a plain pyzmq socket: its fd, with the same rule
        fd, events = sock.getsockopt(_zmq.FD), READ
    else:
        fd = sock if isinstance(sock, int) else sock.fileno()
        events = (READ if flags & _POLLIN else 0) | (WRITE if flags & _POLLOUT else 0)
    timeout = None if deadline is None else max(0.0, deadline - hub.now())
    hub.wait_fd(fd, events, timeout, _Expired(), "zmq Poller.poll")


def _watch_item(hub, item, waiter: Waiter, cancelled: list) -> None:
    """A Poller helper greenlet: wait for one item, then wake the poller (from the hub)."""
    if cancelled[0]:
        return  # the poller stopped waiting before this helper started
    try:
        _wait_item(hub, item, None)
    except GreenletExit:
        return
    except Exception:  # closed under us, say: the poller's real zmq_poll will tell
        pass
    hub.run_callback(waiter.switch, None)


Socket._poller_class = Poller


def select(rlist: list, wlist: list, xlist: list, timeout: float | None = None) -> tuple:
    """``zmq.select`` (timeout in seconds) over the green Poller."""
    poller = Poller()
    for s in set(rlist + wlist + xlist):
        flags = (
            (_POLLIN if s in rlist else 0)
            | (_POLLOUT if s in wlist else 0)
            | (_zmq.POLLERR if s in xlist else 0)
        )
        poller.register(s, flags)
    ready = dict(poller.poll(None if timeout is None else timeout * 1000))
    return (
        [s for s in rlist if ready.get(s, 0) & _POLLIN],
        [s for s in wlist if ready.get(s, 0) & _POLLOUT],
        [s for s in xlist if ready.get(s, 0) & _zmq.POLLERR],
    )


def proxy(*args: Any, **kwargs: Any) -> None:
    """Not green: zmq.proxy runs inside libzmq and would freeze every greenlet."""
    raise NotImplementedError(
        "coopconc.zmq.proxy: libzmq's proxy blocks the whole thread, so every greenlet would "
        "stop; write the loop yourself (a Poller over both sockets, recv_multipart from the "
        "ready one, send_multipart to the other), or run the proxy in a real thread"
    )


device = proxy_steerable = proxy
