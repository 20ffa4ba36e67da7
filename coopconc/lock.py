"""Locks and semaphores: how many greenlets may be inside a piece of code at once.

What it is
    A ``Semaphore(n)`` holds ``n`` permits. ``acquire()`` takes one, waiting if none is left;
    ``release()`` gives one back and lets the first waiter in. ``with sem:`` does both around
    a block. ``BoundedSemaphore`` refuses to be released more often than it was acquired (a
    bug in the caller, reported as ``ValueError``). ``Lock`` is a bounded semaphore of one;
    ``RLock`` is a lock its owner may take again (it counts, and must be released as often);
    ``DummySemaphore`` never blocks (for code that takes "a semaphore or none at all").

    Greenlets only switch where they wait, so plain Python code between two waits is already
    atomic: a lock matters only around code that *waits* in the middle (I/O, sleep, a queue).

How it is built on the hub
    A semaphore is a linkable (``coopconc.event.AbstractLinkable``): it is *ready* while the
    counter is above zero. A greenlet that finds no permit links its ``Waiter`` and parks in
    ``waiter.get("Semaphore.acquire", sem)``. ``release()`` adds a permit and asks the hub to
    notify the links in the order they came -- but only while the counter stays above zero:
    each woken greenlet runs at once, takes its permit, and the round stops when none are
    left. A greenlet killed or timed out while waiting just removes its link, so no permit
    is ever handed to a greenlet that cannot use it.

Taught in notebook 12 (locks and semaphores).
"""

from __future__ import annotations

from greenlet import getcurrent

from coopconc.event import AbstractLinkable
from coopconc.hub import check_timeout

__all__ = ["Semaphore", "BoundedSemaphore", "DummySemaphore", "RLock", "Lock"]


class Semaphore(AbstractLinkable):
    """``Semaphore(value=1)``: ``value`` permits; ``acquire`` takes one, ``release`` returns one."""

    __slots__ = ("counter",)

    _name = "Semaphore"

    def __init__(self, value: int = 1, hub=None):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(
                f"{self._name}(value={value!r}): value must be an int, not {type(value).__name__}"
            )
        if value < 0:
            raise ValueError(f"{self._name}(value={value}): value must be >= 0")
        AbstractLinkable.__init__(self)
        self.hub = hub  # None: the hub of the first greenlet that waits
        self.counter = value
        self._notify_all = False  # wake waiters only while there are permits for them

    def ready(self) -> bool:
        """True if ``acquire()`` would not block."""
        return self.counter > 0

    def locked(self) -> bool:
        """True if ``acquire()`` would block (no permit left)."""
        return self.counter <= 0

    def acquire(self, blocking: bool = True, timeout=None) -> bool:
        """Take a permit; return True, or False if ``blocking`` is false / ``timeout`` ran out."""
        if self.counter > 0:
            self.counter -= 1
            return True
        if not blocking:
            return False
        if timeout is not None:
            timeout = check_timeout(f"{self._name}.acquire", timeout)
        if not self._wait_core(timeout, f"{self._name}.acquire"):
            return False
        self.counter -= 1  # woken only while a permit was there, and nobody ran since
        return True

    def release(self) -> int:
        """Give a permit back and let the first waiter (if any) take it. Returns the counter."""
        self.counter += 1
        if self._links and self._notifier is None:
            self._check_and_notify()
        return self.counter

    def wait(self, timeout=None) -> int:
        """Wait until a permit is free, without taking it; return the counter (may be 0)."""
        if self.counter > 0:
            return self.counter
        timeout = check_timeout(f"{self._name}.wait", timeout)
        self._wait_core(timeout, f"{self._name}.wait")
        return self.counter

    def __enter__(self):
        self.acquire()

    def __exit__(self, *exc_info) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} counter={self.counter} waiters={self.linkcount()}>"


