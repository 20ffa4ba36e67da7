"""The hub: one event loop per OS thread, and the one path by which every greenlet waits.

What it is
    The hub is a greenlet like any other, created on first use in each OS thread. Its job is to
    decide who runs next. A greenlet that has to wait for something (a timer, another greenlet,
    a queue item, a socket) switches to the hub; the hub runs until the thing happens and then
    switches back into the waiting greenlet. Nobody else switches: that is what "cooperative"
    means here.

The strategy
    Each turn of the loop does three things, in this order (the order gevent's libev loop uses):

    1. run the *callbacks* that are ready, first in, first out (``spawn`` and ``sleep(0)``
       put theirs here);
    2. wait for I/O on the registered file descriptors (epoll on Linux), but no
       longer than the next timer allows, then fire the *timers* that are due (a heap, the
       earliest first);
    3. wake the greenlets whose file descriptors are ready.

    When there are no callbacks, no timers and no file descriptors left, nothing can ever
    happen again. If the main greenlet is still waiting, it gets ``LoopExit`` -- with a list of
    every blocked greenlet, what it waits on and where.

The one waiting path
    Everything that blocks goes through a ``Waiter``: the waiting greenlet says *why* it waits
    (``waiter.get("Queue.get", queue)``), something else later calls ``waiter.switch(value)``.
    Because every wait passes here, the deadlock report, the tracer (``coopconc.trace``) and the
    virtual clock work for every primitive without any code of their own.

    Two waits are so frequent that they take the same steps without a Waiter object: ``sleep``
    (below) and ``joinall``'s iterator (in ``coopconc.greenlet``). They still mark the greenlet
    with its reason (``greenlet._cc_waiter``) and switch to the hub with the plain C switch, and
    they disarm their wake-up (a queued callback or a timer) if the wait ends another way -- a
    kill or a Timeout -- which is the one other thing a Waiter does for its user.

Clocks
    The hub is the only module that reads the time. With the real clock (the default) it sleeps
    in ``select``. With the virtual clock (``coopconc.virtual_clock()``), when every greenlet is
    waiting for a timer, time jumps straight to the next one: ``sleep(3)`` returns at once, and
    ``coopconc.now()`` says 3.0 every time.

Taught in notebooks 03 (event loops) and 04 (greenlets).
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import itertools
import os
import select as _select
import selectors
import sys
import time
import traceback
from _thread import RLock, get_ident
from _thread import _local as _thread_local
from collections import deque
from heapq import heappop as _heappop
from heapq import heappush as _heappush

from greenlet import GreenletExit, getcurrent, greenlet

from coopconc.exceptions import BlockingSwitchOutError, ConcurrentObjectUseError, LoopExit

__all__ = [
    "Hub",
    "Waiter",
    "Timer",
    "get_hub",
    "get_hub_if_exists",
    "check_timeout",
    "getcurrent",
    "sleep",
    "idle",
    "now",
    "wait_read",
    "wait_write",
    "wait_readwrite",
    "virtual_clock",
    "run",
    "set_hub_clock",
]

READ = selectors.EVENT_READ
WRITE = selectors.EVENT_WRITE

#: How long the hub runs callbacks before it looks at I/O and timers again (gevent's default).
SWITCH_INTERVAL = 0.005

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

_switch = greenlet.switch  # greenlet.switch(g, value): the plain C switch, no Python wrapper


# ---------------------------------------------------------------------------------------------
# Clocks


class RealClock:
    """The ordinary monotonic clock: time passes while the hub waits in ``select``."""

    virtual = False
    now = staticmethod(time.monotonic)

    def __repr__(self) -> str:
        return "<RealClock>"


class VirtualClock:
    """A clock that moves only when the hub has nothing to do but wait for a timer.

    ``io_wait`` is how many real seconds the hub waits for real I/O before it decides that only
    timers are left and jumps time forward (0: poll I/O without waiting).
    """

    virtual = True

    def __init__(self, start: float = 0.0, io_wait: float = 0.0):
        self.time = float(start)
        self.io_wait = io_wait

    def now(self) -> float:
        return self.time

    def advance_to(self, when: float) -> None:
        if when > self.time:
            self.time = when

    def __repr__(self) -> str:
        return f"<VirtualClock at {self.time:g}s>"


# ---------------------------------------------------------------------------------------------
# Timers


class Timer:
    """A one-shot timer: ``start(callback, *args)`` calls it in the hub after ``seconds``.

    ``ref=False`` means the timer does not keep the loop alive on its own. ``priority`` orders
    timers that fall due in the same turn: higher runs first (gevent's Timeout uses -1, so a
    ``sleep`` that ends at the same moment as a timeout wins).
    """

    __slots__ = ("hub", "seconds", "ref", "priority", "callback", "args", "_entry")

    def __init__(self, hub: Hub, seconds: float, ref: bool = True, priority: int = 0):
        self.hub = hub
        self.seconds = seconds
        self.ref = ref
        self.priority = priority
        self.callback = None
        self.args = ()
        self._entry = None  # [deadline, seq, self] while in the hub's heap

    @property
    def active(self) -> bool:
        return self._entry is not None

    pending = active

    @property
    def deadline(self) -> float | None:
        return self._entry[0] if self._entry is not None else None

    def start(self, callback, *args) -> None:
        if self._entry is not None:
            self.stop()
        self.callback = callback
        self.args = args
        hub = self.hub
        self._entry = entry = [hub.clock.now() + self.seconds, next(hub._seq), self]
        _heappush(hub._timers, entry)
        if self.ref:
            hub._timer_refs += 1

    def stop(self) -> None:
        entry = self._entry
        if entry is None:
            return  # never started, already stopped, or fired (the hub cleared it)
        entry[2] = None  # the heap entry stays, dead; the hub skips it
        self._entry = None
        self.callback = None
        self.args = ()
        hub = self.hub
        if self.ref:
            hub._timer_refs -= 1
        hub._dead_timers += 1
        if hub._dead_timers > 1024 and hub._dead_timers * 2 > len(hub._timers):
            hub._compact_timers()

    cancel = close = stop

    def __enter__(self) -> Timer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"due at {self._entry[0]:.6g}" if self._entry is not None else "inactive"
        return f"<Timer {self.seconds}s {state}>"


# ---------------------------------------------------------------------------------------------
# The one waiting path


class Waiter:
    """One wait of one greenlet: ``get(reason)`` parks it, ``switch(value)`` wakes it.

    ``switch`` may be called before ``get``: the value is kept and ``get`` returns it at once.
    ``throw`` wakes the waiter with an exception instead. Both must be called from the hub (as
    callbacks or links), never from another greenlet directly.
    """

    __slots__ = ("hub", "greenlet", "value", "exc", "fired", "reason", "obj")

    def __init__(self, hub: Hub | None = None):
        self.hub = hub if hub is not None else get_hub()
        self.greenlet = None
        self.value = None
        self.exc = None
        self.fired = False
        self.reason = None
        self.obj = None

    def get(self, reason: str = "wait", obj=None):
        """Park the current greenlet until ``switch`` or ``throw``; return the value switched in."""
        if self.fired:
            return self._take()
        cur = getcurrent()
        hub = self.hub
        if cur is hub:
            raise BlockingSwitchOutError(
                f"{reason}: cannot wait inside the hub (a callback or link tried to block); "
                "spawn a greenlet to do the waiting instead"
            )
        self.greenlet = cur
        self.reason = reason
        self.obj = obj
        cur._cc_waiter = self
        try:
            return _switch(hub)
        finally:
            cur._cc_waiter = None
            self.greenlet = None

    def _take(self):
        if self.exc is not None:
            exc, self.exc = self.exc, None
            raise exc
        return self.value

    def switch(self, value=None) -> None:
        """Wake the waiting greenlet with ``value`` (or keep it for a later ``get``)."""
        g = self.greenlet
        if g is None:
            self.value = value
            self.fired = True
        else:
            g.switch(value)

    def throw(self, exc: BaseException) -> None:
        g = self.greenlet
        if g is None:
            self.exc = exc
            self.fired = True
        else:
            g.throw(exc)

    def clear(self) -> None:
        self.fired = False
        self.value = None
        self.exc = None

    def ready(self) -> bool:
        return self.fired

    def __repr__(self) -> str:
        if self.greenlet is not None:
            return f"<Waiter {self.reason} greenlet={self.greenlet!r}>"
        return f"<Waiter {'fired' if self.fired else 'idle'}>"


def waiting_reason(g) -> str | None:
    """What greenlet ``g`` is parked on, as text (``"Queue.get"``), or None if it is not."""
    w = getattr(g, "_cc_waiter", None)
    return w.reason if w is not None else None


def where(g) -> str:
    """The file:line in user code where greenlet ``g`` is suspended (coopconc's frames skipped)."""
    frame = g.gr_frame if g is not getcurrent() else sys._getframe(1)
    fallback = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if fallback is None:
            fallback = frame
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR) and "greenlet" not in filename:
            return f"{filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back
    if fallback is not None:
        return f"{fallback.f_code.co_filename}:{fallback.f_lineno}"
    return "<not started>"


