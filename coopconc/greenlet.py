"""Greenlet: a function running as a cooperative task, with a result you can wait for.

What it is
    A ``Greenlet`` wraps a function. ``spawn(fn, *args)`` makes one and asks the hub to start it
    on its next turn; the caller goes on at once. The greenlet runs until it has to wait, then
    the hub runs someone else. When the function returns, its value is kept in ``value``; when
    it raises, the exception is kept in ``exception``, its traceback is printed (as gevent does)
    and the rest of the program carries on -- ``get()`` re-raises it for whoever asks.

How it is built on the hub
    * starting is a hub callback that switches into it (``start`` queues ``[self.switch, ()]``;
      a kill before it runs disarms that entry), so spawned greenlets start in spawn order;
    * waiting for a greenlet (``join``, ``get``) is a ``Waiter`` linked to it; ``joinall``,
      ``wait`` and ``iwait`` link one iterator to all of them and wake once per finished one;
    * when it finishes, its *links* are called from a hub callback, in the order they were
      added: that is how ``join`` and ``joinall`` wake up;
    * ``kill`` asks the hub to throw ``GreenletExit`` into it, then waits for it to finish
      (``coopconc.kill``, like ``gevent.kill``, does not wait).

    Its states, the ones notebook 06 shows: not started -> pending start -> running / blocked
    -> dead (returned a value, raised, or was killed). ``repr`` says which. After it dies its
    arguments are dropped (they may be big); its function is kept, for the repr.

Taught in notebooks 04 (greenlets) and 06 (spawning and state).
"""

from __future__ import annotations

import itertools
import sys
from collections import deque

from greenlet import GreenletExit, getcurrent, greenlet

from coopconc.exceptions import BlockingSwitchOutError
from coopconc.hub import Hub, Waiter, check_timeout, get_hub
from coopconc.timeout import Timeout

__all__ = [
    "Greenlet",
    "GreenletExit",
    "spawn",
    "spawn_later",
    "spawn_raw",
    "joinall",
    "wait",
    "iwait",
    "kill",
    "killall",
]

# Where a Greenlet is in its start-up (``_start``): None (not started); the hub callback
# entry ``[self.switch, ()]`` that will start it (``start``: a list, so that a kill can disarm
# it); a Timer (``start_later``); _STARTED (it has been switched into); or _CANCELLED
# (killed before it ever ran: it never will).
_STARTED = "started"
_CANCELLED = "killed before start"
_SUCCESS = (None, None, None)  # ``_exc_info`` of a greenlet that finished without an error

_idents = itertools.count(1)
_greenlet_dead = greenlet.dead.__get__
_switch = greenlet.switch  # greenlet.switch(g): the plain C switch, no Python wrapper
_cancel_callback = Hub.cancel_callback


class SpawnedLink:
    """A link callback that runs in a greenlet of its own, so it may block."""

    __slots__ = ("callback",)

    def __init__(self, callback):
        if not callable(callback):
            raise TypeError(f"link(callback): expected a callable, got {callback!r}")
        self.callback = callback

    def __call__(self, source):
        g = greenlet(self.callback, get_hub())
        g.switch(source)

    def __hash__(self):
        return hash(self.callback)

    def __eq__(self, other):
        return self.callback == getattr(other, "callback", other)

    def __repr__(self):
        return repr(self.callback)


class SuccessSpawnedLink(SpawnedLink):
    """Called only if the greenlet finished without an error."""

    __slots__ = ()

    def __call__(self, source):
        if source.successful():
            return SpawnedLink.__call__(self, source)
        return None


class FailureSpawnedLink(SpawnedLink):
    """Called only if the greenlet died of an exception."""

    __slots__ = ()

    def __call__(self, source):
        if not source.successful():
            return SpawnedLink.__call__(self, source)
        return None


