"""Queues: greenlets handing items to each other, first in first out (or by priority, or last in).

What it is
    ``Queue(maxsize=None)`` holds items put by producers until consumers get them. ``get()``
    on an empty queue waits for an item; ``put()`` on a full bounded queue waits for room;
    both accept ``block=False`` (or the ``*_nowait`` forms), which raise ``Empty``/``Full`` at
    once instead, and ``timeout=``, which raises them after that long. Every ``Queue`` can be
    joined: ``task_done()`` after handling an item, ``join()`` waits until every item put was
    handled (``JoinableQueue`` is the same class, its older name). ``PriorityQueue`` hands out
    the smallest item first, ``LifoQueue`` the newest, ``SimpleQueue`` is a Queue without the
    task count, and ``Channel`` holds nothing at all: ``put`` waits until a getter takes the
    item from its hand.

    As in gevent (since 1.0), ``Queue(0)`` means unbounded, not a channel -- with a warning.

How it is built on the hub
    Two lines of waiting greenlets, ``getters`` and ``putters`` (deques of ``Waiter``s). A
    getter that finds nothing appends its Waiter and parks in ``waiter.get("Queue.get", q)``.
    A ``put`` that finds a getter waiting stores the item and asks the hub for one callback,
    ``_unlock``, which wakes getters (oldest first) while there are items, and lets putters
    put while there is room. A woken getter takes the item *itself*, after it is running
    again: so an item is never handed to a getter that was killed or timed out a moment
    before -- it stays in the queue for the next one. A putter's item enters the queue only
    when ``_unlock`` makes room for it, just before the putter is woken.

Taught in notebook 10 (queues).
"""

from __future__ import annotations

import collections
import heapq
import types
import warnings
from queue import Empty, Full

from greenlet import getcurrent

from coopconc.event import Event
from coopconc.hub import Waiter, check_timeout, get_hub
from coopconc.timeout import Timeout

__all__ = [
    "Queue",
    "SimpleQueue",
    "JoinableQueue",
    "PriorityQueue",
    "LifoQueue",
    "UnboundQueue",
    "Channel",
    "Empty",
    "Full",
    "ShutDown",
]


class ShutDown(Exception):
    """Raised by put/get on a queue after ``shutdown()`` (Python 3.13's queue.ShutDown)."""


def _check_block_timeout(call: str, timeout):
    timeout = check_timeout(call, timeout)
    if timeout < 0:
        raise ValueError(
            f"{call}(timeout={timeout!r}): timeout must be >= 0 (or None to wait forever)"
        )
    return timeout


def _wait_in_line(owner, line: collections.deque, waiter, timeout, timeout_exc, reason, entry=None):
    """Join ``line`` (with ``entry``, by default the waiter itself) and park on ``waiter``; after
    ``timeout`` seconds raise ``timeout_exc``. A wait that ends without being woken (a timeout,
    a kill) leaves the line, so that nothing is ever handed to a greenlet that is gone."""
    entry = waiter if entry is None else entry
    line.append(entry)
    t = None if timeout is None else Timeout._start_new_or_dummy(timeout, timeout_exc)
    try:
        return waiter.get(reason, owner)
    except BaseException:
        _remove(line, entry)
        raise
    finally:
        if t is not None:  # (no timer at all for the usual wait without a timeout)
            t.cancel()


class _ItemWaiter(Waiter):
    """A putter's Waiter, carrying the item it wants to put."""

    __slots__ = ("item",)

    def __init__(self, item, hub):
        Waiter.__init__(self, hub)
        self.item = item


