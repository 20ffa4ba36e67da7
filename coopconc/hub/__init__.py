"""The hub: one event loop per OS thread, and the one path by which every greenlet waits.

What it is
    The hub is a greenlet like any other, created on first use in each OS thread. Its job is to
    decide who runs next. A greenlet that has to wait for something (a timer, another greenlet,
    a queue item, a socket) switches to the hub; the hub runs until the thing happens and then
    switches back into the waiting greenlet. Nobody else switches: that is what "cooperative"
    means here. Everything else in coopconc is built on the few calls listed in ``loop.py``
    (``run_callback``, ``run_callback_threadsafe``, ``timer``, ``wait_fd``, ``Waiter``...).

Where each part lives (one idea per file)
    ``loop.py``      the Hub: callbacks, then a wait in the poller, then timers, then I/O; each
                     turn. Interrupts (Ctrl-C) are handed to the main greenlet, the hub lives on.
    ``fds.py``       ``wait_fd``: waiting for a file descriptor, and waking its waiter.
    ``poller.py``    epoll, the wake-up fd other threads use, and waits capped to a day.
    ``clocks.py``    the real and the virtual clock, timers, and ``check_timeout``.
    ``waiter.py``    the ``Waiter``: the one waiting path every primitive uses.
    ``report.py``    the deadlock report: who waits on what, where, when nothing can wake them.
    ``current.py``   ``get_hub()``: this thread's hub (its fds closed when the thread ends).
    ``functions.py`` ``sleep``, ``idle``, ``wait_read``..., ``virtual_clock``, ``run``.

    Only these files touch the hub's private attributes (those starting with ``_``).

Taught in notebooks 03 (event loops) and 04 (greenlets).
"""

from __future__ import annotations

from greenlet import GreenletExit as GreenletExit
from greenlet import getcurrent
from greenlet import greenlet as greenlet

from coopconc.exceptions import BlockingSwitchOutError as BlockingSwitchOutError
from coopconc.exceptions import ConcurrentObjectUseError as ConcurrentObjectUseError
from coopconc.exceptions import LoopExit as LoopExit
from coopconc.hub.clocks import RealClock as RealClock
from coopconc.hub.clocks import Timer, check_timeout
from coopconc.hub.clocks import VirtualClock as VirtualClock
from coopconc.hub.current import _set_hub as _set_hub
from coopconc.hub.current import get_hub, get_hub_if_exists
from coopconc.hub.functions import (
    idle,
    now,
    run,
    set_hub_clock,
    sleep,
    virtual_clock,
    wait_read,
    wait_readwrite,
    wait_write,
)
from coopconc.hub.loop import SWITCH_INTERVAL as SWITCH_INTERVAL
from coopconc.hub.loop import Hub
from coopconc.hub.poller import READ as READ
from coopconc.hub.poller import WRITE as WRITE
from coopconc.hub.report import waiting_reason as waiting_reason
from coopconc.hub.report import where as where
from coopconc.hub.waiter import Waiter

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
    "virtual_clock",
    "run",
    "set_hub_clock",
]

# wait_read/wait_write/wait_readwrite are importable from here but not listed: gevent keeps them
# in gevent.socket, and so does coopconc.socket (portable code imports them from there).
# The functions say they live here, their public home (as gevent's do in ``gevent.hub``):
# ``coopconc.hub.sleep`` is what ``monkey.patch_time`` installs and what its repr shows.
_PUBLIC_FUNCTIONS = (get_hub, get_hub_if_exists, check_timeout, sleep, idle, now, run)
_PUBLIC_FUNCTIONS += (wait_read, wait_write, wait_readwrite, virtual_clock, set_hub_clock)
for _function in _PUBLIC_FUNCTIONS:
    _function.__module__ = __name__
del _function