class Greenlet(greenlet):
    """A cooperative task: ``Greenlet(fn, *args, **kwargs)``, or a subclass overriding ``_run``."""

    # Slots, not the instance dict, for the state every greenlet has: cheaper to create (the
    # dict would be resized twice per greenlet) and to read. ``_run`` stays in the dict: a
    # subclass overrides it as a method. ``_cc_waiter`` is the hub's wait marker.
    __slots__ = (
        "args",
        "kwargs",
        "value",
        "_links",
        "_start",
        "_exc_info",
        "_notifier",
        "_formatted",
        "_cc_waiter",
    )

    def __init__(self, run=None, *args, **kwargs):
        greenlet.__init__(self, None, get_hub())
        if run is not None:
            self._run = run
        if not callable(self._run):
            raise TypeError(
                f"Greenlet(run={self._run!r}): the function to run must be callable "
                "(or subclass Greenlet and override _run)"
            )
        self.args = args
        self.kwargs = kwargs
        self.value = None
        self._links = []
        self._start = None
        self._exc_info = None
        self._notifier = False
        self._formatted = None

    # -- identity and state -------------------------------------------------------------------

    @property
    def minimal_ident(self) -> int:
        """A small number that identifies this greenlet in this process (1, 2, 3, ...)."""
        ident = self.__dict__.get("_ident")
        if ident is None:
            ident = self._ident = next(_idents)
        return ident

    @property
    def name(self) -> str:
        """The name shown in reprs and reports; ``Greenlet-N`` unless you assign one."""
        return self.__dict__.get("_name") or f"Greenlet-{self.minimal_ident}"

    @name.setter
    def name(self, value: str) -> None:
        self._name = value

    @property
    def loop(self):
        return self.parent

    def __bool__(self) -> bool:
        return self._start is not None and self._start is not _CANCELLED and self._exc_info is None

    @property
    def started(self) -> bool:
        """True once start() was called, until the greenlet finishes (gevent's meaning)."""
        return bool(self)

    @property
    def dead(self) -> bool:
        """True when it finished, or was killed before it ever ran: it will not run again."""
        return self._start is _CANCELLED or _greenlet_dead(self)

    def ready(self) -> bool:
        """True when it has finished, successfully or not."""
        return self._exc_info is not None or self.dead

    def successful(self) -> bool:
        """True when it finished without an error (being killed counts as success)."""
        return self._exc_info is not None and self._exc_info[1] is None

    @property
    def exception(self):
        """The exception it died of, or None."""
        return self._exc_info[1] if self._exc_info is not None else None

    @property
    def exc_info(self):
        """(type, value, traceback) of the exception it died of, or None."""
        ei = self._exc_info
        if ei is not None and ei[0] is not None:
            return ei
        return None

    def _raise_exception(self):
        t, v, tb = self._exc_info
        raise v.with_traceback(tb)

    def _formatinfo(self) -> str:
        if self._formatted is not None:
            return self._formatted
        func = self._run
        if getattr(func, "__self__", None) is self:
            text = "_run"
        else:
            text = getattr(func, "__name__", "") or repr(func)
        args = [repr(a)[:50] for a in self.args]
        args += [f"{k}={v!r:.50}" for k, v in self.kwargs.items()]
        text += "(" + ", ".join(args) + ")"
        self._formatted = text
        return text

    def state(self) -> str:
        """Where this greenlet is in its life, in words (what ``repr`` shows)."""
        if self.ready():
            if self._exc_info is None:
                return "dead"
            if self.successful():
                if isinstance(self.value, GreenletExit):
                    return "dead: killed"
                return f"dead: returned {self.value!r:.40}"
            return f"dead: raised {type(self.exception).__name__}"
        if self._start is None:
            return "not started"
        if not _greenlet_started(self):
            return "pending start"
        if self is getcurrent():
            return "running"
        waiter = getattr(self, "_cc_waiter", None)
        if waiter is not None:
            return f"blocked on {waiter.reason}"
        return "suspended"

    def __repr__(self) -> str:
        name = f' "{self.__dict__["_name"]}"' if "_name" in self.__dict__ else ""
        return f"<{type(self).__name__}{name} {self._formatinfo()} {self.state()}>"

    # -- starting -----------------------------------------------------------------------------

    def start(self) -> None:
        """Schedule the greenlet to start on the hub's next turn (no-op if already started)."""
        if self._start is None:
            self._start = entry = [self.switch, ()]
            self.parent.append_callback(entry)

    def start_later(self, seconds: float) -> None:
        """Schedule the greenlet to start after ``seconds``."""
        if self._start is None:
            timer = self._start = self.parent.timer(seconds)
            timer.start(self.switch)

    def _cancel_start(self) -> None:
        """Make sure the greenlet is never started (unless it already has been)."""
        start = self._start
        if start is _STARTED or start is _CANCELLED:
            return
        if type(start) is list:
            _cancel_callback(start)  # disarm the queued start callback
        elif start is not None:
            start.stop()  # a start_later timer
        self._start = _CANCELLED

    @classmethod
    def spawn(cls, *args, **kwargs) -> Greenlet:
        """Make a greenlet of this class and start it: ``Greenlet.spawn(fn, *args)``."""
        g = cls(*args, **kwargs)
        g.start()
        return g

    @classmethod
    def spawn_later(cls, seconds: float, *args, **kwargs) -> Greenlet:
        """Make a greenlet of this class and start it after ``seconds``."""
        if cls is Greenlet and not args and "run" not in kwargs:
            raise TypeError(
                f"Greenlet.spawn_later({seconds!r}): give the function to run after the seconds"
            )
        g = cls(*args, **kwargs)
        g.start_later(seconds)
        return g

    # -- running ------------------------------------------------------------------------------

    def run(self):
        start = self._start
        if type(start) is list:
            _cancel_callback(start)  # we may have been switched in before the start callback
        elif start is _CANCELLED:
            return  # killed before it ran: it never runs
        elif start is not None:
            start.stop()  # a start_later timer, in case it is still pending
        self._start = _STARTED
        try:
            result = self._run(*self.args, **self.kwargs)
        except:  # noqa: E722 -- everything a greenlet raises is kept, as in gevent
            try:
                self._report_error(sys.exc_info())
            finally:
                self._free()
        else:
            # _report_result and _free, inlined: this is the path every greenlet takes
            self._exc_info = _SUCCESS
            self.value = result
            self.args = ()
            if self.kwargs:
                self.kwargs = {}
            if self._links and not self._notifier:
                self._notifier = True
                self.parent.append_callback((self._notify_links, ()))

    def _run(self):
        """Override in a subclass to give the greenlet its work."""
        return None

    def _free(self):
        # Drop the arguments (they may be big) but keep the function, for the repr.
        self.args = ()
        if self.kwargs:
            self.kwargs = {}

    def _report_result(self, result):
        self._exc_info = _SUCCESS
        self.value = result
        if self._links and not self._notifier:
            self._notifier = True
            self.parent.append_callback((self._notify_links, ()))

    def _report_error(self, exc_info):
        if isinstance(exc_info[1], GreenletExit):
            self._report_result(exc_info[1])
            return
        self._exc_info = exc_info
        if self._links and not self._notifier:
            self._notifier = True
            self.parent.append_callback((self._notify_links, ()))
        self.parent.handle_error(self, *exc_info)

    def throw(self, *args):
        """Raise an exception in the greenlet now (use ``kill`` from other greenlets)."""
        self._cancel_start()
        try:
            if not self.dead:
                greenlet.throw(self, *args)
        finally:
            self._handle_death_before_start(args)

    def _handle_death_before_start(self, args):
        if self._exc_info is None and self.dead:
            # It never ran and never will: record the exception as its result.
            if len(args) == 1:
                arg = args[0]
                if isinstance(arg, type) and issubclass(arg, BaseException):
                    args = (arg, arg(), None)
                else:
                    args = (type(arg), arg, None)
            elif not args:
                args = (GreenletExit, GreenletExit(), None)
            self._report_error(args)

    def _maybe_kill_before_start(self, exception) -> bool:
        """If it never ran, mark it dead with ``exception`` as its result; True if dead."""
        self._cancel_start()
        self._free()
        dead = self.dead
        if dead:
            args = (
                exception if isinstance(exception, tuple) and len(exception) == 3 else (exception,)
            )
            self._handle_death_before_start(args)
        return dead

    def kill(self, exception=GreenletExit, block: bool = True, timeout=None) -> None:
        """Raise ``exception`` in the greenlet; by default wait until it has died.

        A greenlet that never ran is marked dead at once and never runs. Never raises.
        """
        if self._maybe_kill_before_start(exception):
            return
        if self.ready():
            return
        hub = self.parent
        waiter = Waiter(hub) if block else None
        hub.append_callback((_kill, (self, exception, waiter)))
        if waiter is not None:
            waiter.get("Greenlet.kill", self)
            self.join(timeout)

    # -- waiting for it -----------------------------------------------------------------------

    def join(self, timeout=None) -> None:
        """Wait until the greenlet finishes (or ``timeout`` seconds pass); return None."""
        if self.ready():
            return
        waiter = Waiter(self.parent)
        switch = waiter.switch
        self.rawlink(switch)
        try:
            t = Timeout._start_new_or_dummy(timeout)
            try:
                waiter.get("Greenlet.join", self)
            finally:
                t.cancel()
        except Timeout as ex:
            self.unlink(switch)
            if ex is not t:
                raise
        except BaseException:
            self.unlink(switch)
            raise

    def get(self, block: bool = True, timeout=None):
        """Return its result, or re-raise its exception; wait for it if ``block``.

        With ``block=False`` (or after ``timeout``) on an unfinished greenlet, raise Timeout.
        """
        if self.ready():
            if self.successful():
                return self.value
            self._raise_exception()
        if not block:
            raise Timeout()
        waiter = Waiter(self.parent)
        switch = waiter.switch
        self.rawlink(switch)
        try:
            t = Timeout._start_new_or_dummy(timeout)
            try:
                waiter.get("Greenlet.get", self)
            finally:
                t.cancel()
        except BaseException:
            self.unlink(switch)
            raise
        if self.ready():
            if self.successful():
                return self.value
            self._raise_exception()
        return None

    # -- links --------------------------------------------------------------------------------

    def rawlink(self, callback) -> None:
        """Call ``callback(self)`` in the hub when the greenlet finishes. It must not block."""
        if not callable(callback):
            raise TypeError(f"rawlink(callback): expected a callable, got {callback!r}")
        self._links.append(callback)
        if not self._notifier and (
            self._exc_info is not None or self._start is _CANCELLED or _greenlet_dead(self)
        ):  # (self.ready(), spelled out: joinall links every greenlet)
            self._notifier = True
            self.parent.append_callback((self._notify_links, ()))

    def link(self, callback, SpawnedLink=SpawnedLink) -> None:  # (gevent's signature)
        """Call ``callback(self)`` in a new greenlet when this one finishes."""
        self.rawlink(SpawnedLink(callback))

    def link_value(self, callback) -> None:
        """Like link, but only if the greenlet finishes successfully."""
        self.link(callback, SpawnedLink=SuccessSpawnedLink)

    def link_exception(self, callback) -> None:
        """Like link, but only if the greenlet dies of an exception."""
        self.link(callback, SpawnedLink=FailureSpawnedLink)

    def unlink(self, callback) -> None:
        """Remove a callback added by link or rawlink."""
        links = self._links
        if links:  # (cheap when it has already fired: joinall unlinks every greenlet)
            try:
                links.remove(callback)
            except ValueError:
                pass

    def unlink_all(self) -> None:
        del self._links[:]

    def has_links(self) -> bool:
        """True if some link or rawlink is still waiting to be called."""
        return bool(self._links)

    def _notify_links(self):
        links = self._links
        while links:
            link = links.pop(0)
            try:
                link(self)
            except BaseException:
                self.parent.handle_error((link, self), *sys.exc_info())
        self._notifier = False

    def __enter__(self):
        return self

    def __exit__(self, typ, value, tb):
        # A clean exit waits for the greenlet; an error in the body kills it with that error.
        if typ is None:
            try:
                self.join()
            finally:
                self.kill()
        else:
            self.kill((typ, value, tb))