def _name_of(g) -> str:
    if getattr(g, "parent", True) is None:
        return "the main greenlet"
    name = getattr(g, "name", None)
    if isinstance(name, str):
        return f'greenlet "{name}"'
    return repr(g)


# ---------------------------------------------------------------------------------------------
# The hub


class _Poller:
    """The kernel's readiness API, as small as the hub needs: epoll where there is one.

    ``register``/``modify``/``unregister`` an fd with a mask of READ and WRITE, and ``poll``
    returns ``[(fd, mask), ...]``. On Linux this is ``select.epoll`` used directly (the
    ``selectors`` layer costs a Python object per call); elsewhere ``selectors`` does the work.
    """

    def __init__(self):
        epoll = getattr(_select, "epoll", None)
        self._epoll = epoll() if epoll is not None else None
        self._selector = None if epoll is not None else selectors.DefaultSelector()

    def register(self, fd: int, mask: int) -> None:
        if self._epoll is not None:
            self._epoll.register(fd, _EPOLL_MASKS[mask])
        else:
            self._selector.register(fd, mask)

    def modify(self, fd: int, mask: int) -> None:
        if self._epoll is not None:
            self._epoll.modify(fd, _EPOLL_MASKS[mask])
        else:
            self._selector.modify(fd, mask)

    def unregister(self, fd: int) -> None:
        try:
            if self._epoll is not None:
                self._epoll.unregister(fd)
            else:
                self._selector.unregister(fd)
        except (KeyError, ValueError, OSError):  # already closed: nothing to undo
            pass

    def poll(self, timeout):
        if self._epoll is not None:
            events = self._epoll.poll(-1 if timeout is None else timeout)
            return [(fd, _from_epoll(ev)) for fd, ev in events]
        return [(key.fd, mask) for key, mask in self._selector.select(timeout)]

    def close(self) -> None:
        if self._epoll is not None:
            self._epoll.close()
        else:
            self._selector.close()


