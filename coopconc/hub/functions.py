"""The hub's module-level functions, gevent's names: sleep, idle, wait_read, now, the clocks.

``sleep`` is the hottest wait of all, so it parks the greenlet itself instead of making a
Waiter (see ``coopconc/hub/waiter.py``): its wake-up is a queued callback (``sleep(0)``) or a
timer, disarmed if the sleep ends any other way (a kill, a Timeout).

Part of the hub (``coopconc/hub/``); taught in notebooks 03 (event loops), 04 (greenlets) and
05 (determinism: the virtual clock).
"""

from __future__ import annotations

import contextlib
from heapq import heappush as _heappush

from greenlet import getcurrent

from coopconc.exceptions import BlockingSwitchOutError
from coopconc.hub.clocks import Timer, VirtualClock, check_timeout
from coopconc.hub.current import _local, get_hub
from coopconc.hub.poller import READ, WRITE
from coopconc.hub.waiter import Waiter, _nothing, _Parked, _switch

_SLEEP0 = _Parked("sleep(0)")
_SLEEP = _Parked("sleep")


def now() -> float:
    """The hub's current time (virtual seconds under a virtual clock)."""
    return get_hub().clock.now()


def sleep(seconds: float = 0, ref: bool = True) -> None:
    """Give way to other greenlets: ``sleep(0)`` lets every ready greenlet run once first;
    ``sleep(seconds)`` returns after at least ``seconds``."""
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
    try:
        at_once = seconds <= 0
    except TypeError:
        raise TypeError(
            f"sleep(seconds={seconds!r}): seconds must be a number, not {type(seconds).__name__}"
        ) from None
    if at_once:
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
        if seconds != seconds or type(seconds) is not float and type(seconds) is not int:
            seconds = check_timeout("sleep", seconds, "seconds")  # NaN or an odd type: refuse
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