def _greenlet_started(g) -> bool:
    """greenlet's own idea of "started": it has been switched into at least once."""
    return greenlet.__bool__(g) or _greenlet_dead(g)


def _kill(glet, exception, waiter):
    try:
        if isinstance(exception, tuple) and len(exception) == 3:
            glet.throw(*exception)
        else:
            glet.throw(exception)
    except BaseException:
        glet.parent.handle_error(glet, *sys.exc_info())
    if waiter is not None:
        waiter.switch(None)


# ---------------------------------------------------------------------------------------------
# Module-level functions


def spawn(function, *args, **kwargs) -> Greenlet:
    """Start ``function(*args, **kwargs)`` in a new greenlet on the hub's next turn."""
    g = Greenlet(function, *args, **kwargs)
    g._start = entry = [g.switch, ()]  # what g.start() does, inlined: spawn is a hot path
    g.parent.append_callback(entry)
    return g


def spawn_later(seconds: float, function, *args, **kwargs) -> Greenlet:
    """Start ``function(*args, **kwargs)`` in a new greenlet after ``seconds``."""
    g = Greenlet(function, *args, **kwargs)
    g.start_later(seconds)
    return g


def spawn_raw(function, *args, **kwargs) -> greenlet:
    """Start a bare ``greenlet.greenlet`` (no result, no links): the cheapest task there is."""
    if not callable(function):
        raise TypeError(f"spawn_raw(function={function!r}): function must be callable")
    hub = get_hub()
    if kwargs:
        g = greenlet(lambda: function(*args, **kwargs), hub)
        hub.append_callback((g.switch, ()))
    else:
        g = greenlet(function, hub)
        hub.append_callback((g.switch, args))
    return g


