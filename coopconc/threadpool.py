"""Thread pools: run a blocking function in a real OS thread while the greenlets go on.

What it is
    Some calls cannot be made cooperative: a C library that blocks, ``time.sleep`` in code you
    cannot patch, a DNS lookup, a CPU-heavy function that releases the GIL. Called from a
    greenlet, such a call freezes every greenlet of the thread. ``ThreadPool(maxsize)`` runs it
    in one of up to ``maxsize`` worker threads instead; the calling greenlet gets a result
    object at once and waits on it like on anything else (``pool.spawn(fn).get()``), so only
    that greenlet waits, and the others keep running.

How it is built on the hub
    * Jobs go to the workers through a ``queue.SimpleQueue`` (a C queue, safe across threads).
      Worker threads are started on demand, up to ``maxsize``, and then wait for more jobs.
    * A finished worker cannot touch the hub directly (the hub belongs to another thread). It
      calls ``hub.run_callback_threadsafe(deliver, ...)``: the callback is queued and the hub's
      wake-up fd ends its wait in the poller (epoll). ``deliver`` then runs in
      the hub, sets the result (waking whoever waits on it) and frees the job's slot.
    * While a job runs, nothing in the hub (no timer, no file descriptor) would keep the loop
      alive: a greenlet waiting for the result would get ``LoopExit``. So each job holds a
      reference on the hub (``hub.ref()``) from ``spawn`` until it is delivered.
    * Like gevent, ``spawn`` waits (cooperatively) when the pool is full; gevent lets
      ``maxsize + 1`` jobs be outstanding before it blocks, and so does coopconc.

    ``get_hub().threadpool`` (gevent's name; ``get_threadpool()`` for short) is the pool of
    the current hub, made on first use with 10 threads.

Taught in notebook 14 (subprocesses and multiprocessing), used by notebook 19 (pitfalls).
"""

from __future__ import annotations

import sys
from _thread import start_new_thread
from collections import deque
from queue import SimpleQueue

from coopconc.event import AsyncResult
from coopconc.hub import Waiter, get_hub, get_hub_if_exists

__all__ = ["ThreadPool", "get_threadpool"]

#: gevent's default size for the hub's own pool.
DEFAULT_MAXSIZE = 10


# ---------------------------------------------------------------------------------------------
# The pool