class SimpleQueue:
    """A FIFO queue of items between greenlets; ``maxsize=None`` (or 0) means unbounded."""

    __slots__ = ("_maxsize", "getters", "putters", "queue", "_unlock_pending", "is_shutdown")
    __class_getitem__ = classmethod(types.GenericAlias)

    # What a waiting greenlet says it waits in (the deadlock report and the tracer show it).
    _GET, _PUT, _PEEK = "SimpleQueue.get", "SimpleQueue.put", "SimpleQueue.peek"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._GET = f"{cls.__name__}.get"
        cls._PUT = f"{cls.__name__}.put"
        cls._PEEK = f"{cls.__name__}.peek"

    def __init__(self, maxsize: int | None = None, items=()):
        name = type(self).__name__
        if maxsize is not None:
            if isinstance(maxsize, bool) or not isinstance(maxsize, int):
                raise TypeError(
                    f"{name}(maxsize={maxsize!r}): maxsize must be None or an int, "
                    f"not {type(maxsize).__name__}"
                )
            if maxsize < 0:
                raise ValueError(f"{name}(maxsize={maxsize}): maxsize must be None or >= 0")
            if maxsize == 0:
                warnings.warn(
                    f"{name}(0) is an unbounded queue, the same as {name}(None); "
                    "if you want a queue that holds nothing, use Channel",
                    DeprecationWarning,
                    stacklevel=3,
                )
                maxsize = None
        self._maxsize = maxsize if maxsize is not None else -1
        self.getters: collections.deque = collections.deque()
        self.putters: collections.deque = collections.deque()
        self._unlock_pending = False
        self.is_shutdown = False
        self.queue = self._create_queue(items)

    # -- the container (subclasses change these four) ---------------------------------------

    def _create_queue(self, items=()):
        return collections.deque(items)

    def _put(self, item) -> None:
        self.queue.append(item)

    def _get(self):
        return self.queue.popleft()

    def _peek(self):
        return self.queue[0]

    # -- size -------------------------------------------------------------------------------

    @property
    def maxsize(self) -> int | None:
        """The most items it holds, or None if unbounded."""
        return self._maxsize if self._maxsize > 0 else None

    @maxsize.setter
    def maxsize(self, value: int | None) -> None:
        self._maxsize = value if value is not None and value > 0 else -1
        if self.putters:
            self._schedule_unlock()  # more room may let putters in

    def qsize(self) -> int:
        """How many items are in the queue now."""
        return len(self.queue)

    __len__ = qsize

    def __bool__(self) -> bool:
        return True  # a queue is true even when empty (as in gevent)

    def empty(self) -> bool:
        """True if there is no item to get now."""
        return not self.queue

    def full(self) -> bool:
        """True if a put would have to wait now (never, when unbounded)."""
        return 0 < self._maxsize <= len(self.queue)

    def copy(self):
        return type(self)(self.maxsize, self.queue)

    # -- put --------------------------------------------------------------------------------

    def put(self, item, block: bool = True, timeout=None) -> None:
        """Put ``item`` in; if full, wait for room (``Full`` if ``block`` is false or after
        ``timeout`` seconds)."""
        if self.is_shutdown:
            raise ShutDown(f"{self._PUT}(): the queue is shut down")
        if self._maxsize == -1 or len(self.queue) < self._maxsize:
            if timeout is not None and block:
                _check_block_timeout(self._PUT, timeout)
            self._put(item)
            if self.getters and not self._unlock_pending:
                self._schedule_unlock()
            return
        hub = get_hub()
        if hub is getcurrent():
            # Called from a hub callback, which may not wait: make room by waking getters now.
            while self.getters and self.queue and len(self.queue) >= self._maxsize:
                self.getters.popleft().switch(None)
            if len(self.queue) < self._maxsize:
                self._put(item)
                return
            raise Full
        if not block:
            raise Full
        if timeout is not None:
            timeout = _check_block_timeout(self._PUT, timeout)
        if self.getters and not self._unlock_pending:
            self._schedule_unlock()
        # Woken by _unlock once it has put our item in; not woken, the item never went in.
        _wait_in_line(self, self.putters, _ItemWaiter(item, hub), timeout, Full, self._PUT)

    def put_nowait(self, item) -> None:
        """Put ``item`` in now, or raise ``Full``."""
        self.put(item, False)

    # -- get and peek -----------------------------------------------------------------------

    def get(self, block: bool = True, timeout=None):
        """Take the next item; if empty, wait for one (``Empty`` if ``block`` is false or after
        ``timeout`` seconds)."""
        if self.queue:
            if self.putters and not self._unlock_pending:
                self._schedule_unlock()
            return self._get()
        return self._wait_for_item(self._get, self._GET, block, timeout)

    def get_nowait(self):
        """Take the next item now, or raise ``Empty``."""
        return self.get(False)

    def peek(self, block: bool = True, timeout=None):
        """Return the next item without taking it; wait like ``get`` if there is none."""
        if self.queue:
            return self._peek()
        return self._wait_for_item(self._peek, self._PEEK, block, timeout)

    def peek_nowait(self):
        """Return the next item without taking it, or raise ``Empty``."""
        return self.peek(False)

    def _wait_for_item(self, take, reason: str, block: bool, timeout):
        if self.is_shutdown:
            raise ShutDown(f"{reason}(): the queue is shut down")
        if timeout is not None and block:
            timeout = _check_block_timeout(reason, timeout)
        hub = get_hub()
        if hub is getcurrent():
            # From a hub callback: let waiting putters put, but never wait.
            while self.putters:
                self._admit(self.putters.popleft())
                if self.queue:
                    return take()
            raise Empty
        if not block:
            raise Empty
        if self.putters and not self._unlock_pending:
            self._schedule_unlock()
        _wait_in_line(self, self.getters, Waiter(hub), timeout, Empty, reason)
        # Woken by _unlock, which saw an item for us; nobody else ran since.
        if self.queue:
            return take()
        raise ShutDown(f"{reason}(): the queue is shut down")

    # -- waking the waiting (from the hub) ----------------------------------------------------

    def _schedule_unlock(self) -> None:
        self._unlock_pending = True
        get_hub().append_callback((self._unlock, ()))

    def _admit(self, putter: _ItemWaiter) -> None:
        """Put a waiting putter's item in, then wake the putter."""
        item, putter.item = putter.item, None
        try:
            self._put(item)
        except BaseException as exc:  # a PriorityQueue item that cannot be compared
            putter.throw(exc)
        else:
            putter.switch(None)

    def _unlock(self) -> None:
        self._unlock_pending = False
        getters, putters, queue = self.getters, self.putters, self.queue
        while True:
            progress = False
            if putters and (self._maxsize == -1 or len(queue) < self._maxsize):
                progress = True
                self._admit(putters.popleft())
            if getters and queue:
                progress = True
                getters.popleft().switch(None)  # the getter takes its item when it runs
            if not progress:
                return

    # -- iteration and shutdown -------------------------------------------------------------

    def __iter__(self):
        return self

    def __next__(self):
        item = self.get()
        if item is StopIteration:
            raise StopIteration
        return item

    def _shutdown(self) -> None:
        self.is_shutdown = True
        hub = get_hub()
        waiting = list(self.getters) + list(self.putters)
        self.getters.clear()
        self.putters.clear()
        for waiter in waiting:
            hub.run_callback(waiter.throw, ShutDown("the queue was shut down while waiting"))

    def _format(self) -> str:
        size = f"size={len(self.queue)}" + (f"/{self._maxsize}" if self._maxsize > 0 else "")
        return f"{size} getters={len(self.getters)} putters={len(self.putters)}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._format()}>"


