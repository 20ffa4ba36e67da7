"""Cooperative select and poll: wait for several file descriptors, blocking only this greenlet.

What it is
    ``select(rlist, wlist, xlist, timeout)`` and ``poll()`` with the standard library's
    arguments and results. Called from a greenlet, they park that greenlet instead of the
    whole thread, so an unmodified program that loops over ``select`` keeps the others running
    (``coopconc.monkey.patch_select()`` installs them in the ``select`` module).

How it is built on the hub
    1. Ask the kernel first, without waiting: the real ``select``/``poll`` with a zero timeout.
       If something is ready (or the timeout is 0) give the other greenlets one turn
       (``sleep(0)``, as gevent does) and return that answer.
    2. Otherwise wait until *any* of the descriptors is ready. The hub's one waiting path,
       ``hub.wait_fd``, watches one descriptor for one greenlet; so for several descriptors we
       start one tiny helper greenlet per descriptor, each parked in ``wait_fd``. The first
       helper to wake tells the caller (a hub callback that switches its ``Waiter``); the
       caller then kills the other helpers, which unregisters their descriptors. One
       descriptor needs no helper: the caller waits on it itself.
    3. Ask the kernel again with a zero timeout and return its answer -- so the result has the
       stdlib's form exactly (the same objects, in the order you gave them; the kernel's
       ``revents`` for poll). If nothing turned out to be ready, go back to 2 with the time
       left.

    Differences from the stdlib, shared with gevent: ``xlist`` is checked but not waited for
    (a descriptor that is only in ``xlist`` does not wake the call); poll waits only for
    ``POLLIN`` and ``POLLOUT``. Because ``wait_fd`` lets one greenlet wait per descriptor and
    direction, two greenlets cannot select for reading on the same socket at the same time
    (coopconc raises ``ConcurrentObjectUseError`` instead of waiting twice).

Taught in notebooks 03 (event loops) and 04 (greenlets: implicit switches on I/O).
"""

from __future__ import annotations

import select as __select__
from errno import ENOENT

from greenlet import GreenletExit, getcurrent, greenlet

from coopconc.hub import READ, WRITE, Waiter, get_hub, sleep

__all__ = ["error", "select", "poll"]
# the stdlib's other names (constants such as POLLIN, and epoll itself) are offered unchanged
for _name in dir(__select__):
    if not _name.startswith("_") and _name not in __all__:
        globals()[_name] = getattr(__select__, _name)
        __all__.append(_name)
del _name

error = OSError
POLLIN = __select__.POLLIN
POLLOUT = __select__.POLLOUT
POLLPRI = __select__.POLLPRI

_original_select = __select__.select
_original_poll = __select__.poll


def _fileno(obj) -> int:
    """The file descriptor of an int or of an object with ``fileno()``, as select checks it."""
    if isinstance(obj, int):
        fd = obj
    else:
        try:
            fd = int(obj.fileno())
        except (AttributeError, TypeError, ValueError):
            raise ValueError(f"Invalid file object: {obj!r}") from None
    if fd < 0:
        raise ValueError(f"Invalid file descriptor: {fd}")
    return fd


class _Expired(Exception):
    """Private: the one-descriptor wait ran out of time."""


def _watch(hub, fd: int, events: int, waiter: Waiter, reason: str, cancelled: list) -> None:
    """A helper greenlet: wait for one descriptor, then wake the caller (from the hub)."""
    if cancelled[0]:
        return  # the caller stopped waiting before this helper even started
    try:
        hub.wait_fd(fd, events, None, None, reason)
    except GreenletExit:
        return  # the caller is done waiting and killed us
    except OSError:
        pass  # closed by another greenlet: the caller's real select will report it
    except Exception as exc:  # e.g. someone else already waits on this fd: tell the caller
        hub.run_callback(waiter.throw, exc)
        return
    hub.run_callback(waiter.switch, fd)