_EPOLL_MASKS = {READ: _select.EPOLLIN, WRITE: _select.EPOLLOUT} if hasattr(_select, "epoll") else {}
if _EPOLL_MASKS:
    _EPOLL_MASKS[READ | WRITE] = _select.EPOLLIN | _select.EPOLLOUT
    _EPOLL_READ = _select.EPOLLIN | _select.EPOLLERR | _select.EPOLLHUP
    _EPOLL_WRITE = _select.EPOLLOUT | _select.EPOLLERR | _select.EPOLLHUP


_SLOTS = {READ: (0,), WRITE: (1,), READ | WRITE: (0, 1)}  # events -> the watcher slots used


def _from_epoll(ev: int) -> int:
    """epoll's event bits as READ/WRITE: an error or hang-up wakes both kinds of waiter."""
    return (READ if ev & _EPOLL_READ else 0) | (WRITE if ev & _EPOLL_WRITE else 0)


class Hub(greenlet):
    """The event loop of one OS thread (see the module's opening text)."""

    #: Exceptions that are not printed when a greenlet dies of them.
    NOT_ERROR = (GreenletExit, SystemExit)
    #: Exceptions that, raised in a greenlet, are passed on to the main greenlet.
    SYSTEM_ERROR = (KeyboardInterrupt, SystemExit, SystemError)

    def __init__(self, clock=None):
        super().__init__()
        self.clock = clock if clock is not None else RealClock()
        self._callbacks: deque = deque()
        self._timers: list = []
        self._seq = itertools.count()
        self._timer_refs = 0
        self._dead_timers = 0
        self._selector = None  # created when the first file descriptor is waited on
        self._io: dict[int, list] = {}  # fd -> [read Waiter or None, write Waiter or None]
        self._registered: dict[int, int] = {}  # fd -> the mask the kernel watches it for
        self._kept: set[int] = set()  # fds left registered by wait_fd(keep=True) this turn
        self._idlers: list = []
        self._refs = 0  # outside holders keeping the loop alive (thread pool jobs)
        self._wakeup = None  # (read_fd, write_fd) self-pipe for other threads and signals
        self._wakeup_lock = RLock()  # other threads (and signal handlers) make the wake-up
        self._threadpool = None  # made on first use of the ``threadpool`` property
        self.exception_stream = None  # None means sys.stderr at the time of the error
        self._destroying = False
        self._destroyed = False
        #: The OS thread this hub belongs to (``threading.get_ident()`` there).
        self.thread_ident = get_ident()
        #: ``hub.append_callback(entry)``: the fast form of ``run_callback`` for hot paths. The
        #: entry is ``(fn, args)``, or ``[fn, args]`` to be able to ``cancel_callback`` it; it
        #: is the deque's own ``append``, so it costs what the call costs and nothing more.
        self.append_callback = self._callbacks.append

    # -- scheduling -----------------------------------------------------------------------

    # The hub's internal API -- what the other modules of coopconc use, and all they use:
    #   run_callback / append_callback / cancel_callback   schedule (and disarm) a callback
    #   run_callback_threadsafe / ensure_wakeup           the same from another OS thread
    #   timer, now, wait_fd, cancel_wait, ref / unref      timers, the clock, file descriptors
    #   threadpool                                         the hub's own ThreadPool
    #   Waiter, check_timeout, get_hub_if_exists           (module level) the waiting path
    # Nothing outside ``coopconc/hub*`` touches an attribute of the hub that starts with "_".

    def run_callback(self, fn, *args) -> list:
        """Call ``fn(*args)`` in the hub on its next turn (first in, first out).

        Returns the queued entry; ``Hub.cancel_callback(entry)`` disarms it (gevent's
        ``run_callback`` returns a callback object with ``stop()`` for the same purpose).
        """
        entry = [fn, args]
        self._callbacks.append(entry)
        return entry

    @staticmethod
    def cancel_callback(entry) -> None:
        """Disarm a callback entry (from ``run_callback``, or a list given to ``append_callback``)
        so that it does nothing when its turn comes. Harmless if it already ran."""
        entry[0] = _nothing

    def run_callback_threadsafe(self, fn, *args) -> None:
        """Like run_callback, callable from another OS thread or a signal handler.

        The callback is queued and the hub is woken at once, even from a wait of many seconds.
        A callback for a destroyed hub is dropped.
        """
        with self._wakeup_lock:  # (not while destroy() closes the wake-up)
            if self._destroyed:
                return
            self._callbacks.append((fn, args))
            wakeup = self._wakeup or self.ensure_wakeup()
            try:
                os.write(wakeup[1], b"x")
            except BlockingIOError:  # the pipe is full: the hub will wake anyway
                pass

    def ensure_wakeup(self) -> tuple | None:
        """Make the cross-thread wake-up now, if it does not exist yet; return its fds.

        ``run_callback_threadsafe`` does it on first use, under a lock, so two threads never
        make two. Call it in the hub's thread before a *signal handler* may call
        ``run_callback_threadsafe``: the handler must not be the one to make it (it could
        interrupt the hub's own first call halfway). None once the hub is destroyed.
        """
        with self._wakeup_lock:
            if self._wakeup is None and not self._destroyed:
                r, w = os.pipe()
                os.set_blocking(r, False)
                os.set_blocking(w, False)
                if self._selector is None:
                    self._selector = _Poller()
                self._selector.register(r, READ)
                self._wakeup = (r, w)
            return self._wakeup

    _ensure_wakeup = ensure_wakeup  # the old private name (until monkey.py stops using it)

    @property
    def threadpool(self):
        """The hub's own ``ThreadPool`` (10 threads), made on first use (gevent's name)."""
        if self._threadpool is None:
            from coopconc.threadpool import DEFAULT_MAXSIZE, ThreadPool  # noqa: PLC0415

            self._threadpool = ThreadPool(DEFAULT_MAXSIZE, self)
        return self._threadpool

    @threadpool.setter
    def threadpool(self, pool) -> None:
        self._threadpool = pool

    def timer(self, seconds: float, ref: bool = True, priority: int = 0) -> Timer:
        """A new, not yet started Timer of this hub."""
        return Timer(self, seconds, ref, priority)

    def ref(self) -> None:
        """Keep the loop alive (used by the thread pool while jobs run elsewhere)."""
        self._refs += 1

    def unref(self) -> None:
        self._refs -= 1

    def now(self) -> float:
        """The hub's clock: real monotonic seconds, or virtual seconds under a virtual clock."""
        return self.clock.now()

    def switch(self):
        """Leave the current greenlet and let the loop run. Only the waiting path calls this."""
        if getcurrent() is self:
            raise BlockingSwitchOutError("the hub cannot switch to itself")
        return greenlet.switch(self)

    # -- file descriptors -------------------------------------------------------------------

    def wait_fd(
        self, fd, events: int, timeout=None, timeout_exc=None, reason=None, keep: bool = False
    ):
        """Park the current greenlet until ``fd`` is readable (READ) or writable (WRITE).

        ``events`` may be READ, WRITE or READ | WRITE (whichever comes first); the event that
        happened is returned. After ``timeout`` seconds raise ``timeout_exc`` (default
        ``TimeoutError('timed out')``). Two greenlets may not wait for the same event on one
        fd at once.

        ``keep=True`` leaves the fd registered with the kernel until the end of this turn of
        the loop, so that the usual "wait, read, wait again" costs no system call to register
        again. Only for fds whose closing always calls ``cancel_wait`` first (coopconc's
        sockets do): a closed fd whose number is reused in the same turn would be missed.
        """
        if not isinstance(fd, int):
            fd = fd.fileno()
        slots = _SLOTS.get(events)
        if slots is None:
            raise ValueError(f"wait_fd(events={events!r}): give READ, WRITE or READ | WRITE")
        watchers = self._io.get(fd)
        if watchers is None:
            watchers = self._io[fd] = [None, None]
        for slot in slots:
            if watchers[slot] is not None:
                raise ConcurrentObjectUseError(
                    f"fd {fd} is already waited on for {('reading', 'writing')[slot]} by "
                    f"{watchers[slot].greenlet!r}; only one greenlet may wait for each event"
                )
        waiter = Waiter(self)
        for slot in slots:
            watchers[slot] = waiter
        try:
            self._update_fd(fd, watchers)
        except BaseException:  # e.g. a closed fd (EBADF) or a regular file (EPERM)
            for slot in slots:
                watchers[slot] = None
            if watchers == [None, None]:
                self._io.pop(fd, None)
            raise
        timer = None
        if timeout is not None:
            timer = Timer(self, timeout)
            timer.start(waiter.switch, _TIMED_OUT)
        try:
            if reason is None:
                reason = ("wait_read", "wait_write", "wait_readwrite")[events - 1]
            result = waiter.get(reason, fd)
        finally:
            if timer is not None:
                timer.stop()
            watchers = self._io.get(fd)
            if watchers is not None:
                for slot in slots:
                    if watchers[slot] is waiter:
                        watchers[slot] = None
                if keep and watchers[0] is None and watchers[1] is None:
                    del self._io[fd]  # nobody waits; the kernel registration stays this turn
                    self._kept.add(fd)
                else:
                    self._update_fd(fd, watchers)
        if result is _TIMED_OUT:
            raise timeout_exc if timeout_exc is not None else TimeoutError("timed out")
        return result

    def _update_fd(self, fd: int, watchers: list) -> None:
        """Tell the kernel what ``fd`` is now waited for (a system call only if it changed)."""
        mask = (READ if watchers[0] is not None else 0) | (WRITE if watchers[1] is not None else 0)
        poller = self._selector
        if poller is None:
            poller = self._selector = _Poller()
        registered = self._registered.get(fd, 0)
        if mask == registered:
            return
        if not mask:
            del self._io[fd]
            del self._registered[fd]
            poller.unregister(fd)
            return
        if registered:
            try:
                poller.modify(fd, mask)
            except OSError:  # the fd was closed and its number reused: start afresh
                poller.unregister(fd)
                poller.register(fd, mask)
        else:
            poller.register(fd, mask)
        self._registered[fd] = mask

    def _release_kept(self) -> None:
        """End of the turn: unregister the fds that wait_fd(keep=True) kept and nobody reused."""
        for fd in self._kept:
            if fd not in self._io and self._registered.pop(fd, None):
                self._selector.unregister(fd)
        self._kept.clear()

    def cancel_wait(self, fd: int, exc: BaseException) -> None:
        """Wake every greenlet waiting on ``fd`` with ``exc`` (called before closing it)."""
        watchers = self._io.pop(fd, None)
        if self._registered.pop(fd, None):
            self._selector.unregister(fd)
        self._kept.discard(fd)
        if watchers is None:
            return
        for waiter in watchers:
            if waiter is not None:
                self.run_callback(waiter.throw, exc)

    # -- the loop ---------------------------------------------------------------------------

    def run(self):
        while True:
            self._loop()
            # Nothing can ever happen again: tell the main greenlet, which must be waiting.
            self.parent.throw(LoopExit(self._loop_exit_message()))

    def _alive(self) -> bool:
        return bool(
            self._callbacks or self._idlers or self._timer_refs > 0 or self._io or self._refs > 0
        )

    def _loop(self) -> None:
        callbacks = self._callbacks
        popleft = callbacks.popleft
        timers = self._timers
        perf = time.perf_counter
        while True:
            # 1. callbacks, first in first out, including those added while we run them
            ran = bool(callbacks)
            if ran:
                count = 0
                started = perf()
                while callbacks:
                    fn, args = popleft()
                    try:
                        fn(*args)
                    except BaseException:
                        self.handle_error(fn, *sys.exc_info())
                    count += 1
                    if count & 63 == 0 and perf() - started > SWITCH_INTERVAL:
                        break  # let I/O and timers have a turn

            # 2. how long may we wait for I/O? (First drop what wait_fd(keep=True) kept.)
            if self._kept:
                self._release_kept()
            while timers and timers[0][2] is None:
                _heappop(timers)
                self._dead_timers -= 1
            if callbacks or self._idlers:
                timeout = 0.0
            elif timers:
                # (self.clock, not a local: virtual_clock() may swap it while we run callbacks)
                timeout = max(0.0, timers[0][0] - self.clock.now())
            else:
                timeout = None
            if timeout is None and not (self._io or self._refs > 0):
                return  # nothing can wake anybody
            if timeout and not self._alive():
                return  # only unreferenced timers are left

            events = self._poll(timeout)

            # 3. timers that are due, earliest first (higher priority first within a turn)
            fired = False
            if timers and timers[0][0] <= self.clock.now():
                fired = self._fire_timers(self.clock.now())

            # 4. file descriptors that are ready
            if events:
                self._dispatch_io(events)
            elif not (ran or fired) and self._idlers:
                idlers, self._idlers = self._idlers, []
                callbacks.extend((w.switch, (None,)) for w in idlers)

    def _poll(self, timeout):
        clock = self.clock
        sel = self._selector
        has_fds = sel is not None and (self._io or self._wakeup is not None)
        if clock.virtual:
            events = (
                sel.poll(clock.io_wait if (timeout or timeout is None) else 0) if has_fds else []
            )
            if timeout is None and not events and has_fds:
                events = sel.poll(None)  # only real I/O can wake us
            if not events and timeout and self._timers:
                clock.advance_to(self._timers[0][0])
            return events
        if has_fds:
            return sel.poll(timeout)
        if timeout:
            time.sleep(timeout)
        return ()

    def _fire_timers(self, now: float) -> bool:
        timers = self._timers
        due = []
        while timers and timers[0][0] <= now:
            entry = _heappop(timers)
            if entry[2] is None:
                self._dead_timers -= 1
            else:
                due.append(entry)
        if len(due) > 1:
            for entry in due:
                if entry[2].priority:  # mixed priorities (a Timeout is -1): higher ones first
                    due.sort(key=_minus_priority)  # stable: deadline order within a priority
                    break
        for entry in due:
            t = entry[2]
            if t is None:  # stopped by an earlier timer of this turn
                self._dead_timers -= 1
                continue
            entry[2] = None
            t._entry = None
            if t.ref:
                self._timer_refs -= 1
            callback, args = t.callback, t.args
            t.callback, t.args = None, ()
            try:
                callback(*args)
            except BaseException:
                self.handle_error(callback, *sys.exc_info())
        return bool(due)

    def _dispatch_io(self, events) -> None:
        io = self._io
        for fd, mask in events:
            if self._wakeup is not None and fd == self._wakeup[0]:
                with contextlib.suppress(BlockingIOError):
                    while os.read(fd, 4096):
                        pass
                continue
            for slot, bit in ((0, READ), (1, WRITE)):
                watchers = io.get(fd)
                if watchers is not None and mask & bit and watchers[slot] is not None:
                    waiter = watchers[slot]
                    if waiter.greenlet is None:
                        continue  # already woken (by the other event, or a timeout)
                    try:
                        waiter.switch(bit)
                    except BaseException:
                        self.handle_error(waiter, *sys.exc_info())

    def _compact_timers(self) -> None:
        self._timers[:] = [e for e in self._timers if e[2] is not None]
        heapq.heapify(self._timers)
        self._dead_timers = 0

    def join(self, timeout=None) -> bool:
        """Wait until the loop has nothing left to do (``coopconc.wait()`` with no objects).

        Return True if it ran out of work, False if ``timeout`` expired first.
        """
        if self.dead:
            return True
        waiter = Waiter(self)
        timer = None
        if timeout is not None:
            timer = Timer(self, timeout, ref=False)
            timer.start(waiter.switch, None)
        try:
            waiter.get("wait for every greenlet")
        except LoopExit:
            return True
        finally:
            if timer is not None:
                timer.stop()
        return False

    # -- errors -----------------------------------------------------------------------------

    def handle_error(self, context, type_, value, tb) -> None:
        """Print an error raised in a greenlet or callback; pass system errors to main."""
        if value is None:
            value = type_()
        if self._destroying and issubclass(type_, GreenletExit):
            raise value  # destroy() threw it into the hub: end the loop
        if not issubclass(type_, self.NOT_ERROR):
            self.print_exception(context, type_, value, tb)
        if context is None or issubclass(type_, self.SYSTEM_ERROR):
            self.handle_system_error(type_, value, tb)

    def handle_system_error(self, type_, value, tb=None) -> None:
        """Raise a system error (SystemExit, KeyboardInterrupt...) in the main greenlet, now.

        Called from another greenlet, that greenlet is put back in line to carry on once the
        main greenlet lets the hub run again (as gevent does).
        """
        current = getcurrent()
        if current is self or current is self.parent:
            self.parent.throw(type_, value, tb)
            return
        resume = [current.switch, ()]
        self._callbacks.append(resume)
        try:
            self.parent.throw(type_, value, tb)
        finally:
            resume[0] = _nothing  # we are running again already: do not switch in twice

    def print_exception(self, context, type_, value, tb) -> None:
        stream = self.exception_stream or sys.stderr
        traceback.print_exception(type_, value, tb, file=stream)
        if context is not None:
            with contextlib.suppress(Exception):
                stream.write(f"{context!r} failed with {type_.__name__}\n\n")

    def _loop_exit_message(self) -> str:
        blocked = []
        for obj in gc.get_objects():
            if isinstance(obj, greenlet) and not obj.dead:
                w = getattr(obj, "_cc_waiter", None)
                if w is not None:
                    blocked.append(obj)
        lines = ["This operation would block forever: every greenlet is waiting, and nothing"]
        lines.append("left (no callback, timer or file descriptor) can ever wake one of them.")
        main = self.parent
        ordered = sorted(blocked, key=lambda g: (g is not main, getattr(g, "minimal_ident", 0)))
        if ordered:
            lines.append("Blocked greenlets:")
        for g in ordered:
            w = g._cc_waiter
            on = f" on {w.obj!r}" if w.obj is not None else ""
            lines.append(f"  - {_name_of(g)} waits in {w.reason}{on} at {where(g)}")
        if main not in blocked:
            lines.append("  (the main greenlet switched to the hub without waiting for anything)")
        return "\n".join(lines)

    def destroy(self) -> None:
        """Stop this hub for good: end its loop, close its selector and forget it.

        The next ``get_hub()`` in this thread makes a fresh one. Greenlets still waiting in
        this hub are never woken (tests use this to start each case from a clean slate).
        """
        if getattr(_local, "hub", None) is self:
            del _local.hub
        self._destroyed = True  # from now on, run_callback_threadsafe drops its callback
        if self and getcurrent() is not self:
            self._destroying = True
            self.throw(GreenletExit)
        with self._wakeup_lock:
            if self._selector is not None:
                self._selector.close()
                self._selector = None
            if self._wakeup is not None:
                for fd in self._wakeup:
                    with contextlib.suppress(OSError):
                        os.close(fd)
                self._wakeup = None
        self._callbacks.clear()
        self._timers.clear()
        self._io.clear()
        self._registered.clear()
        self._kept.clear()

    def __repr__(self) -> str:
        return (
            f"<Hub clock={self.clock!r} callbacks={len(self._callbacks)} "
            f"timers={self._timer_refs} fds={len(self._io)}>"
        )