def _remove(line: collections.deque, waiter) -> None:
    try:
        line.remove(waiter)
    except ValueError:
        pass


class Queue(SimpleQueue):
    """A FIFO queue that also counts unfinished tasks: ``task_done()`` and ``join()``."""

    __slots__ = ("_cond", "unfinished_tasks")

    def __init__(self, maxsize: int | None = None, items=(), unfinished_tasks: int | None = None):
        SimpleQueue.__init__(self, maxsize, items)
        self._cond = Event()
        self.unfinished_tasks = unfinished_tasks or len(self.queue)
        if not self.unfinished_tasks:
            self._cond.set()

    def copy(self):
        return type(self)(self.maxsize, self.queue, self.unfinished_tasks)

    def _did_put_task(self) -> None:
        self.unfinished_tasks += 1
        if self.unfinished_tasks == 1:
            self._cond.clear()  # (set exactly while no task is unfinished)

    def _put(self, item) -> None:
        self.queue.append(item)
        self.unfinished_tasks += 1  # (_did_put_task, spelled out: this is the hot path)
        if self.unfinished_tasks == 1:
            self._cond.clear()

    def task_done(self) -> None:
        """Say that one item taken with ``get`` has been handled completely."""
        if self.unfinished_tasks <= 0:
            raise ValueError(
                f"{type(self).__name__}.task_done(): called more times than items were put"
            )
        self.unfinished_tasks -= 1
        if self.unfinished_tasks == 0:
            self._cond.set()

    def join(self, timeout=None) -> bool:
        """Wait until every item put has been marked done; False if ``timeout`` ran out."""
        timeout = check_timeout(f"{type(self).__name__}.join", timeout)
        return self._cond.wait(timeout)

    def shutdown(self, immediate: bool = False) -> None:
        """Make later puts (and gets once empty, or at once if ``immediate``) raise ShutDown."""
        if immediate:
            while self.queue:
                self._get()
                self.task_done()
        self._shutdown()

    def _format(self) -> str:
        tasks = f" tasks={self.unfinished_tasks}" if self.unfinished_tasks else ""
        return SimpleQueue._format(self) + tasks


