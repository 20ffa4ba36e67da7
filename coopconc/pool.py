"""Groups and pools: greenlets managed together, and a cap on how many run at once.

What it is
    A ``Group`` keeps track of the greenlets you spawn through it: it knows how many are still
    running (``len``), can wait for all of them (``join``), kill all of them (``kill``), and
    map a function over many inputs (``map``, ``imap``, ``imap_unordered``). A greenlet leaves
    the group by itself when it finishes.

    A ``Pool(size)`` is a group with a limit: at most ``size`` greenlets are in it at once.
    ``spawn`` (and ``add``) *wait* while the pool is full, so a loop that spawns ten thousand
    jobs through a ``Pool(10)`` never has more than ten running -- the classic way to cap the
    number of connections to a server, or of requests in flight.

How it is built on the hub
    Out of two primitives of the library, which do all the waiting through the hub:

    * a ``Semaphore(size)`` (``coopconc.lock``) holds a pool's free places: ``spawn`` takes
      one -- parking, first come first served, while there is none -- and a member gives its
      place back when it finishes;
    * an ``Event`` (``coopconc.event``) is set while a group is empty; ``join`` waits on it.

    A group notices that a member finished through a *link* (``greenlet.rawlink``), called by
    the hub right after the member dies: the link drops the member, releases its place and,
    when it was the last one, sets the Event. These are the same pieces gevent's pool is made
    of, and they wake greenlets in the same order, so a program prints the same lines on both.

    ``imap`` and ``imap_unordered`` run in a greenlet of their own (``IMapUnordered``) that
    spawns one task per input through the pool -- and so waits whenever the pool is full.
    Each task's link puts its result in a ``SimpleQueue`` (``coopconc.queue``) as the task
    finishes: that is the *completion* order, which ``imap_unordered`` yields as it is.
    ``imap`` keeps early results aside until the next one in input order arrives. With
    ``maxsize``, another Semaphore counts the results not read yet.

Taught in notebooks 05 (determinism) and 11 (groups and pools).
"""

from __future__ import annotations

import queue as _stdlib_queue
from functools import partial

from greenlet import GreenletExit, getcurrent
from greenlet import greenlet as _raw_greenlet

from coopconc.event import Event
from coopconc.greenlet import Greenlet, joinall
from coopconc.hub import get_hub
from coopconc.lock import DummySemaphore, Semaphore
from coopconc.queue import SimpleQueue
from coopconc.timeout import Timeout

__all__ = ["Group", "Pool", "PoolFull", "IMap", "IMapUnordered"]


class PoolFull(_stdlib_queue.Full):
    """Raised by ``Pool.add(greenlet, blocking=False)`` (or after its ``timeout``) when full."""


# ---------------------------------------------------------------------------------------------
# imap and imap_unordered


class _Failure:
    """A result slot holding an exception (or the end of the iteration)."""

    __slots__ = ("exc",)

    def __init__(self, exc):
        self.exc = exc

    def reraise(self):
        raise self.exc  # (it carries the traceback of where it was raised)


class IMapUnordered(Greenlet):
    """The iterator ``imap_unordered`` returns: results in the order the tasks finish.

    It is a greenlet: it walks the inputs and spawns one task per input with ``spawn`` (the
    pool's, so it waits while the pool is full). ``maxsize`` caps how many finished results
    may wait for the reader before no new task is started.
    """

    def __init__(self, func, iterable, spawn, maxsize=None, _zipped: bool = False):
        Greenlet.__init__(self)
        self.spawn = spawn
        self._zipped = _zipped
        self.func = func
        self.iterable = iterable
        self.queue = SimpleQueue()
        self._result_slots = Semaphore(maxsize) if maxsize else None
        self._outstanding_tasks = 0
        self._max_index = -1  # index of the last input read so far
        self.finished = False

    def __iter__(self):
        return self

    def __next__(self):
        if self._result_slots is not None:
            self._result_slots.release()  # the reader takes one: room for one more
        value = self._inext()
        if isinstance(value, _Failure):
            value.reraise()
        return value

    #: imap needs each task's input index to give the results back in input order.
    _ordered = False

    def _inext(self):
        items = self.queue.queue  # (the hot path: a result is waiting, take it)
        return items.popleft() if items else self.queue.get()

    def _ispawn(self, func, item, index: int):
        if self._result_slots is not None:
            self._result_slots.acquire()
        self._outstanding_tasks += 1
        g = self.spawn(func, *item) if self._zipped else self.spawn(func, item)
        g.rawlink(partial(self._on_result, index=index) if self._ordered else self._on_result)
        return g

    def _run(self):
        try:
            func = self.func
            ispawn = self._ispawn
            for item in self.iterable:
                self._max_index += 1
                ispawn(func, item, self._max_index)
            self._on_finish(None)
        except BaseException as e:
            self._on_finish(e)
            raise
        finally:
            self.spawn = self.func = self.iterable = None
            self._result_slots = None

    def _on_result(self, task, index: int | None = None) -> None:
        # Called in the hub (a rawlink) each time a task finishes.
        self._outstanding_tasks -= 1
        put_finished = False
        if self._outstanding_tasks <= 0 and not self.finished and self.ready():
            self.finished = put_finished = True
        if task.successful():
            self.queue.put(self._value_for_success(task, index))
        else:
            self.queue.put(self._value_for_failure(task, index))
        if put_finished:
            self.queue.put(self._value_for_end())

    def _on_finish(self, exception) -> None:
        # Called in this greenlet when every input has been spawned (or reading them failed).
        if self.finished:
            return
        if exception is not None:
            self.finished = True
            self.queue.put(self._value_for_own_failure(exception))
        elif self._outstanding_tasks <= 0:
            self.finished = True
            self.queue.put(self._value_for_end())

    def _value_for_success(self, task, index):
        return task.value

    def _value_for_failure(self, task, index):
        return _Failure(task.exception)

    def _value_for_end(self):
        return _Failure(StopIteration())

    def _value_for_own_failure(self, exception):
        return _Failure(exception)