class _WaitIterator:
    """Yields objects (greenlets, events, ...) in the order they become ready.

    Each object is linked to ``_switch``, which queues it in ``_ready`` and, if the consumer
    is parked waiting for the next one, switches back into it (links are called by the hub,
    so this is the hub waking a waiter). The iterator is its own Waiter: ``__next__`` parks
    the consumer the way ``Waiter.get`` does, with ``reason`` and ``obj`` for the deadlock
    report and the tracer, but without a Waiter object per item (joinall is a hot path).
    """

    reason = "joinall/wait"

    def __init__(self, objects, hub, timeout, count):
        self._hub = hub
        self._objects = objects
        self._ready = deque()
        self.greenlet = None  # the consumer, while it is parked in __next__
        self._timeout = timeout
        self._timer = None
        self._begun = False
        self._count = len(objects) if count is None else min(count, len(objects))

    @property
    def obj(self):
        return _Pending(self._objects)

    def _switch(self, obj):
        self._ready.append(obj)
        g = self.greenlet
        if g is not None:  # the consumer waits for this: wake it
            g.switch()

    def _begin(self):
        self._begun = True
        switch = self._switch
        for obj in self._objects:
            obj.rawlink(switch)
        if self._timeout is not None:
            self._timer = self._hub.timer(self._timeout, priority=-1)
            self._timer.start(switch, self)

    def __iter__(self):
        return self

    def __next__(self):
        if not self._begun:
            self._begin()
        if self._count == 0:
            self._cleanup()
            raise StopIteration
        self._count -= 1
        ready = self._ready
        if not ready:
            cur = getcurrent()
            hub = self._hub
            if cur is hub:
                raise BlockingSwitchOutError(
                    "joinall/wait: cannot wait inside the hub (a callback or link tried to "
                    "block); spawn a greenlet to do the waiting instead"
                )
            self.greenlet = cur
            cur._cc_waiter = self
            try:
                _switch(hub)
            except BaseException:
                self._cleanup()
                raise
            finally:
                cur._cc_waiter = None
                self.greenlet = None
        item = ready.popleft()
        if item is self:
            self._cleanup()
            raise StopIteration
        return item

    def _cleanup(self):
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        objects, self._objects = self._objects, ()
        for obj in objects:
            unlink = getattr(obj, "unlink", None)
            if unlink is not None:
                unlink(self._switch)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._cleanup()


