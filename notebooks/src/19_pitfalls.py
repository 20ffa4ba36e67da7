# %% [markdown]
# # 19 · Pitfalls — 缺陷 (Pitfalls)
#
# **Source:** the last section of the document, 缺陷 ("Pitfalls"): like every asynchronous I/O
# framework, gevent has weak spots — a real blocking call, a busy CPU, and deadlocks between
# greenlets — and one weak spot it avoids, thanks to monkey patching.
#
# After this notebook you can:
# - recognise the three ways a cooperative program stops making progress, and fix each one;
# - catch a greenlet that hogs the thread with `coopconc.monitor.BlockingMonitor`;
# - read coopconc's deadlock report, which names every blocked greenlet and what it waits on.

# %% [markdown]
# ## The source's list, in our words
#
# 1. **A real blocking call** — one that blocks in the operating system's kernel, not in the hub —
#    stops *everything*: no other greenlet runs until it returns. The source compares it to C
#    code on which monkey patching had no effect.
# 2. **A busy CPU.** Greenlets are not pre-empted: a greenlet that computes and never waits is
#    never interrupted, and the others are never scheduled.
# 3. **Deadlocks** between greenlets are possible, just as between threads.
#
# And a pitfall gevent *avoids*: you will rarely meet a pure-Python library that blocks your
# program, because pure-Python libraries use the standard library, and monkey patching makes
# the standard library cooperative.
#
# We make each pitfall happen, look at it, and fix it.

# %% [markdown]
# ## Pitfall 1: a real blocking call freezes every greenlet
#
# `from time import sleep as blocking_sleep` gives us the real `time.sleep` under a name of our
# own. Monkey patching replaces `time.sleep` *in the `time` module*; a name bound before (or
# under another name) keeps the original, which blocks the whole OS thread. It stands for every
# call that blocks outside the hub: a C database driver, a C DNS lookup, a file on a slow disk.
#
# A `ticker` greenlet notes a tick every 10 ms; a `worker` greenlet calls `blocking_sleep(0.1)`.
# The worker counts the ticks that happened while it was blocked. This runs on the **real
# clock** (a blocking call blocks real time), so we print only facts that hold on every run.

# %%
import time
from time import sleep as blocking_sleep

import coopconc

ticks = []


def ticker():
    for _ in range(15):
        ticks.append(time.monotonic())
        coopconc.sleep(0.01)


def worker():
    before = len(ticks)
    blocking_sleep(0.1)
    print("ticks while the worker was blocked:", len(ticks) - before)


t = coopconc.Greenlet(ticker)
w = coopconc.Greenlet(worker)
t.name, w.name = "ticker", "worker"
t.start()
w.start()
coopconc.joinall([t, w])
longest_gap = max(b - a for a, b in zip(ticks, ticks[1:]))
print("the ticker's longest gap between two ticks was at least 0.1 s:", longest_gap >= 0.095)

# %% [markdown]
# **The fix:** wait *through the hub*. `coopconc.sleep(0.1)` parks only the worker; the hub
# goes on running the ticker meanwhile. For a call that has no cooperative version (a C
# library), hand it to a real OS thread with `coopconc.threadpool.ThreadPool`: the calling
# greenlet waits on the result cooperatively, and only it waits.

# %%
import time
from time import sleep as blocking_sleep

import coopconc
from coopconc.threadpool import ThreadPool

ticks = []
pool = ThreadPool(2)


def ticker():
    for _ in range(15):
        ticks.append(time.monotonic())
        coopconc.sleep(0.01)


def worker(how):
    before = len(ticks)
    if how == "a cooperative sleep":
        coopconc.sleep(0.1)
    else:
        pool.spawn(blocking_sleep, 0.1).get()  # blocks a worker thread, not the hub
    print(f"{how}: the ticker ticked while the worker waited:", len(ticks) > before)


for how in ["a cooperative sleep", "a thread pool"]:
    ticks.clear()
    t = coopconc.Greenlet(ticker)
    w = coopconc.Greenlet(worker, how)
    t.name, w.name = "ticker", "worker"
    t.start()
    w.start()
    coopconc.joinall([t, w])
pool.kill()