class ThreadPool:
    """Up to ``maxsize`` OS threads running blocking functions for the greenlets of one hub."""

    def __init__(self, maxsize: int, hub=None):
        self.hub = hub if hub is not None else get_hub()
        self._maxsize = 0
        self._jobs: SimpleQueue = SimpleQueue()
        self._size = 0  # live worker threads
        self._pending = 0  # jobs spawned and not yet delivered back to the hub
        self._slot_waiters: deque = deque()  # greenlets waiting in spawn() for a free slot
        self._idle_waiters: list = []  # greenlets waiting in join() / kill()
        self.maxsize = maxsize

    # -- size -----------------------------------------------------------------------------

    @property
    def maxsize(self) -> int:
        """The most worker threads this pool will start."""
        return self._maxsize

    @maxsize.setter
    def maxsize(self, maxsize: int) -> None:
        if not isinstance(maxsize, int) or isinstance(maxsize, bool) or maxsize < 0:
            raise ValueError(f"ThreadPool(maxsize={maxsize!r}): maxsize must be an int >= 0")
        self._maxsize = maxsize
        self._wake_slot_waiters()

    @property
    def size(self) -> int:
        """How many worker threads are running now (they start on demand)."""
        return self._size

    def __len__(self) -> int:
        """Jobs spawned and not finished yet."""
        return self._pending

    def free_count(self) -> int:
        """How many more jobs can be spawned before ``spawn`` waits."""
        return max(0, self._maxsize + 1 - self._pending)

    def full(self) -> bool:
        return self.free_count() <= 0

    def __repr__(self) -> str:
        return (
            f"<ThreadPool size={self._size}/{self._maxsize} jobs={self._pending} "
            f"spawners_waiting={len(self._slot_waiters)}>"
        )

    # -- running jobs -----------------------------------------------------------------------

    def spawn(self, func, *args, **kwargs):
        """Run ``func(*args, **kwargs)`` in a worker thread; return its AsyncResult at once.

        Waits (cooperatively) for a slot first when the pool is full.
        """
        hub = self.hub
        if get_hub_if_exists() is not hub:
            raise RuntimeError(
                f"{self!r}.spawn() called from another OS thread; a thread pool belongs to "
                "the thread of its hub (call pool.apply() there, or make a pool per thread)"
            )
        if self._pending > self._maxsize:
            self._wait_for_slot()
        result = AsyncResult()
        self._pending += 1
        hub.ref()  # the loop must stay alive until the job is delivered
        self._jobs.put((func, args, kwargs, result))
        if self._size < self._maxsize and self._size < self._pending:
            self._size += 1
            start_new_thread(self._worker, ())
        return result

    def _wait_for_slot(self) -> None:
        waiter = None
        try:
            while self._pending > self._maxsize:
                waiter = Waiter(self.hub)
                self._slot_waiters.append(waiter)
                waiter.get("ThreadPool.spawn", self)
        except BaseException:
            if waiter in self._slot_waiters:
                self._slot_waiters.remove(waiter)
            self._wake_slot_waiters()  # pass on a wake-up we may have taken
            raise

    def _wake_slot_waiters(self) -> None:
        free = self._maxsize + 1 - self._pending
        while free > 0 and self._slot_waiters:
            self.hub.run_callback(self._slot_waiters.popleft().switch, None)
            free -= 1

    def _worker(self) -> None:
        """The loop of one worker thread: take a job, run it, hand the outcome to the hub."""
        get = self._jobs.get
        call_in_hub = self.hub.run_callback_threadsafe
        deliver = self._deliver
        while True:
            job = get()
            if job is None:
                break
            func, args, kwargs, result = job
            job = None
            try:
                value = func(*args, **kwargs)
            except BaseException:
                call_in_hub(deliver, func, result, None, sys.exc_info())
            else:
                call_in_hub(deliver, func, result, value, None)
            func = args = kwargs = result = value = None
        call_in_hub(self._worker_exited)

    def _deliver(self, func, result, value, exc_info) -> None:
        """In the hub: one job is done. Free its slot, then set its result."""
        self._pending -= 1
        self.hub.unref()
        self._wake_slot_waiters()
        if self._pending == 0:
            self._wake_idle_waiters()
        if exc_info is None:
            result.set(value)
        else:
            # gevent prints the traceback of a failed job, then hands the error to the result
            self.hub.handle_error((self, func), *exc_info)
            result.set_exception(exc_info[1], exc_info)

    def _worker_exited(self) -> None:
        self._size -= 1
        self._wake_idle_waiters()

    def _wake_idle_waiters(self) -> None:
        waiters, self._idle_waiters = self._idle_waiters, []
        for waiter in waiters:
            self.hub.run_callback(waiter.switch, None)

    def _wait_until(self, condition, reason: str) -> None:
        self.hub.ref()  # worker threads will wake us (run_callback_threadsafe)
        try:
            while not condition():
                waiter = Waiter(self.hub)
                self._idle_waiters.append(waiter)
                try:
                    waiter.get(reason, self)
                finally:
                    if waiter in self._idle_waiters:
                        self._idle_waiters.remove(waiter)
        finally:
            self.hub.unref()

    def join(self) -> None:
        """Wait until every job spawned so far has finished."""
        self._wait_until(lambda: self._pending == 0, "ThreadPool.join")

    def kill(self, block: bool = True) -> None:
        """Stop the worker threads once the jobs already queued are done; wait for that.

        ``block=False`` (coopconc's addition, what ``Hub.destroy`` uses) does not wait.
        """
        for _ in range(self._size):
            self._jobs.put(None)
        if block:
            self._wait_until(lambda: self._size == 0, "ThreadPool.kill")

    # -- gevent's mapping helpers ---------------------------------------------------------------

    def apply(self, func, args=(), kwds=None):
        """Call ``func(*args, **kwds)`` in a worker thread and wait for its result.

        Called from a worker thread itself, just call the function (waiting there on the
        hub's result would deadlock).
        """
        kwds = kwds or {}
        if get_hub_if_exists() is not self.hub:
            return func(*args, **kwds)
        return self.spawn(func, *args, **kwds).get()

    def apply_async(self, func, args=(), kwds=None, callback=None):
        """Spawn ``func(*args, **kwds)``; call ``callback(value)`` in the hub if it succeeds."""
        result = self.spawn(func, *args, **(kwds or {}))
        if callback is not None:
            result.rawlink(lambda r: callback(r.value) if r.successful() else None)
        return result

    def imap(self, func, *iterables):
        """Like ``map``, but yield each result as soon as it (and those before it) is ready."""
        window: deque = deque()
        for args in zip(*iterables):
            while window and window[0].ready():
                yield window.popleft().get()
            window.append(self.spawn(func, *args))
        while window:
            yield window.popleft().get()

    def map(self, func, iterable) -> list:
        """``[func(x) for x in iterable]``, computed in the worker threads, in order."""
        return list(self.imap(func, iterable))


# ---------------------------------------------------------------------------------------------
# The hub's own pool


def get_threadpool() -> ThreadPool:
    """The thread pool of the current hub: ``get_hub().threadpool``, made on first use."""
    return get_hub().threadpool
