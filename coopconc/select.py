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
       ``hub.wait_fd``, lets one greenlet wait for each (descriptor, event); so the waiting
       is done by tiny helper greenlets, one per (descriptor, event), each parked in
       ``wait_fd``. A helper is shared: every select or poll call that wants the same
       descriptor and event joins the helper already there (so several greenlets may select
       on one socket, as in gevent). When a helper wakes, it wakes all its callers (hub
       callbacks switching their ``Waiter``s). A call that stops waiting leaves its helpers;
       the last one to leave a helper kills it at once, which unregisters the descriptor
       before select returns.
    3. Ask the kernel again with a zero timeout and return its answer -- so the result has the
       stdlib's form exactly (the same objects, in the order you gave them; the kernel's
       ``revents`` for poll). If nothing turned out to be ready, go back to 2 with the time
       left.

    Differences from the stdlib, shared with gevent: ``xlist`` is checked but not waited for
    (a descriptor that is only in ``xlist`` does not wake the call); poll waits only for
    ``POLLIN`` and ``POLLOUT``. One difference from gevent: a select on a socket that a
    ``recv`` (or ``send``) of another greenlet already waits on raises
    ``ConcurrentObjectUseError`` -- the hub lets one wait per descriptor and event, and the
    socket's wait is not a helper that select could share.

Taught in notebooks 03 (event loops) and 04 (greenlets: implicit switches on I/O).
"""

from __future__ import annotations

import select as __select__
import weakref
from errno import ENOENT

from greenlet import GreenletExit, getcurrent, greenlet

from coopconc.hub import READ, WRITE, Waiter, check_timeout, get_hub, sleep

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


class _Watch:
    """One helper greenlet waiting in ``hub.wait_fd`` for one fd and one event (READ or WRITE),
    on behalf of every select/poll call that asked for it (its ``callers``, their Waiters)."""

    __slots__ = ("hub", "key", "callers", "helper", "stopped")

    def __init__(self, hub, fd: int, event: int, reason: str):
        self.hub = hub
        self.key = (fd, event)
        self.callers: list = []
        self.stopped = False
        self.helper = greenlet(self._run, hub)
        hub.run_callback(self.helper.switch, reason)

    def _run(self, reason: str) -> None:
        if self.stopped:
            return  # every caller stopped waiting before this helper even started
        fd, event = self.key
        try:
            outcome = self.hub.wait_fd(fd, event, None, None, reason)
        except GreenletExit:
            return  # the last caller is done waiting and killed us
        except OSError:
            outcome = fd  # closed by another greenlet: the callers' real select reports it
        except Exception as exc:  # e.g. a socket's own recv already waits on this fd
            outcome = exc
        self.stopped = True
        _watches(self.hub).pop(self.key, None)
        wake = "throw" if isinstance(outcome, Exception) else "switch"
        for waiter in self.callers:
            self.hub.run_callback(getattr(waiter, wake), outcome)

    def leave(self, waiter: Waiter) -> None:
        """``waiter``'s call is done waiting; the last caller to leave stops the helper now."""
        self.callers.remove(waiter)
        if self.callers or self.stopped:
            return
        self.stopped = True
        _watches(self.hub).pop(self.key, None)
        helper = self.helper
        if helper:  # started and still waiting: kill it here and now, so that its fd is
            helper.parent = getcurrent()  # unregistered before select returns (and it comes
            helper.throw(GreenletExit)  # back to us, not to the hub, when it dies)


_hub_watches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _watches(hub) -> dict:
    """The watches of ``hub``'s thread: ``{(fd, event): _Watch}``."""
    table = _hub_watches.get(hub)
    if table is None:
        table = _hub_watches[hub] = {}
    return table


def _wait_any(fd_events: dict, timeout, reason: str) -> None:
    """Park the current greenlet until one fd is ready for its events, or ``timeout`` s pass."""
    hub = get_hub()
    waiter = Waiter(hub)
    timer = None
    if timeout is not None:
        timer = hub.timer(timeout)
        timer.start(waiter.switch, None)
    table = _watches(hub)
    joined = []
    try:
        for fd, events in fd_events.items():
            for event in (READ, WRITE):
                if events & event:
                    watch = table.get((fd, event))
                    if watch is None:
                        watch = table[fd, event] = _Watch(hub, fd, event, reason)
                    watch.callers.append(waiter)
                    joined.append(watch)
        waiter.get(reason, sorted(fd_events))
    finally:
        if timer is not None:
            timer.stop()
        for watch in joined:
            watch.leave(waiter)


def _wait_forever(reason: str) -> None:
    Waiter().get(reason)  # nothing to watch: only a Timeout or kill can end this


def select(rlist, wlist, xlist, timeout=None):
    """Wait until some of the objects are ready to read (``rlist``) or write (``wlist``).

    Returns three lists, as ``select.select`` does. ``timeout`` in seconds (None: no limit).
    """
    timeout = check_timeout("select", timeout)
    if timeout is not None and timeout < 0:
        raise ValueError(f"select(timeout={timeout!r}): timeout must be non-negative")
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


class poll:
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
        timeout = check_timeout("poll.poll", timeout)
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