class IMap(IMapUnordered):
    """The iterator ``imap`` returns: results in input order, whatever order tasks finish in."""

    _ordered = True

    def __init__(self, *args, **kwargs):
        self._results: dict = {}  # index -> result that arrived before its turn
        self.index = 0  # index of the result to give next
        IMapUnordered.__init__(self, *args, **kwargs)

    def _inext(self):
        try:
            value = self._results.pop(self.index)
        except KeyError:
            while True:
                index, value = self.queue.get()
                if index == self.index:
                    break
                self._results[index] = value
        self.index += 1
        return value

    def _value_for_success(self, task, index):
        return (index, task.value)

    def _value_for_failure(self, task, index):
        return (index, IMapUnordered._value_for_failure(self, task, index))

    def _value_for_end(self):
        return (self._max_index + 1, IMapUnordered._value_for_end(self))

    def _value_for_own_failure(self, exception):
        return (self._max_index + 1, IMapUnordered._value_for_own_failure(self, exception))


# ---------------------------------------------------------------------------------------------
# Group and Pool


class _PassValue:
    """A link that calls ``callback(value)`` when a greenlet succeeds (for ``apply_async``)."""

    __slots__ = ("callback",)

    def __init__(self, callback):
        self.callback = callback

    def __call__(self, source):
        if source.successful():
            self.callback(source.value)

    def __eq__(self, other):
        return self.callback == getattr(other, "callback", other)

    def __hash__(self):
        return hash(self.callback)

    def __repr__(self):
        return repr(self.callback)


def _check_func(where: str, func) -> None:
    if not callable(func):
        raise TypeError(f"{where}(func={func!r}): func must be callable")