def _wait_any(fd_events: dict, timeout, reason: str) -> None:
    """Park the current greenlet until one fd is ready for its events, or ``timeout`` s pass."""
    hub = get_hub()
    if len(fd_events) == 1:
        ((fd, events),) = fd_events.items()
        try:
            hub.wait_fd(fd, events, timeout, _Expired(), reason)
        except (_Expired, OSError):
            pass  # time is up, or the fd was closed: the caller asks the kernel what is what
        return
    waiter = Waiter(hub)
    cancelled = [False]
    helpers = []
    for fd, events in fd_events.items():
        helper = greenlet(_watch, hub)
        helpers.append(helper)
        hub.run_callback(helper.switch, hub, fd, events, waiter, reason, cancelled)
    timer = None
    if timeout is not None:
        timer = hub.timer(timeout)
        timer.start(waiter.switch, None)
    try:
        waiter.get(reason, sorted(fd_events))
    finally:
        if timer is not None:
            timer.stop()
        cancelled[0] = True
        current = getcurrent()
        for helper in helpers:
            if helper:  # started and still waiting: kill it here and now, so that its fd is
                helper.parent = current  # unregistered before we return (and it comes back
                helper.throw(GreenletExit)  # to us, not to the hub, when it dies)


def _wait_forever(reason: str) -> None:
    Waiter().get(reason)  # nothing to watch: only a Timeout or kill can end this


def select(rlist, wlist, xlist, timeout=None):
    """Wait until some of the objects are ready to read (``rlist``) or write (``wlist``).

    Returns three lists, as ``select.select`` does. ``timeout`` in seconds (None: no limit).
    """
    if timeout is not None and timeout < 0:
        raise ValueError("timeout must be non-negative")
    ready = _original_select(rlist, wlist, xlist, 0)
    if ready[0] or ready[1] or ready[2] or timeout == 0:
        sleep(0)  # a select never lets its caller run on without giving the others a turn
        return ready
    fd_events: dict = {}
    for obj in rlist:
        fd = _fileno(obj)
        fd_events[fd] = fd_events.get(fd, 0) | READ
    for obj in wlist:
        fd = _fileno(obj)
        fd_events[fd] = fd_events.get(fd, 0) | WRITE
    if not fd_events:  # nothing to wait for: it is a sleep
        if timeout is None:
            _wait_forever("select with nothing to watch")
        sleep(timeout)
        return ready
    hub = get_hub()
    deadline = None if timeout is None else hub.now() + timeout
    left = timeout
    while True:
        _wait_any(fd_events, left, "select")
        ready = _original_select(rlist, wlist, xlist, 0)
        if ready[0] or ready[1] or ready[2]:
            return ready
        if deadline is not None:
            left = deadline - hub.now()
            if left <= 0:
                return ready


class poll:  # noqa: N801 (the stdlib's name)
    """``select.poll()`` that waits cooperatively: register, modify, unregister, poll."""

    def __init__(self):
        self.fds: dict[int, int] = {}  # fd -> the event mask asked for
        self._real = _original_poll()  # asked with a zero timeout, never waited on

    def register(self, fd, eventmask: int = POLLIN | POLLPRI | POLLOUT) -> None:
        """Watch ``fd`` (an int or an object with ``fileno()``) for the events in the mask."""
        fileno = _fileno(fd)
        self._real.register(fileno, eventmask)
        self.fds[fileno] = eventmask

    def modify(self, fd, eventmask: int) -> None:
        """Change the events watched on an already registered ``fd``."""
        fileno = _fileno(fd)
        if fileno not in self.fds:
            raise FileNotFoundError(ENOENT, f"poll.modify({fileno}): fd is not registered")
        self._real.modify(fileno, eventmask)
        self.fds[fileno] = eventmask

    def unregister(self, fd) -> None:
        """Stop watching ``fd`` (KeyError if it was not registered)."""
        fileno = _fileno(fd)
        del self.fds[fileno]
        self._real.unregister(fileno)

    def poll(self, timeout=None) -> list:
        """``[(fd, revents), ...]`` of the ready descriptors; ``timeout`` in milliseconds
        (None or negative: no limit)."""
        if timeout is not None:
            timeout = None if timeout < 0 else timeout / 1000.0
        ready = self._real.poll(0)
        if ready or timeout == 0:
            sleep(0)
            return ready
        fd_events = {}
        for fd, mask in self.fds.items():
            events = (READ if mask & POLLIN else 0) | (WRITE if mask & POLLOUT else 0)
            if events:
                fd_events[fd] = events
        if not fd_events:
            if timeout is None:
                _wait_forever("poll with nothing to watch")
            sleep(timeout)
            return ready
        hub = get_hub()
        deadline = None if timeout is None else hub.now() + timeout
        left = timeout
        while True:
            _wait_any(fd_events, left, "poll")
            ready = self._real.poll(0)
            if ready:
                return ready
            if deadline is not None:
                left = deadline - hub.now()
                if left <= 0:
                    return ready

    def __repr__(self) -> str:
        return f"<coopconc.select.poll fds={sorted(self.fds)}>"
