"""Events: one greenlet tells many others "it happened" -- and AsyncResult, which also says what.

What it is
    An ``Event`` is a flag. ``wait()`` parks the caller until some other greenlet calls
    ``set()``; every greenlet waiting at that moment is woken, and later callers of ``wait()``
    do not block until ``clear()``. An ``AsyncResult`` is a one-shot event that carries a value
    (``set(value)``) or an exception (``set_exception(exc)``): ``get()`` waits for it and
    returns the value or raises the exception. It is also a ready-made ``link`` callback:
    ``greenlet.link(result)`` hands the greenlet's outcome over when it finishes.

How it is built on the hub
    Both are *linkables* (``AbstractLinkable`` below, which ``Semaphore`` in ``coopconc.lock``
    shares): an object with a list of callbacks, the *links*, and a ``ready()`` test. A waiting
    greenlet links its ``Waiter`` and parks in ``waiter.get("Event.wait", event)``. When the
    object becomes ready it does not wake anybody itself: it asks the hub for one callback,
    ``_notify_links``, which calls the links in the order they were added, each one once (a
    called link is removed). Three consequences, all as in gevent:

    * ``set()`` returns at once; the waiters run after the setter next gives way to the hub;
    * an Event set and cleared again before the hub got round to it still wakes its waiters,
      and their ``wait()`` returns True -- the flag *was* set while they waited;
    * a greenlet that calls ``wait()`` on a set Event while a notification is still pending
      queues up behind the greenlets that were already waiting (first come, first served).

    ``set()`` may also be called from another OS thread (a worker thread, a plain
    ``threading.Thread``): the linkable remembers the hub of the greenlets that wait on it
    (``self.hub``) and asks that hub, through ``run_callback_threadsafe``, to do the
    notifying in its own thread.

    A semaphore is a linkable that notifies *only while ready*: each woken greenlet takes the
    counter down, and the round stops when it reaches zero.

Taught in notebook 09 (events).
"""

from __future__ import annotations

import sys
from _thread import get_ident

from greenlet import getcurrent

from coopconc.hub import Waiter, check_timeout, get_hub
from coopconc.timeout import Timeout

__all__ = ["Event", "AsyncResult", "AbstractLinkable"]


class AbstractLinkable:
    """The shared base of Event, AsyncResult and Semaphore: links notified from the hub.

    Subclasses define ``ready()``. ``_notify_all = False`` (semaphores) stops a round of
    notification as soon as the object is no longer ready.
    """

    __slots__ = ("_links", "_notifier", "_notify_all", "hub", "__weakref__")

    def __init__(self):
        #: The hub whose greenlets wait here (set by the first waiter or link), or None.
        self.hub = None
        self._links: list = []
        # While a notification is pending: the list of late-comers (see _wait). Else None.
        self._notifier: list | None = None
        self._notify_all = True

    def ready(self) -> bool:
        raise NotImplementedError

    def linkcount(self) -> int:
        """How many links (waiting greenlets and callbacks) are registered."""
        return len(self._links)

    def rawlink(self, callback) -> None:
        """Call ``callback(self)`` from the hub once this object is ready. It must not block."""
        if not callable(callback):
            raise TypeError(f"rawlink(callback): expected a callable, got {callback!r}")
        if self.hub is None:
            self.hub = get_hub()
        self._links.append(callback)
        self._check_and_notify()

    def unlink(self, callback) -> None:
        """Forget a callback given to ``rawlink`` (no error if it is not there)."""
        try:
            self._links.remove(callback)
        except ValueError:
            pass

    def _check_and_notify(self) -> None:
        if self._notifier is None and self._links and self.ready():
            hub = self.hub
            if hub.thread_ident != get_ident():
                # set() in another OS thread: the waiters' own hub must do the notifying
                hub.run_callback_threadsafe(self._check_and_notify)
                return
            late = self._notifier = []
            hub.run_callback(self._notify_links, late)

    def _notify_links(self, late: list) -> None:
        if self._notifier is not late:
            return  # superseded
        try:
            self._notify_list(self._links)
            if late:
                self._notify_list(late)
                self._links.extend(late)  # those not woken (a semaphore ran out) wait on
        finally:
            self._notifier = None
        self._check_and_notify()  # links added meanwhile, or ready again

    def _notify_list(self, links: list) -> None:
        # Call the links that are there now, in order; links added while we run (a woken
        # greenlet that waits again) belong to the next round. The batch is taken out in one
        # go (popping links one by one from the front would cost O(n) each).
        if not links:
            return
        batch = links[:]
        del links[:]
        only_while_ready = not self._notify_all
        called = set()  # a callback linked twice is called once
        for i, link in enumerate(batch):
            if only_while_ready and not self.ready():
                links[:0] = batch[i:]  # not woken (a semaphore ran out): they keep their place
                return
            key = id(link)
            if key in called:
                continue
            called.add(key)
            try:
                link(self)
            except BaseException:
                getcurrent().handle_error((link, self), *sys.exc_info())  # (we run in the hub)

    def _forget(self, link) -> None:
        """Remove a waiter's link wherever it is: the links or the late-comers."""
        try:
            self._links.remove(link)
        except ValueError:
            late = self._notifier
            if late:
                try:
                    late.remove(link)
                except ValueError:
                    pass

    def _wait_core(self, timeout, reason: str, catch: bool = True) -> bool:
        """Park until notified; True if notified, False if ``timeout`` ran out first.

        With ``catch=False`` the Timeout is raised instead of returning False.
        """
        waiter = Waiter()
        if self.hub is None:
            self.hub = waiter.hub
        link = waiter.switch
        if self._notifier is not None and self.ready():
            self._notifier.append(link)  # ready, but others were first: queue up behind them
        else:
            self._links.append(link)
            self._check_and_notify()
        t = Timeout._start_new_or_dummy(timeout)
        try:
            waiter.get(reason, self)
        except BaseException as ex:
            # Timed out or killed: we were not woken, so our link is still there.
            self._forget(link)
            if ex is t and catch:
                return False
            raise
        finally:
            t.cancel()
        return True