_TIMED_OUT = object()


def _minus_priority(entry):
    return -entry[2].priority


def _nothing(*args) -> None:
    """A disarmed callback: what a wake-up that must no longer happen is replaced with."""


class _Parked:
    """What a greenlet parked by ``sleep`` shows as its wait (``sleep`` needs no Waiter)."""

    __slots__ = ("reason",)
    obj = None
    greenlet = None

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self) -> str:
        return f"<parked in {self.reason}>"


_SLEEP0 = _Parked("sleep(0)")
_SLEEP = _Parked("sleep")

# ---------------------------------------------------------------------------------------------
# Module-level helpers (gevent's names)

_local = _thread_local()


def get_hub() -> Hub:
    """The hub of this OS thread, created on first use."""
    try:
        return _local.hub
    except AttributeError:
        hub = _local.hub = Hub()
        return hub


def get_hub_if_exists() -> Hub | None:
    """The hub of this OS thread if it has one already, else None (gevent's name)."""
    return getattr(_local, "hub", None)


def _set_hub(hub: Hub | None) -> None:
    _local.hub = hub


def check_timeout(call: str, seconds, name: str = "timeout"):
    """The one check of a timeout argument, used by every call that accepts one.

    Returns ``seconds`` if it is None or a real number (``inf`` and huge values included: they
    mean "wait that long", and the hub copes). Raises TypeError for anything else and
    ValueError for NaN, naming the call and the argument (``Event.wait(timeout=nan)``).
    """
    if seconds is None:
        return None
    if type(seconds) is not float and type(seconds) is not int:
        if isinstance(seconds, (str, bytes, bytearray, bool)) or not hasattr(seconds, "__float__"):
            raise TypeError(
                f"{call}({name}={seconds!r}): {name} must be a number or None "
                f"(seconds; None waits for ever), not {type(seconds).__name__}"
            )
        seconds = float(seconds)  # an int or float subclass, Decimal, Fraction, numpy number
    if seconds != seconds:
        raise ValueError(
            f"{call}({name}=nan): {name} cannot be NaN; give a number of seconds "
            "(or float('inf') to wait for ever)"
        )
    return seconds


