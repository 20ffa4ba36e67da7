"""The loop: the hub greenlet of one OS thread, and what it does each turn.

What it is
    The hub is a greenlet like any other, created on first use in each OS thread
    (``get_hub()``). Its job is to decide who runs next. A greenlet that has to wait switches
    to the hub (through a ``Waiter``); the hub runs until the awaited thing happens and then
    switches back into that greenlet. Nobody else switches: that is what "cooperative" means.

Each turn (the order gevent's libev loop uses)
    1. run the *callbacks* that are ready, first in, first out (``spawn`` and ``sleep(0)`` put
       theirs here), for at most ``SWITCH_INTERVAL`` seconds;
    2. wait in the poller (epoll) for I/O, no longer than the next timer allows, then fire the
       *timers* that are due (a heap, the earliest first);
    3. wake the greenlets whose file descriptors are ready (``coopconc/hub/fds.py``).

    When there are no callbacks, no timers, no file descriptors and no thread-pool jobs left,
    nothing can ever happen again. If the main greenlet is still waiting, it gets ``LoopExit``
    with the deadlock report (``coopconc/hub/report.py``).

The hub survives interrupts
    Ctrl-C (KeyboardInterrupt) or a SIGTERM handler's ``sys.exit`` is raised in whatever
    greenlet runs when the signal arrives -- usually the hub, asleep in its poller. The hub
    does not die of it: it hands the exception to the main greenlet (``handle_system_error``)
    and, the next time someone waits, carries on where it was. A Jupyter cell interrupted
    this way leaves a hub that works in the next cell.

The internal API
    What the rest of coopconc uses, and all it uses (nothing outside ``coopconc/hub*`` reads
    an attribute of the hub that starts with ``_``):

    ``run_callback(fn, *args)``  queue a callback; returns the entry ``[fn, args]``
    ``append_callback(entry)``   the same with a ready-made entry: the hot paths' fast form
    ``Hub.cancel_callback(e)``   disarm a queued entry (it will do nothing)
    ``run_callback_threadsafe``  queue a callback from another OS thread or a signal handler
    ``ensure_wakeup()``          make the cross-thread wake-up now (before a signal handler)
    ``timer(seconds)``, ``now()``, ``ref()``/``unref()``       timers, clock, keep-alive
    ``wait_fd``, ``cancel_wait``                               file descriptors
    ``threadpool``               the hub's own ThreadPool, made on first use
    ``Waiter``, ``check_timeout``, ``get_hub_if_exists``       (in ``coopconc.hub``)

Part of the hub (``coopconc/hub/``); taught in notebooks 03 (event loops) and 04 (greenlets).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import sys
import time
import traceback
from _thread import RLock, get_ident
from collections import deque
from heapq import heappop as _heappop

from greenlet import GreenletExit, getcurrent, greenlet

from coopconc.exceptions import BlockingSwitchOutError, LoopExit
from coopconc.hub.clocks import RealClock, Timer, check_timeout
from coopconc.hub.current import _local
from coopconc.hub.fds import FdWaits
from coopconc.hub.poller import Poller
from coopconc.hub.report import loop_exit_message
from coopconc.hub.waiter import Waiter, _nothing

#: How long the hub runs callbacks before it looks at I/O and timers again (gevent's default).
SWITCH_INTERVAL = 0.005

_INF = float("inf")


class Hub(FdWaits, greenlet):
    """The event loop of one OS thread (see the module's opening text)."""

    #: Exceptions that are not printed when a greenlet dies of them.
    NOT_ERROR = (GreenletExit, SystemExit)
    #: Exceptions that, raised in a greenlet, are passed on to the main greenlet.
    SYSTEM_ERROR = (KeyboardInterrupt, SystemExit, SystemError)

    def __init__(self, clock=None):
        greenlet.__init__(self)
        self.clock = clock if clock is not None else RealClock()
        self._callbacks: deque = deque()
        self._timers: list = []
        self._seq = itertools.count()
        self._timer_refs = 0
        self._dead_timers = 0
        self._idlers: list = []
        self._refs = 0  # outside holders keeping the loop alive (thread pool jobs)
        self._poller = None  # made (with its wake-up fd) the first time the hub must wait
        self._poller_lock = RLock()  # other threads and signal handlers may be first to need it
        self._threadpool = None  # made on first use of the ``threadpool`` property
        self.exception_stream = None  # None means sys.stderr at the time of the error
        self._destroying = False
        self._destroyed = False
        FdWaits.__init__(self)
        #: The OS thread this hub belongs to (``threading.get_ident()`` there).
        self.thread_ident = get_ident()
        #: ``hub.append_callback(entry)``: the fast form of ``run_callback`` for hot paths. The
        #: entry is ``(fn, args)``, or ``[fn, args]`` to be able to ``cancel_callback`` it. It
        #: is the deque's own ``append``: it costs what the old ``hub._callbacks.append`` did.
        self.append_callback = self._callbacks.append

    # -- scheduling -----------------------------------------------------------------------

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
        """Disarm a queued callback entry: when its turn comes it does nothing."""
        entry[0] = _nothing

    def run_callback_threadsafe(self, fn, *args) -> None:
        """Like run_callback, callable from another OS thread or a signal handler.

        The callback is queued and the hub woken at once, even from a long wait. A callback
        for a destroyed hub is dropped.
        """
        with self._poller_lock:  # (destroy() closes the poller under the same lock)
            if self._destroyed:
                return
            self._callbacks.append((fn, args))
            (self._poller or self._make_poller()).wake()

    def ensure_wakeup(self) -> None:
        """Make the cross-thread wake-up now if it does not exist yet (safe from any thread).

        ``run_callback_threadsafe`` makes it on first use, under a lock, so two threads never
        make two. Call this in the hub's thread before installing a *signal handler* that
        calls ``run_callback_threadsafe``: the handler should not be the one to make it.
        """
        with self._poller_lock:
            if self._poller is None and not self._destroyed:
                self._make_poller()

    def _make_poller(self) -> Poller:
        with self._poller_lock:
            if self._poller is None:
                self._poller = Poller()
            return self._poller

    @property
    def threadpool(self):
        """The hub's own ``ThreadPool`` (10 threads), made on first use (gevent's name)."""
        if self._threadpool is None:
            from coopconc.threadpool import DEFAULT_MAXSIZE, ThreadPool  # (it imports the hub)

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

    # -- the loop ---------------------------------------------------------------------------

    def run(self):
        while True:
            try:
                self._loop()
            except BaseException:  # an interrupt between two steps of the loop: pass it on
                self.handle_system_error(*sys.exc_info())
                continue
            # Nothing can ever happen again: tell the main greenlet, which must be waiting.
            self.parent.throw(LoopExit(loop_exit_message(self)))

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
                fn = args = None  # keep nothing alive that the callback no longer needs

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
                if timeout == _INF and self.clock.virtual:
                    timeout = None  # a virtual clock never jumps to infinity
            else:
                timeout = None
            if timeout is None and not (self._io or self._refs > 0):
                return  # nothing can wake anybody
            if timeout and not self._alive():
                return  # only unreferenced timers are left

            try:
                events = self._poll(timeout)
            except BaseException:  # Ctrl-C, or a signal handler's sys.exit, while we waited
                self.handle_system_error(*sys.exc_info())
                continue  # the main greenlet let us run again: carry on

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

    @classmethod
    def idle_code(cls):
        """The code object of the function in which the hub waits, idle, in its poller.

        A thread whose stack contains it is waiting for I/O or a timer, not blocked.
        coopconc's addition, not gevent's: the blocking monitor (``coopconc.monitor``) uses it
        to tell an idle hub from a greenlet that keeps the thread.
        """
        return cls._poll.__code__

    def _poll(self, timeout):
        """Wait in the poller (and nowhere else, so another thread can always wake us)."""
        clock = self.clock
        poller = self._poller or self._make_poller()
        if clock.virtual:
            events = poller.poll(clock.io_wait if (timeout or timeout is None) else 0)
            if timeout is None and not events:
                events = poller.poll(None)  # only real I/O (or another thread) can wake us
            if not events and timeout and self._timers:
                clock.advance_to(self._timers[0][0])
            return events
        return poller.poll(timeout)

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

    def _compact_timers(self) -> None:
        self._timers[:] = [e for e in self._timers if e[2] is not None]
        heapq.heapify(self._timers)
        self._dead_timers = 0

    def join(self, timeout=None) -> bool:
        """Wait until the loop has nothing left to do (``coopconc.wait()`` with no objects).

        Return True if it ran out of work, False if ``timeout`` expired first.
        """
        timeout = check_timeout("Hub.join", timeout)
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
        main greenlet lets the hub run again (as gevent does). Called from the hub itself, the
        hub carries on from here the next time the main greenlet waits.
        """
        if self._destroying and issubclass(type_, GreenletExit):
            raise value  # destroy() threw it into the hub: end the loop
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

    # -- the end ----------------------------------------------------------------------------

    def destroy(self) -> None:
        """Stop this hub for good: end its loop, close its poller, stop its thread pool's
        threads (after the jobs they have) and forget it.

        The next ``get_hub()`` in this thread makes a fresh one. Greenlets still waiting in
        this hub are never woken (tests use this to start each case from a clean slate); a
        callback another thread sends it later is dropped.
        """
        if getattr(_local, "hub", None) is self:
            del _local.hub
        self._destroyed = True  # from now on, run_callback_threadsafe drops its callback
        if self._threadpool is not None:
            self._threadpool.kill(block=False)  # its threads end after the jobs they have
        if self and getcurrent() is not self:
            self._destroying = True
            self.throw(GreenletExit)
        self._close()
        self._callbacks.clear()
        self._timers.clear()
        FdWaits.__init__(self)  # forget every fd

    def _close(self, wait: float = -1) -> None:
        """Close the poller (its fds) and drop every later threadsafe callback. Idempotent.

        ``wait`` bounds how long to wait for the poller's lock (-1: as long as it takes). At
        the end of a thread it is short: at interpreter exit another thread may have been
        frozen while it held the lock (in ``run_callback_threadsafe``), and the process must
        still exit; the kernel closes the fds then anyway.
        """
        self._destroyed = True
        if not self._poller_lock.acquire(timeout=wait):
            return
        try:
            if self._poller is not None:
                self._poller.close()
                self._poller = None
        finally:
            self._poller_lock.release()

    def __repr__(self) -> str:
        return (
            f"<Hub clock={self.clock!r} callbacks={len(self._callbacks)} "
            f"timers={self._timer_refs} fds={len(self._io)}>"
        )


def _minus_priority(entry):
    return -entry[2].priority