class Group:
    """The greenlets still running that were spawned (or added) here; no limit on how many.

    ``len(group)``, ``g in group`` and ``for g in group`` look at the running members (in no
    particular order). A member leaves by itself when it finishes.
    """

    #: The class ``spawn`` makes (change it on the instance or in a subclass).
    greenlet_class = Greenlet

    def __init__(self, *args):
        if len(args) > 1:
            raise TypeError(
                f"Group() takes at most one iterable of greenlets, got {len(args)} arguments"
            )
        self.greenlets: set = set(*args)
        self.dying: set = set()  # killed, not dead yet: never killed twice
        self._empty = Event()  # set while no member is running
        if not self.greenlets:
            self._empty.set()
        for g in self.greenlets:
            g.rawlink(self._discard)

    # -- membership ------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.greenlets)

    def __contains__(self, item) -> bool:
        return item in self.greenlets

    def __iter__(self):
        return iter(self.greenlets)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} running={len(self.greenlets)}>"

    def add(self, greenlet) -> None:
        """Start tracking ``greenlet`` (normally a not-yet-started one)."""
        if not isinstance(greenlet, _raw_greenlet):
            raise TypeError(
                f"{type(self).__name__}.add(greenlet={greenlet!r}): expected a greenlet; "
                "to run a function, use spawn(func, *args)"
            )
        try:
            greenlet.rawlink(self._discard)
        except AttributeError:
            pass  # a raw greenlet (such as main) cannot tell us when it ends
        self.greenlets.add(greenlet)
        self._empty.clear()

    def _discard(self, greenlet) -> None:
        self.greenlets.discard(greenlet)
        self.dying.discard(greenlet)
        if not self.greenlets:
            self._empty.set()

    def discard(self, greenlet) -> None:
        """Stop tracking ``greenlet`` (it goes on running)."""
        self._discard(greenlet)
        unlink = getattr(greenlet, "unlink", None)
        if unlink is not None:
            unlink(self._discard)

    def start(self, greenlet) -> None:
        """Add the not-yet-started ``greenlet``, then start it."""
        self.add(greenlet)
        greenlet.start()

    def spawn(self, *args, **kwargs) -> Greenlet:
        """``spawn(func, *args, **kwargs)``: make a greenlet, add it, start it, return it."""
        greenlet = self.greenlet_class(*args, **kwargs)
        self.start(greenlet)
        return greenlet

    def full(self) -> bool:
        """Whether ``spawn`` would wait. A Group has no limit: always False."""
        return False

    def wait_available(self, timeout=None) -> None:
        """Wait until ``spawn`` would not wait. A Group has no limit: returns at once."""
        return None

    # -- waiting and killing ---------------------------------------------------------------

    def join(self, timeout=None, raise_error: bool = False) -> bool:
        """Wait until the group is empty; False if ``timeout`` ran out first.

        With ``raise_error=True``, re-raise the exception of a member (one of those in the
        group when join was called) that died of one.
        """
        members = list(self.greenlets) if raise_error else ()
        result = self._empty.wait(timeout)
        for g in members:
            exception = getattr(g, "exception", None)  # (a raw greenlet has none)
            if exception is not None:
                raise exception
        return result

    def kill(self, exception=GreenletExit, block: bool = True, timeout=None) -> None:
        """Kill every member; by default wait (at most ``timeout``) until they are all gone."""
        timer = Timeout._start_new_or_dummy(timeout)
        try:
            while self.greenlets:
                for g in list(self.greenlets):
                    if g in self.dying:
                        continue
                    kill = getattr(g, "kill", None)
                    if kill is not None:
                        kill(exception, block=False)
                    else:  # a raw greenlet
                        get_hub().run_callback(g.throw, exception)
                    self.dying.add(g)
                if not block:
                    break
                joinall(self.greenlets)
        except Timeout as ex:
            if ex is not timer:
                raise
        finally:
            timer.cancel()

    def killone(self, greenlet, exception=GreenletExit, block: bool = True, timeout=None) -> None:
        """Kill one member (nothing happens if it is not in the group or already dying)."""
        if greenlet not in self.dying and greenlet in self.greenlets:
            greenlet.kill(exception, block=False)
            self.dying.add(greenlet)
            if block:
                greenlet.join(timeout)

    # -- mapping ---------------------------------------------------------------------------

    def _apply_immediately(self) -> bool:
        # A member calling apply() runs the function itself: waiting for a slot of a full
        # pool from inside the pool could wait forever.
        return getcurrent() in self

    def apply(self, func, args=None, kwds=None):
        """Run ``func(*args, **kwds)`` in the group and return its result (or raise)."""
        _check_func(f"{type(self).__name__}.apply", func)
        args = () if args is None else args
        kwds = {} if kwds is None else kwds
        if self._apply_immediately():
            return func(*args, **kwds)
        return self.spawn(func, *args, **kwds).get()

    def apply_cb(self, func, args=None, kwds=None, callback=None):
        """``apply``, then call ``callback(result)`` in a new greenlet."""
        result = self.apply(func, args, kwds)
        if callback is not None:
            Greenlet.spawn(callback, result)
        return result

    def apply_async(self, func, args=None, kwds=None, callback=None) -> Greenlet:
        """Start ``func(*args, **kwds)`` and return its greenlet at once, even if full.

        ``callback(result)`` is called when it succeeds. When the pool is full, the job waits
        for a slot in a greenlet of its own (which is not a member of the group).
        """
        _check_func(f"{type(self).__name__}.apply_async", func)
        args = () if args is None else args
        kwds = {} if kwds is None else kwds
        if self.full():
            return Greenlet.spawn(self.apply_cb, func, args, kwds, callback)
        greenlet = self.spawn(func, *args, **kwds)
        if callback is not None:
            greenlet.link(_PassValue(callback))
        return greenlet

    def _map(self, func, iterable):
        return [g.get() for g in [self.spawn(func, item) for item in iterable]]

    def map(self, func, iterable) -> list:
        """``[func(x) for x in iterable]``, each call in its own greenlet; results in input order."""
        _check_func(f"{type(self).__name__}.map", func)
        return Greenlet.spawn(self._map, func, iterable).get()

    def map_cb(self, func, iterable, callback=None) -> list:
        result = self.map(func, iterable)
        if callback is not None:
            callback(result)
        return result

    def map_async(self, func, iterable, callback=None) -> Greenlet:
        """Start ``map`` in a new greenlet and return it; ``callback(results)`` at the end."""
        _check_func(f"{type(self).__name__}.map_async", func)
        return Greenlet.spawn(self.map_cb, func, iterable, callback)

    def _imap(self, cls, where, func, iterables, maxsize):
        _check_func(f"{type(self).__name__}.{where}", func)
        if not iterables:
            raise TypeError(f"{type(self).__name__}.{where}(func): give at least one iterable")
        if maxsize is not None and (
            isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 0
        ):
            raise ValueError(
                f"{type(self).__name__}.{where}(maxsize={maxsize!r}): maxsize must be None "
                "or an int >= 1 (how many finished results may wait for the reader)"
            )
        return cls.spawn(func, zip(*iterables), spawn=self.spawn, _zipped=True, maxsize=maxsize)

    def imap(self, func, *iterables, maxsize=None) -> IMap:
        """Like ``map`` but lazy: yields results in input order as they become available."""
        return self._imap(IMap, "imap", func, iterables, maxsize)

    def imap_unordered(self, func, *iterables, maxsize=None) -> IMapUnordered:
        """Like ``imap`` but yields each result as soon as its task finishes."""
        return self._imap(IMapUnordered, "imap_unordered", func, iterables, maxsize)