def now() -> float:
    """The hub's current time (virtual seconds under a virtual clock)."""
    return get_hub().clock.now()


def sleep(seconds: float = 0, ref: bool = True) -> None:
    """Give way to other greenlets: ``sleep(0)`` lets every ready greenlet run once first;
    ``sleep(seconds)`` returns after at least ``seconds``."""
    # The hottest wait of all, so it parks the greenlet itself instead of making a Waiter: the
    # wake-up (a queued callback, or a timer) is disarmed if the sleep ends any other way (a
    # kill, a Timeout), which is the one thing a Waiter would have done for it.
    try:
        hub = _local.hub
    except AttributeError:
        hub = get_hub()
    cur = getcurrent()
    if cur is hub:
        raise BlockingSwitchOutError(
            f"sleep({seconds!r}): cannot sleep inside the hub (in a callback or link); "
            "spawn a greenlet to do the waiting instead"
        )
    if seconds <= 0:
        wakeup = [cur.switch, ()]  # a list, not a tuple, so that it can be disarmed
        hub._callbacks.append(wakeup)
        cur._cc_waiter = _SLEEP0
        try:
            _switch(hub)
        except BaseException:
            wakeup[0] = _nothing
            raise
        finally:
            cur._cc_waiter = None
    else:
        timer = Timer(hub, seconds, ref)
        timer.callback = cur.switch  # timer.start(cur.switch), spelled out
        timer._entry = entry = [hub.clock.now() + seconds, next(hub._seq), timer]
        _heappush(hub._timers, entry)
        if ref:
            hub._timer_refs += 1
        cur._cc_waiter = _SLEEP
        try:
            _switch(hub)
        finally:
            cur._cc_waiter = None
            if timer._entry is not None:  # woken some other way (a kill, a Timeout)
                timer.stop()


