"""coopconc: cooperative concurrency, small enough to read, fast enough to use.

A re-implementation of gevent's core on ``greenlet``, written to be read by students of the
coopconc course. Names and behaviour follow gevent, so ``import coopconc as gevent`` runs a
gevent program; coopconc adds a virtual clock (``virtual_clock``, ``run``, ``now``), a tracer
with timelines (``coopconc.trace``) and deadlock reports (in ``LoopExit``).

The map of the package (each module opens with an essay on how it works):

    hub          the event loop and the one waiting path everything else uses
    greenlet     Greenlet, spawn, join, kill, joinall
    timeout      Timeout, with_timeout
    signal       signal_handler
    event        Event, AsyncResult
    queue        Queue, JoinableQueue, PriorityQueue, LifoQueue, Channel
    lock         Semaphore, BoundedSemaphore, RLock (and Lock, coopconc's own)
    local        local: attributes private to each greenlet
    pool         Group, Pool
    actor        Actor, Supervisor (coopconc's addition)
    socket       a cooperative socket, waiting through the hub
    select       select, poll
    baseserver   BaseServer; server: StreamServer
    threadpool   ThreadPool: blocking calls in OS threads, results back in the hub
    subprocess   Popen and friends, waited on cooperatively
    monkey       patch_all: make the standard library cooperative (and undo it)
    trace        who ran when: the tracer and its timeline picture (coopconc's addition)
    monitor      a watchdog that reports a greenlet hogging the thread (coopconc's addition)
    measure      ``python -m coopconc.measure``: processes vs threads vs greenlets, measured
    bench        ``python -m coopconc.bench``: coopconc against gevent
"""

from greenlet import GreenletExit, getcurrent

from coopconc.exceptions import LoopExit as LoopExit  # coopconc only here; gevent: gevent.hub
from coopconc.greenlet import (
    Greenlet,
    iwait,
    joinall,
    kill,
    killall,
    spawn,
    spawn_later,
    spawn_raw,
    wait,
)
from coopconc.hub import (
    get_hub,
    idle,
    now,
    run,
    sleep,
    virtual_clock,
)
from coopconc.signal import signal_handler
from coopconc.timeout import Timeout, with_timeout

__version__ = "0.1.0"

__all__ = [
    "Greenlet",
    "GreenletExit",
    "Timeout",
    "get_hub",
    "getcurrent",
    "idle",
    "iwait",
    "joinall",
    "kill",
    "killall",
    "now",
    "run",
    "signal_handler",
    "sleep",
    "spawn",
    "spawn_later",
    "spawn_raw",
    "virtual_clock",
    "wait",
    "with_timeout",
]