class Event(AbstractLinkable):
    """A flag that greenlets can wait for: ``set()`` wakes every waiter, ``clear()`` lowers it."""

    __slots__ = ("_flag",)

    def __init__(self):
        AbstractLinkable.__init__(self)
        self._flag = False

    def is_set(self) -> bool:
        """True if the flag is set."""
        return self._flag

    isSet = is_set  # threading's old name, kept by gevent
    ready = is_set

    def set(self) -> None:
        """Raise the flag and wake every waiter (they run once the caller gives way)."""
        self._flag = True
        if self._links and self._notifier is None:
            self._check_and_notify()

    def clear(self) -> None:
        """Lower the flag: later ``wait()`` calls block until the next ``set()``."""
        self._flag = False

    def wait(self, timeout=None) -> bool:
        """Wait until the flag is set; return True, or False if ``timeout`` ran out first.

        True means the flag was set at some moment while we waited, even if it has been
        cleared again since.
        """
        if self._flag:
            if self._notifier is not None:
                self._wait_core(None, "Event.wait")  # let the earlier waiters go first
            return True
        timeout = check_timeout("Event.wait", timeout)
        return self._wait_core(timeout, "Event.wait")

    def _reset_internal_locks(self) -> None:  # threading.Event's hook, for monkey-patching
        pass

    def __repr__(self) -> str:
        state = "set" if self._flag else "unset"
        return f"<Event {state} waiters={len(self._links)}>"


_NONE = object()


class AsyncResult(AbstractLinkable):
    """A one-shot event with a value or an exception: ``set(v)``/``set_exception(e)``, ``get()``.

    Calling it with a finished greenlet (``greenlet.link(result)``) stores that greenlet's
    value, or its exception.
    """

    __slots__ = ("_value", "_exc_info")

    def __init__(self):
        AbstractLinkable.__init__(self)
        self._value = _NONE
        self._exc_info = ()

    # -- state ------------------------------------------------------------------------------

    def ready(self) -> bool:
        """True once it holds a value or an exception."""
        return self._value is not _NONE or bool(self._exc_info)

    def successful(self) -> bool:
        """True if it holds a value (not an exception)."""
        return self._value is not _NONE

    @property
    def value(self):
        """The value given to ``set``, or None."""
        return None if self._value is _NONE else self._value

    @property
    def exception(self):
        """The exception given to ``set_exception``, or None."""
        return self._exc_info[1] if self._exc_info else None

    @property
    def exc_info(self) -> tuple:
        """(type, value, traceback) of the exception, or () if there is none."""
        return self._exc_info

    # -- handing over -----------------------------------------------------------------------

    def set(self, value=None) -> None:
        """Store ``value`` and wake every waiter."""
        self._value = value
        self._check_and_notify()

    def set_exception(self, exception: BaseException, exc_info=None) -> None:
        """Store ``exception`` (raised by ``get()``) and wake every waiter."""
        if exc_info:
            self._exc_info = (exc_info[0], exc_info[1], exc_info[2])
        else:
            self._exc_info = (type(exception), exception, exception.__traceback__)
        self._check_and_notify()

    def __call__(self, source) -> None:
        """Link target: store what the finished greenlet ``source`` returned or raised."""
        if source.successful():
            self.set(source.value)
        else:
            self.set_exception(source.exception, getattr(source, "exc_info", None))

    # -- waiting ----------------------------------------------------------------------------

    def _result(self):
        if self._value is not _NONE:
            return self._value
        _, exc, tb = self._exc_info
        raise exc.with_traceback(tb)

    def get(self, block: bool = True, timeout=None):
        """Return the value or raise the exception, waiting for one if needed.

        If nothing arrives (``block=False``, or ``timeout`` ran out) raise ``Timeout``.
        """
        if self._value is not _NONE or self._exc_info:
            return self._result()
        if not block:
            raise Timeout()
        timeout = check_timeout("AsyncResult.get", timeout)
        self._wait_core(timeout, "AsyncResult.get", catch=False)
        return self._result()

    def get_nowait(self):
        """``get(block=False)``: the value now, or ``Timeout``."""
        return self.get(block=False)

    def wait(self, timeout=None):
        """Wait until ready; return the value (None if it holds an exception or timed out)."""
        if self.ready():
            if self._notifier is not None:
                self._wait_core(None, "AsyncResult.wait")
            return self.value
        timeout = check_timeout("AsyncResult.wait", timeout)
        self._wait_core(timeout, "AsyncResult.wait")
        return self.value

    # concurrent.futures.Future's names, as gevent has them
    set_result = set

    def result(self, timeout=None):
        return self.get(timeout=timeout)

    def done(self) -> bool:
        return self.ready()

    def cancel(self) -> bool:
        return False

    def cancelled(self) -> bool:
        return False

    def __repr__(self) -> str:
        if self._value is not _NONE:
            state = f"value={self._value!r:.60}"
        elif self._exc_info:
            state = f"exception={self._exc_info[1]!r:.60}"
        else:
            state = "unset"
        return f"<AsyncResult {state} waiters={len(self._links)}>"