class BoundedSemaphore(Semaphore):
    """A Semaphore that refuses to hold more permits than it started with."""

    __slots__ = ("_initial_value",)

    _name = "BoundedSemaphore"

    def __init__(self, value: int = 1, hub=None):
        Semaphore.__init__(self, value, hub)
        self._initial_value = value

    def release(self) -> int:
        """Like Semaphore.release; ``ValueError`` if every permit is already back."""
        if self.counter >= self._initial_value:
            raise ValueError(
                f"{self._name}.release(): released too many times (the counter would go "
                f"above its initial value, {self._initial_value}); release only what you acquired"
            )
        return Semaphore.release(self)


class Lock(BoundedSemaphore):
    """A mutex: a bounded semaphore of one permit (gevent's ``gevent.thread.LockType``).

    Not in ``gevent.lock``'s own list; coopconc offers it there because a lesson on locks
    wants one by name.
    """

    __slots__ = ()

    _name = "Lock"

    def __init__(self, hub=None):
        BoundedSemaphore.__init__(self, 1, hub)

    def release(self) -> int:
        if self.counter >= 1:
            raise RuntimeError("Lock.release(): the lock is not locked (release unlocked lock)")
        return Semaphore.release(self)

    def __repr__(self) -> str:
        state = "locked" if self.counter <= 0 else "unlocked"
        return f"<Lock {state} waiters={self.linkcount()}>"


class DummySemaphore:
    """Looks like a Semaphore with infinitely many permits: nothing ever blocks."""

    def __init__(self, value=None):
        pass

    def locked(self) -> bool:
        return False

    def ready(self) -> bool:
        return True

    def acquire(self, blocking: bool = True, timeout=None) -> bool:
        return True

    def release(self) -> None:
        pass

    def wait(self, timeout=None) -> int:
        return 1

    def rawlink(self, callback) -> None:
        pass

    def unlink(self, callback) -> None:
        pass

    def __enter__(self):
        pass

    def __exit__(self, *exc_info) -> None:
        pass

    def __repr__(self) -> str:
        return "<DummySemaphore>"


class RLock:
    """A lock that the greenlet holding it may acquire again; release it as often."""

    __slots__ = ("_block", "_owner", "_count", "__weakref__")

    def __init__(self, hub=None):
        self._block = Semaphore(1)
        self._owner = None
        self._count = 0

    def acquire(self, blocking: bool = True, timeout=None) -> bool:
        """Take the lock (again, if we already hold it); False if not got in time."""
        me = getcurrent()
        if self._owner is me:
            self._count += 1
            return True
        if timeout is not None:
            timeout = check_timeout("RLock.acquire", timeout)
        got = self._block.acquire(blocking, timeout)
        if got:
            self._owner = me
            self._count = 1
        return got

    def release(self) -> None:
        """Undo one acquire; the last one frees the lock. Only the owner may release."""
        if self._owner is not getcurrent():
            raise RuntimeError(
                f"RLock.release(): cannot release a lock held by {self._owner!r} "
                f"from {getcurrent()!r}; only the greenlet that acquired it may release it"
            )
        self._count -= 1
        if not self._count:
            self._owner = None
            self._block.release()

    def locked(self) -> bool:
        return self._count > 0

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc_info) -> None:
        self.release()

    # threading.Condition uses these three on an RLock
    def _is_owned(self) -> bool:
        return self._owner is getcurrent()

    def _release_save(self):
        count, owner = self._count, self._owner
        self._count, self._owner = 0, None
        self._block.release()
        return count, owner

    def _acquire_restore(self, count_owner) -> None:
        self._block.acquire()
        self._count, self._owner = count_owner

    def __repr__(self) -> str:
        owner = getattr(self._owner, "name", None) or (
            "main" if self._owner is not None and self._owner.parent is None else self._owner
        )
        held = f"held by {owner} x{self._count}" if self._count else "unlocked"
        return f"<RLock {held} waiters={self._block.linkcount()}>"