class _Pending:
    """Shows, in a deadlock report, which of the waited-for objects are not ready yet."""

    def __init__(self, objects):
        self.objects = objects

    def __repr__(self):
        pending = [o for o in self.objects if not o.ready()]
        return "[" + ", ".join(repr(o) for o in pending) + "]"


def iwait(objects, timeout=None, count=None):
    """Iterate over ``objects`` as they become ready (finish, get set, ...)."""
    timeout = check_timeout("iwait/wait/joinall", timeout)
    if objects is None:
        return iter([get_hub().join(timeout=timeout)])
    if not isinstance(objects, (list, tuple)):
        objects = list(objects)
    return _WaitIterator(objects, get_hub(), timeout, count)


def wait(objects=None, timeout=None, count=None):
    """Wait for ``objects`` to be ready and return those that are, in the order they got so.

    With no objects, wait until the hub has nothing left to do.
    """
    if objects is None:
        return get_hub().join(timeout=timeout)
    return list(iwait(objects, timeout, count))


def joinall(greenlets, timeout=None, raise_error: bool = False, count=None):
    """Wait for the ``greenlets`` to finish; return those that did, in finishing order.

    ``raise_error=True`` re-raises the first exception as soon as a greenlet dies of one.
    """
    if not raise_error:
        return wait(greenlets, timeout=timeout, count=count)
    done = []
    for obj in iwait(greenlets, timeout=timeout, count=count):
        if getattr(obj, "exception", None) is not None:
            if hasattr(obj, "_raise_exception"):
                obj._raise_exception()
            raise obj.exception
        done.append(obj)
    return done