class Pool(Group):
    """A group of at most ``size`` greenlets: ``spawn`` and ``add`` wait while it is full.

    ``Pool()`` (size None) has no limit. ``free_count()`` says how many more may join now.
    """

    def __init__(self, size: int | None = None, greenlet_class=None):
        if size is not None:
            if isinstance(size, bool) or not isinstance(size, int):
                raise TypeError(
                    f"Pool(size={size!r}): size must be an int or None, not {type(size).__name__}"
                )
            if size <= 0:
                raise ValueError(
                    f"Pool(size={size}): size must be None (no limit) or >= 1; "
                    "a pool with no room could never run anything"
                )
        Group.__init__(self)
        self.size = size
        if greenlet_class is not None:
            self.greenlet_class = greenlet_class
        self._slots = DummySemaphore() if size is None else Semaphore(size)  # the free places
        # spawn() may skip the calls to start() and add() when a subclass did not change them
        self._plain_spawn = type(self).start is Pool.start and type(self).add is Pool.add

    def __repr__(self) -> str:
        size = "unbounded" if self.size is None else f"{len(self.greenlets)}/{self.size}"
        waiting = 0 if self.size is None else self._slots.linkcount()
        return f"<Pool size={size} waiting={waiting}>"

    def free_count(self) -> int:
        """How many more greenlets could join now without waiting (1 if there is no limit)."""
        if self.size is None:
            return 1
        return max(0, self.size - len(self.greenlets))

    def full(self) -> bool:
        """True if ``spawn`` would wait for a slot."""
        return self.free_count() <= 0

    def wait_available(self, timeout=None) -> int:
        """Wait until a slot is free (at most ``timeout``); return how many are free."""
        return self._slots.wait(timeout)

    def spawn(self, *args, **kwargs) -> Greenlet:
        """``spawn(func, *args, **kwargs)``: wait for a free slot, then start a member greenlet."""
        greenlet = self.greenlet_class(*args, **kwargs)
        if self._plain_spawn:  # what start() and add() do, in one call (spawn is the hot path)
            self._slots.acquire()
            greenlet.rawlink(self._discard)
            self.greenlets.add(greenlet)
            self._empty.clear()
            greenlet.start()
        else:
            self.start(greenlet)
        return greenlet

    def start(self, greenlet, blocking: bool = True, timeout=None) -> None:
        """Add the not-yet-started ``greenlet`` (waiting for a slot), then start it."""
        self.add(greenlet, blocking, timeout)
        greenlet.start()

    def add(self, greenlet, blocking: bool = True, timeout=None) -> None:
        """Track ``greenlet``, first waiting for a free slot.

        Raises ``PoolFull`` if the pool is full and ``blocking`` is False, or if ``timeout``
        seconds pass without a slot.
        """
        if greenlet in self.greenlets:
            return  # already a member: it holds its slot
        if not self._slots.acquire(blocking, timeout):
            if blocking:
                raise PoolFull(f"{self!r}: no slot became free within {timeout} seconds")
            raise PoolFull(f"{self!r}: full (add(blocking=False) does not wait)")
        try:
            Group.add(self, greenlet)
        except BaseException:
            self._slots.release()
            raise

    def _discard(self, greenlet) -> None:
        greenlets = self.greenlets
        if greenlet in greenlets:  # release a slot only for a member that held one
            greenlets.discard(greenlet)
            if not greenlets:
                self._empty.set()
            self._slots.release()
        self.dying.discard(greenlet)