JoinableQueue = Queue


class UnboundQueue(Queue):
    """A Queue that can never be full (``maxsize`` is not accepted)."""

    __slots__ = ()

    def __init__(self, maxsize=None, items=()):
        if maxsize is not None:
            raise ValueError(f"UnboundQueue(maxsize={maxsize!r}): an UnboundQueue has no maxsize")
        Queue.__init__(self, None, items)


class PriorityQueue(Queue):
    """A Queue that hands out the smallest item first (items like ``(priority, data)``)."""

    __slots__ = ()

    def _create_queue(self, items=()):
        q = list(items)
        heapq.heapify(q)
        return q

    def _put(self, item) -> None:
        heapq.heappush(self.queue, item)
        self._did_put_task()

    def _get(self):
        return heapq.heappop(self.queue)


class LifoQueue(Queue):
    """A Queue that hands out the newest item first (a stack)."""

    __slots__ = ()

    def _create_queue(self, items=()):
        return list(items)

    def _put(self, item) -> None:
        self.queue.append(item)
        self._did_put_task()

    def _get(self):
        return self.queue.pop()

    def _peek(self):
        return self.queue[-1]


class Channel:
    """A queue of size zero: ``put`` waits until a getter takes the item from its hand."""

    __slots__ = ("getters", "putters", "_unlock_pending", "__weakref__")
    __class_getitem__ = classmethod(types.GenericAlias)

    def __init__(self, maxsize: int = 1):
        if maxsize != 1:
            raise ValueError(f"Channel(maxsize={maxsize!r}): a Channel's maxsize is always 1")
        self.getters: collections.deque = collections.deque()
        self.putters: collections.deque = collections.deque()  # (item, Waiter) pairs
        self._unlock_pending = False

    @property
    def balance(self) -> int:
        """Waiting putters minus waiting getters."""
        return len(self.putters) - len(self.getters)

    def qsize(self) -> int:
        return 0

    def empty(self) -> bool:
        return True

    def full(self) -> bool:
        return True

    def put(self, item, block: bool = True, timeout=None) -> None:
        """Hand ``item`` to a getter, waiting for one (``Full`` if none came in time)."""
        hub = get_hub()
        if hub is getcurrent():
            if self.getters:
                self.getters.popleft().switch(item)
                return
            raise Full
        if not block:
            timeout = 0
        elif timeout is not None:
            timeout = _check_block_timeout("Channel.put", timeout)
        if self.getters and not self._unlock_pending:
            self._schedule_unlock()
        waiter = Waiter(hub)
        _wait_in_line(self, self.putters, waiter, timeout, Full, "Channel.put", (item, waiter))

    def put_nowait(self, item) -> None:
        self.put(item, False)

    def get(self, block: bool = True, timeout=None):
        """Take an item from a putter's hand, waiting for one (``Empty`` if none came in time)."""
        hub = get_hub()
        if hub is getcurrent():  # from a hub callback, which may not wait
            if self.putters:
                item, putter = self.putters.popleft()
                hub.run_callback(putter.switch, None)
                return item
            raise Empty
        if not block:
            timeout = 0
        elif timeout is not None:
            timeout = _check_block_timeout("Channel.get", timeout)
        if self.putters and not self._unlock_pending:
            self._schedule_unlock()
        return _wait_in_line(self, self.getters, Waiter(hub), timeout, Empty, "Channel.get")

    def get_nowait(self):
        return self.get(False)

    def _schedule_unlock(self) -> None:
        self._unlock_pending = True
        get_hub().append_callback((self._unlock, ()))

    def _unlock(self) -> None:
        self._unlock_pending = False
        while self.putters and self.getters:
            getter = self.getters.popleft()
            item, putter = self.putters.popleft()
            getter.switch(item)
            putter.switch(None)

    def __iter__(self):
        return self

    def __next__(self):
        item = self.get()
        if item is StopIteration:
            raise StopIteration
        return item

    def __repr__(self) -> str:
        return f"<Channel getters={len(self.getters)} putters={len(self.putters)}>"