def kill(greenlet_, exception=GreenletExit, block: bool = False, timeout=None) -> None:
    """Kill one greenlet (a Greenlet or a raw greenlet); by default without waiting for it.

    As in gevent, the exception is raised in it on the hub's next turn and ``kill`` returns at
    once. ``block=True`` (a coopconc extra, for Greenlets) waits like ``Greenlet.kill``.
    """
    if not greenlet_.dead:
        if hasattr(greenlet_, "kill"):
            greenlet_.kill(exception=exception, block=block, timeout=timeout)
        else:
            get_hub().run_callback(greenlet_.throw, exception)


def _killall3(greenlets, exception, waiter):
    diehards = []
    for g in greenlets:
        if not g.dead:
            try:
                g.throw(exception)
            except BaseException:
                g.parent.handle_error(g, *sys.exc_info())
            if not g.dead:
                diehards.append(g)
    waiter.switch(diehards)


def _killall(greenlets, exception):
    for g in greenlets:
        if not g.dead:
            try:
                g.throw(exception)
            except BaseException:
                g.parent.handle_error(g, *sys.exc_info())


def killall(greenlets, exception=GreenletExit, block: bool = True, timeout=None) -> None:
    """Kill every greenlet of ``greenlets``; by default wait until they are all dead."""
    need_killing = []
    for g in greenlets:
        cancel = getattr(g, "_maybe_kill_before_start", None)
        if cancel is None or not cancel(exception):
            need_killing.append(g)
    if not need_killing:
        return
    hub = get_hub()
    if block:
        waiter = Waiter(hub)
        hub.run_callback(_killall3, need_killing, exception, waiter)
        t = Timeout._start_new_or_dummy(timeout)
        try:
            alive = waiter.get("killall", need_killing)
            if alive:
                joinall(alive, raise_error=False)
        finally:
            t.cancel()
    else:
        hub.run_callback(_killall, need_killing, exception)