# %% [markdown]
# The picture: the same two programs, recorded by `coopconc.trace.Tracer` on the real clock
# (counted from 0 by a small `Stopwatch` clock given to the hub, so both rows start together).
# At the top, the worker's dark bar is 0.1 s long — it *ran* for 0.1 s, as far as the hub can
# tell, and the ticker's row has a hole of the same length. At the bottom, the worker waits
# (pale bar) and the ticker's short dark bars go on all along.

# %%
# coopconc only: the tracer's timeline, set_hub_clock
import time
from time import sleep as blocking_sleep

import matplotlib.pyplot as plt

import coopconc
from coopconc.hub import set_hub_clock
from coopconc.trace import Tracer


class Stopwatch:
    """The real clock, counting from 0 when made (so that two timelines share one axis)."""

    virtual = False

    def __init__(self):
        self.start = time.monotonic()

    def now(self):
        return time.monotonic() - self.start


def run(pause):
    def ticker():
        for _ in range(15):
            coopconc.sleep(0.01)

    def worker():
        pause(0.1)

    previous = set_hub_clock(Stopwatch())
    try:
        with Tracer() as tracer:
            t = coopconc.Greenlet(ticker)
            w = coopconc.Greenlet(worker)
            t.name, w.name = "ticker", "worker"
            t.start()
            w.start()
            coopconc.joinall([t, w])
    finally:
        set_hub_clock(previous)
    return tracer


fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 4.5), sharex=True)
run(blocking_sleep).timeline(ax=top, title="worker calls the real time.sleep(0.1): all frozen")
run(coopconc.sleep).timeline(ax=bottom, title="worker calls coopconc.sleep(0.1): ticker goes on")
fig.tight_layout()
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("19_blocking.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## Pitfall 2: a busy CPU starves the others
#
# A greenlet that computes without ever waiting is never interrupted. Below, `cruncher` does a
# couple of million multiplications; `ticker` wants to tick every 20 ms and cannot.
#
# Nothing in the program complains — unless we watch it. `coopconc.monitor.BlockingMonitor`
# starts a watchdog OS thread that notices when the same greenlet has been running for longer
# than `threshold` seconds without a switch, and reports it once per stall: which greenlet, for
# how long, and where. We keep the printed text aside (`stream=io.StringIO()`) and print only
# the parts that are the same on every run: the greenlet and the function it was stuck in.

# %%
# coopconc only: coopconc.monitor (the watchdog), coopconc.now()
import io

import coopconc
from coopconc.monitor import BlockingMonitor

ticks = []


def ticker():
    for _ in range(10):
        ticks.append(coopconc.now())
        coopconc.sleep(0.02)


def crunch(n):
    before = len(ticks)
    total = 0
    for i in range(n):
        total += i * i % 7
    print("ticks while crunching:", len(ticks) - before)
    return total


with BlockingMonitor(threshold=0.1, stream=io.StringIO()) as monitor:
    t = coopconc.Greenlet(ticker)
    c = coopconc.Greenlet(crunch, 2_000_000)
    t.name, c.name = "ticker", "cruncher"
    t.start()
    c.start()
    coopconc.joinall([t, c])

for report in monitor.reports:
    print(f"reported: {report.greenlet} in function {report.function}()")

# %% [markdown]
# Here is what the monitor prints when it is given a stream (or to `sys.stderr`, the default).
# The numbers and the file name depend on the machine, so this cell's output is not compared.

# %%
# coopconc only: coopconc.monitor (the watchdog)
# NBVAL_IGNORE_OUTPUT
# (not compared: the duration and the cell's file name change from run to run)
import sys

import coopconc
from coopconc.monitor import BlockingMonitor


def crunch(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


with BlockingMonitor(threshold=0.1, stream=sys.stdout):
    c = coopconc.Greenlet(crunch, 2_000_000)
    c.name = "cruncher"
    c.start()
    c.join()

# %% [markdown]
# **The fix:** give way now and then. `coopconc.sleep(0)` every few thousand iterations lets
# every ready greenlet run once, then comes back. The work takes about as long, but nobody
# starves and the monitor stays silent about the cruncher. (The other fix is to move the work
# out of the hub's thread: a thread pool for C code that releases the GIL, a process pool for
# pure-Python computing — see notebook 01 on the GIL.)

# %%
# coopconc only: coopconc.monitor (the watchdog), coopconc.now()
import io

import coopconc
from coopconc.monitor import BlockingMonitor

ticks = []


def ticker():
    for _ in range(10):
        ticks.append(coopconc.now())
        coopconc.sleep(0.02)


def crunch_politely(n, every=10_000):
    before = len(ticks)
    total = 0
    for i in range(n):
        total += i * i % 7
        if i % every == 0:
            coopconc.sleep(0)  # let the others run
    print("ticks while crunching politely:", "some" if len(ticks) > before else "none")
    return total


with BlockingMonitor(threshold=0.1, stream=io.StringIO()) as monitor:
    t = coopconc.Greenlet(ticker)
    c = coopconc.Greenlet(crunch_politely, 1_500_000)
    t.name, c.name = "ticker", "cruncher"
    t.start()
    c.start()
    coopconc.joinall([t, c])

print("reports about the cruncher:", sum(r.greenlet == 'greenlet "cruncher"' for r in monitor.reports))

# %% [markdown]
# The two runs, one above the other on the same (real) time axis. The greedy cruncher runs in
# one piece and the ticker's first tick comes only after it. The polite one hands over
# about 170 times (500 000 steps, a `sleep(0)` every 3 000), and the ticker's turns fall in
# between.
#
# How often is often enough? `sleep(0)` lets the greenlets that are *ready* run, at once; a
# greenlet waiting for a *timer* (the ticker) gets its turn when the hub next looks at its
# timers, which it does after a batch of callbacks. coopconc's hub looks at the clock every 64
# callbacks and ends the batch once 5 ms (`coopconc.hub.SWITCH_INTERVAL`) have passed. gevent
# does the same with other numbers: every 50 callbacks on its default libev loop
# (`DEF CALLBACK_CHECK_COUNT = 50` in `src/gevent/libev/corecext.pyx`, and
# `CALLBACK_CHECK_COUNT = 50` in `src/gevent/_ffi/loop.py` for the CFFI loop), every 100 on
# libuv (`CALLBACK_CHECK_COUNT = max(AbstractLoop.CALLBACK_CHECK_COUNT, 100)` in
# `src/gevent/libuv/loop.py`), against `gevent.getswitchinterval()`, 5 ms by default (read in
# gevent 26.9.0 and on gevent's GitHub). So yield every millisecond or so, not every second.

# %%
# coopconc only: the tracer's timeline, set_hub_clock
import time

import matplotlib.pyplot as plt

import coopconc
from coopconc.hub import set_hub_clock
from coopconc.trace import Tracer


class Stopwatch:
    """The real clock, counting from 0 when made (so that two timelines share one axis)."""

    virtual = False

    def __init__(self):
        self.start = time.monotonic()

    def now(self):
        return time.monotonic() - self.start


def run(every):
    def ticker():
        for _ in range(10):
            coopconc.sleep(0.01)

    def crunch(n):
        total = 0
        for i in range(n):
            total += i * i % 7
            if every and i % every == 0:
                coopconc.sleep(0)
        return total

    previous = set_hub_clock(Stopwatch())
    try:
        with Tracer() as tracer:
            t = coopconc.Greenlet(ticker)
            c = coopconc.Greenlet(crunch, 500_000)
            t.name, c.name = "ticker", "cruncher"
            t.start()
            c.start()
            coopconc.joinall([t, c])
    finally:
        set_hub_clock(previous)
    return tracer


fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 4.5), sharex=True)
run(None).timeline(ax=top, title="greedy cruncher")
run(3_000).timeline(ax=bottom, title="cruncher with sleep(0) every 3 000 steps")
fig.tight_layout()
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("19_cpu.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# The monitor catches pitfall 1 too: a blocking call is, for the hub, a greenlet that runs and
# never switches.

# %%
# coopconc only: coopconc.monitor (the watchdog)
import io
from time import sleep as blocking_sleep

import coopconc
from coopconc.monitor import BlockingMonitor


def fetch_report():
    blocking_sleep(0.2)  # stands for a C library call that blocks


with BlockingMonitor(threshold=0.1, stream=io.StringIO()) as monitor:
    g = coopconc.Greenlet(fetch_report)
    g.name = "fetcher"
    g.start()
    g.join()

for report in monitor.reports:
    print(f"reported: {report.greenlet} in function {report.function}()")

# %% [markdown]
# ## Pitfall 3: a deadlock between greenlets
#
# `alice` waits for bob's signal before she gives hers; `bob` waits for alice's before he gives
# his. Each waits on the other's `Event`, forever. The main greenlet waits for both in
# `joinall`. Now *every* greenlet waits and nothing left (no callback, no timer, no socket) can
# wake any of them: the hub gives up and raises `LoopExit` in the main greenlet.
#
# gevent's message here is only `This operation would block forever` (plus the hub's repr): it
# says *that* the program is stuck, not *who* is stuck on *what*. coopconc's report lists every
# blocked greenlet, what it waits on, and the file, line and function where it waits (in a
# notebook the file is the cell, shown here as `<cell>`).

# %%
# coopconc only: the deadlock report of LoopExit
import coopconc
from coopconc.event import Event

alice_said_hi = Event()
bob_said_hi = Event()


def alice():
    bob_said_hi.wait()  # first wait for bob...
    alice_said_hi.set()


def bob():
    alice_said_hi.wait()  # ...while bob waits for alice
    bob_said_hi.set()


a = coopconc.Greenlet(alice)
b = coopconc.Greenlet(bob)
a.name, b.name = "alice", "bob"
a.start()
b.start()
try:
    coopconc.joinall([a, b])
except coopconc.hub.LoopExit as exc:
    print(exc)
finally:
    coopconc.killall([a, b])  # alice and bob would otherwise stay parked in the hub forever

# %% [markdown]
# Read it from the bottom: `bob` waits in `Event.wait` at the line `alice_said_hi.wait()`,
# `alice` waits in `Event.wait` at `bob_said_hi.wait()` — a cycle. The main greenlet waits for
# both of them. **The fix** is to break the cycle: here, one of them speaks first.

# %%
import coopconc
from coopconc.event import Event

alice_said_hi = Event()
bob_said_hi = Event()


def alice():
    alice_said_hi.set()  # alice speaks first
    bob_said_hi.wait()
    return "alice heard bob"


def bob():
    alice_said_hi.wait()
    bob_said_hi.set()
    return "bob heard alice"


a = coopconc.Greenlet(alice)
b = coopconc.Greenlet(bob)
a.name, b.name = "alice", "bob"
a.start()
b.start()
coopconc.joinall([a, b])
print(a.value, "|", b.value)

# %% [markdown]
# The same happens with locks taken in opposite orders — the classic deadlock of threads. Here
# the report names a `Semaphore` (a lock is a semaphore of one) and where each greenlet stopped:

# %%
# coopconc only: the deadlock report of LoopExit
import coopconc
from coopconc.lock import Semaphore

pens = Semaphore(1)
paper = Semaphore(1)


def writer(name, first, second):
    with first:
        coopconc.sleep(0)  # a switch in between is all it takes
        with second:
            return f"{name} wrote"


a = coopconc.Greenlet(writer, "alice", pens, paper)
b = coopconc.Greenlet(writer, "bob", paper, pens)
a.name, b.name = "alice", "bob"
a.start()
b.start()
try:
    coopconc.joinall([a, b])
except coopconc.hub.LoopExit as exc:
    print(exc)
finally:
    coopconc.killall([a, b])

# %% [markdown]
# ## The pitfall gevent avoids: pure-Python libraries become cooperative
#
# The source's last remark: a library written in pure Python does its waiting through the
# standard library (`time.sleep`, `socket`, `select`, ...). Monkey patching replaces those with
# cooperative versions, so the library waits through the hub without knowing it. Below, a small
# program does that in a separate Python process (patching changes the whole process, and this
# notebook's kernel should stay as it is): the "library" calls `time.sleep(0.3)`; after
# `coopconc.monkey.patch_all()` the ticker keeps ticking during it.

# %%
import subprocess
import sys
import textwrap

program = textwrap.dedent(
    """
    import coopconc.monkey
    coopconc.monkey.patch_all()       # first, before anything else imports time or socket

    import time                       # the "library": pure Python, knows nothing of coopconc
    def library_call():
        time.sleep(0.3)

    import coopconc
    ticks = []
    def ticker():
        for _ in range(10):
            ticks.append(1)
            coopconc.sleep(0.02)
    def worker():
        before = len(ticks)
        library_call()
        print("ticks while the library slept:", "some" if len(ticks) > before else "none")

    coopconc.joinall([coopconc.spawn(ticker), coopconc.spawn(worker)])
    """
)
result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
print(result.stdout.strip() or result.stderr)

# %% [markdown]
# ## Errata
#
# - **"Blocking … like C code where monkey patching did not take effect."** More precisely: any
#   call that waits in the kernel instead of in the hub. That includes C extensions (most
#   database drivers), but also pure-Python code that took a reference to the original function
#   before patching (`from time import sleep` at import time, as pitfall 1 did on purpose).
#   That is why `patch_all()` must run first (notebook 08).
# - **"You will almost never meet a Python library that blocks your application."** Too strong:
#   it holds for pure-Python libraries, imported after patching. C-extension libraries block
#   regardless (unless they offer a hook for cooperative waiting), and so does CPU work (pitfall 2).
# - **Deadlocks**: the source only says they are possible. gevent reports one as
#   `LoopExit: This operation would block forever`; coopconc's `LoopExit` also lists the blocked
#   greenlets, what each waits on and where — the cycle can be read off the report.
# - The source has no code for this section; every example here is new.

# %% [markdown]
# ## How coopconc does it
#
# **The blocking monitor** (`coopconc/monitor.py`) has two halves. In the hub's thread, a hook
# installed with `greenlet.settrace` runs on every switch:

# %%
# coopconc only: inspect.getsource of coopconc, coopconc.monitor (the watchdog)
import inspect

from coopconc.monitor import BlockingMonitor

print(inspect.getsource(BlockingMonitor._on_switch))

# %% [markdown]
# In the watchdog thread, a loop wakes a few times per threshold and compares:

# %%
# coopconc only: inspect.getsource of coopconc, coopconc.monitor (the watchdog)
import inspect

from coopconc.monitor import BlockingMonitor

print(inspect.getsource(BlockingMonitor._watch))

# %% [markdown]
# **The deadlock report** is written by the hub when its loop runs out of things to do while the
# main greenlet still waits:

# %%
# coopconc only: inspect.getsource of coopconc
import inspect

from coopconc.hub import report

print(inspect.getsource(report.blocked_greenlets))
print(inspect.getsource(report.loop_exit_message))

# %% [markdown]
# Three things to notice:
#
# 1. **The hook only counts.** On each switch it stores one tuple `(count, greenlet)` — a single
#    assignment, so the watchdog thread always reads a consistent pair. All the judging (has the
#    count stood still for `threshold` seconds? is the hub merely idle in `_poll`?) happens in
#    the other thread, where it costs the program nothing.
# 2. **A stall is reported once**: `report` stays set until the count moves again; meanwhile the
#    watchdog only updates its `duration`, and when the greenlet finally switches the report is
#    marked `ended`.
# 3. **The deadlock report needs no help from the primitives.** Every wait goes through
#    `Waiter.get(reason, obj)`, which leaves the waiter on the greenlet as `_cc_waiter`; the hub
#    finds every parked greenlet *of its own thread* among Python's objects (`gc.get_objects()`)
#    and reads the reason, the object and — with `where(g)` — the line in *your* code where it
#    stopped (the first frame outside coopconc's own files).

# %% [markdown]
# ## Exercises
#
# **1. A polite cruncher.** Write `crunch_politely(n, every)` that returns
# `sum(i * i % 7 for i in range(n))` but gives way to the other greenlets (`coopconc.sleep(0)`)
# once every `every` iterations. The check runs it next to a greenlet that counts its own turns.

# %%
# coopconc only: the exercise checker
import coopconc


def crunch_politely(n, every):
    """Your answer: the same sum, with a coopconc.sleep(0) every `every` iterations."""
    raise NotImplementedError("write your answer here")


from coopconc.exercises import check

check("19.1", crunch_politely)

# %% [markdown]
# **2. Break the lock cycle.** `alice` takes the pens then the paper, `bob` the paper then the
# pens: the deadlock above. Write `in_safe_order(x, y)` that returns the two locks in an order
# that is the same whoever asks (so both take them in the same order), e.g. `(pens, paper)` for
# both `in_safe_order(pens, paper)` and `in_safe_order(paper, pens)`. Hint: any fixed ranking of
# the two objects will do.

# %%
# coopconc only: the exercise checker
def in_safe_order(x, y):
    """Your answer: the same two locks, in an order that does not depend on the argument order."""
    raise NotImplementedError("write your answer here")


from coopconc.exercises import check

check("19.2", in_safe_order)