def idle(priority: int = 0) -> None:
    """Wait until the loop has nothing else to do (no callbacks, timers or I/O ready)."""
    hub = get_hub()
    waiter = Waiter(hub)
    hub._idlers.append(waiter)
    try:
        waiter.get("idle")
    finally:
        if waiter in hub._idlers:
            hub._idlers.remove(waiter)


def wait_read(fileno, timeout=None, timeout_exc=None) -> None:
    """Wait until ``fileno`` (an int or an object with ``fileno()``) can be read."""
    get_hub().wait_fd(fileno, READ, timeout, timeout_exc, "wait_read")


def wait_write(fileno, timeout=None, timeout_exc=None, event=None) -> None:
    """Wait until ``fileno`` can be written to."""
    get_hub().wait_fd(fileno, WRITE, timeout, timeout_exc, "wait_write")


def wait_readwrite(fileno, timeout=None, timeout_exc=None, event=None) -> int:
    """Wait until ``fileno`` is readable or writable, whichever comes first."""
    return get_hub().wait_fd(fileno, READ | WRITE, timeout, timeout_exc, "wait_readwrite")


def set_hub_clock(clock) -> object:
    """Give this thread's hub a new clock; pending timers keep their remaining time.

    Returns the previous clock. Used by ``virtual_clock()``; call it yourself only to build
    a clock of your own.
    """
    hub = get_hub()
    old = hub.clock
    shift = clock.now() - old.now()
    for entry in hub._timers:
        entry[0] += shift  # a constant shift keeps the heap a heap
    hub.clock = clock
    return old


@contextlib.contextmanager
def virtual_clock(start: float = 0.0, io_wait: float = 0.0):
    """Run the block with a virtual clock: waiting on timers takes no real time.

    Inside, ``coopconc.now()`` starts at ``start`` and moves only when every greenlet waits
    for a timer, jumping straight to the earliest one. Output is the same on every run::

        with coopconc.virtual_clock():
            coopconc.sleep(3)
            print(coopconc.now())   # 3.0, at once
    """
    clock = VirtualClock(start, io_wait)
    old = set_hub_clock(clock)
    try:
        yield clock
    finally:
        set_hub_clock(old)


def run(main, *args, clock: str = "real", **kwargs):
    """Call ``main(*args, **kwargs)`` and return its result, with the chosen clock.

    ``clock="virtual"`` runs it under ``virtual_clock()``; ``clock="real"`` is a plain call.
    """
    if clock == "virtual":
        with virtual_clock():
            return main(*args, **kwargs)
    if clock == "real":
        return main(*args, **kwargs)
    raise ValueError(f"run(clock={clock!r}): clock must be 'real' or 'virtual'")
