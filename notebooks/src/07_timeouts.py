# %% [markdown]
# # 07 · Timeouts — 超时 (timeouts)
#
# **Source:** part *Gevent → 核心部分*, the section **超时** (timeouts) and its sub-heading
# 超时类 (the Timeout class): "a timeout puts a limit on how long a block of code or a
# greenlet may run", and "gevent also gives timeout arguments to the calls of greenlets and
# data structures". The listings were lost; the examples below re-create them.
#
# After this notebook you can:
# - limit a block of code with `Timeout` — started by hand, as a `with` block, raising your own
#   exception, or silently (`False`);
# - call a function with a deadline (`with_timeout`, with or without a `timeout_value`);
# - use the `timeout=` argument of `join`, `get`, `joinall` and `Queue.get`/`put`, and know
#   which of them raise and which return quietly.
#
# Every cell runs under the virtual clock, so "10 seconds" take no real time and every time
# printed is exact.

# %% [markdown]
# ## A Timeout started by hand
#
# `Timeout(seconds)` is an exception *and* a timer. `start()` arms it; if the greenlet that
# started it is still busy when the time is up, the Timeout is raised inside it, wherever it is
# waiting — here, in `join()`. `cancel()` disarms it; put it in `finally` so it is disarmed
# whatever happens. `Timeout` derives from `BaseException`, not `Exception`, so a broad
# `except Exception:` in the code it interrupts does not swallow it by accident; catch it by
# name. Look at the time at which `join` is interrupted.

# %%
import coopconc
from coopconc import Timeout


def wait():
    coopconc.sleep(10)


with coopconc.virtual_clock():
    timeout = Timeout(3)
    timeout.start()
    print("armed:", repr(timeout))
    waiter = coopconc.spawn(wait)
    try:
        waiter.join()
    except Timeout as exc:
        print(f"t={coopconc.now():.0f}: could not complete, {exc is timeout=}, str(exc)={str(exc)!r}")
    finally:
        timeout.cancel()
    print("after cancel:", repr(timeout))
    waiter.kill()  # the Timeout interrupted our join, not the greenlet we were waiting for

# %% [markdown]
# ## As a context manager, with your own exception
#
# `with Timeout(seconds, exception):` arms the timer on entry and cancels it on exit. The
# second argument says what to raise: an exception class, or an instance with your message.
# Look at which exception arrives, and when. The last block finishes in time, so nothing
# happens at all.

# %%
import coopconc
from coopconc import Timeout


class TooLong(Exception):
    pass


with coopconc.virtual_clock():
    try:
        with Timeout(5, TooLong):
            coopconc.sleep(10)
    except TooLong as exc:
        print(f"t={coopconc.now():.0f}: {exc!r}")

    try:
        with Timeout(2, TooLong("the report took more than 2 seconds")):
            coopconc.sleep(10)
    except TooLong as exc:
        print(f"t={coopconc.now():.0f}: {exc!r}")

    with Timeout(5, TooLong):
        coopconc.sleep(1)
    print(f"t={coopconc.now():.0f}: finished in time, no exception")

# %% [markdown]
# ## Silently: `Timeout(seconds, False)`
#
# With `False` as the exception, the block is cut short when time is up and execution simply
# continues after the `with` — no `try` needed. Useful for "wait at most this long, then move
# on". Look at which lines print: the one after the slow sleep does not.

# %%
import coopconc
from coopconc import Timeout

with coopconc.virtual_clock():
    with Timeout(1, False):
        print(f"t={coopconc.now():.0f}: starting something slow")
        coopconc.sleep(10)
        print("never printed: the block was cut short")
    print(f"t={coopconc.now():.0f}: carried on after the block, no exception")

# %% [markdown]
# ## Limiting a greenlet from the inside
#
# A Timeout is raised in the greenlet *that started it*. Here each worker limits its own job
# to 1.5 seconds; the main greenlet is not involved. Look at who is cut short and when.

# %%
import coopconc
from coopconc import Timeout


def job(name, seconds):
    with Timeout(1.5, False):
        coopconc.sleep(seconds)
        return f"{name}: done at t={coopconc.now():.1f}"
    return f"{name}: gave up at t={coopconc.now():.1f}"


with coopconc.virtual_clock():
    jobs = [coopconc.spawn(job, f"job-{s}", s) for s in (0.5, 1.0, 2.0, 3.0)]
    coopconc.joinall(jobs)
    for g in jobs:
        print(g.value)

# %% [markdown]
# ## The picture: where the timeouts cut in
#
# The same four jobs, recorded by the tracer. Each pale bar is a job waiting in `sleep`; the
# dotted outline is how long it asked to sleep; the dashed line is the 1.5 s limit. The two
# short jobs sleep as long as they asked; the two long ones are cut exactly on the line.

# %%
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

import coopconc
from coopconc import Timeout
from coopconc.trace import Tracer

LIMIT = 1.5


def job(seconds):
    with Timeout(LIMIT, False):
        coopconc.sleep(seconds)


with coopconc.virtual_clock(), Tracer() as tracer:
    jobs = []
    for seconds in (0.5, 1.0, 2.0, 3.0):
        g = coopconc.Greenlet(job, seconds)
        g.name = f"job asks {seconds:.1f}s"
        g.start()
        jobs.append(g)
    coopconc.joinall(jobs)

waits = [s for s in tracer.segments() if s.kind == "wait" and s.reason == "sleep"]
for s in waits:
    print(f"{s.who}: slept {s.end - s.start:.1f}s")
ax = tracer.timeline(title=f"four jobs, each limited to {LIMIT}s")
ax.axvline(LIMIT, color="k", linestyle="--", linewidth=1)
rows = tracer.who()
for g, seconds in zip(jobs, (0.5, 1.0, 2.0, 3.0)):  # dotted outline: what each job asked for
    ax.barh(rows.index(g.name), seconds, height=0.5, fill=False, edgecolor="grey", linestyle=":")
key = [
    Line2D([], [], color="k", linestyle="--", label=f"the timeout ({LIMIT} s)"),
    Patch(fill=False, edgecolor="grey", linestyle=":", label="the sleep each job asked for"),
]
ax.add_artist(ax.get_legend())  # keep the timeline's own key (running, waiting) ...
ax.legend(handles=key, loc="lower left", bbox_to_anchor=(1.01, 0.0), fontsize=8, frameon=False)  # ... and add these
fig = ax.figure
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("07_timeouts.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## `with_timeout`: a function call with a deadline
#
# `with_timeout(seconds, fn, *args)` calls `fn(*args)` and raises `Timeout` if it takes too
# long. Give it `timeout_value=` and it returns that value instead of raising — handy for a
# default answer.

# %%
import coopconc
from coopconc import Timeout, with_timeout


def lookup(key, seconds):
    coopconc.sleep(seconds)
    return f"value of {key}"


with coopconc.virtual_clock():
    print(with_timeout(2, lookup, "fast", 1))
    try:
        with_timeout(2, lookup, "slow", 5)
    except Timeout as exc:
        print(f"t={coopconc.now():.0f}: timed out after {exc}")
    print(with_timeout(2, lookup, "slow", 5, timeout_value="(default)"))
    print(f"t={coopconc.now():.0f}")

# %% [markdown]
# ## `timeout=` arguments
#
# The blocking calls take a `timeout=` too. They do not all behave alike, and that is the
# thing to remember from this cell:
#
# - `join(timeout)` **returns quietly** when time is up — check `ready()` afterwards;
# - `get(timeout)` **raises** `Timeout` — there is no value to return;
# - `joinall(..., timeout)` returns the greenlets that *did* finish;
# - `Queue.get(timeout)` raises `queue.Empty`, `Queue.put(timeout)` raises `queue.Full`.

# %%
import coopconc
from coopconc import Timeout
from coopconc.queue import Empty, Full, Queue


def work(seconds):
    coopconc.sleep(seconds)
    return f"worked {seconds}s"


with coopconc.virtual_clock():
    g = coopconc.spawn(work, 5)
    result = g.join(timeout=1)
    print(f"t={coopconc.now():.0f}: join(timeout=1) returned {result!r}, ready()={g.ready()}")

    try:
        g.get(timeout=1)
    except Timeout as exc:
        print(f"t={coopconc.now():.0f}: get(timeout=1) raised Timeout ({exc})")

    quick, slow = coopconc.spawn(work, 0.5), coopconc.spawn(work, 9)
    done = coopconc.joinall([quick, slow], timeout=1)
    print(f"t={coopconc.now():.0f}: joinall(timeout=1) returned {[d.value for d in done]}")

    q = Queue(maxsize=1)
    try:
        q.get(timeout=1)
    except Empty:
        print(f"t={coopconc.now():.0f}: Queue.get(timeout=1) on an empty queue raised Empty")
    q.put("first")
    try:
        q.put("second", timeout=1)
    except Full:
        print(f"t={coopconc.now():.0f}: Queue.put(timeout=1) on a full queue raised Full")
    coopconc.killall([g, slow])

# %% [markdown]
# ### The tutorial's three timed-out threads, run as written
#
# The tutorial this section follows ends with three variants. In the first, `Timeout(1).start()`
# is assigned to `timer` and passed to `join(timeout=timer)`. Two surprises hide in it, both
# visible below: `start()` returns `None` (so `join` got no timeout at all), and the message
# was printed only because the started Timeout, still armed, interrupted `join` on its own. If
# you pass the Timeout object itself, `join` returns quietly, as the previous cell showed.

# %%
import coopconc
from coopconc import Timeout


def wait():
    coopconc.sleep(2)


with coopconc.virtual_clock():
    timer = Timeout(1).start()
    print("Timeout(1).start() returned", timer)
    try:
        coopconc.spawn(wait).join(timeout=timer)
    except Timeout:
        print(f"t={coopconc.now():.0f}: Thread 1 timed out (by the armed Timeout, not by join)")

    timer = Timeout(1)
    timer.start()
    thread1b = coopconc.spawn(wait)
    thread1b.join(timeout=timer)
    print(f"t={coopconc.now():.0f}: join(timeout=<Timeout>) returned quietly, ready()={thread1b.ready()}")

    timer = Timeout.start_new(1)
    try:
        coopconc.spawn(wait).get(timeout=timer)
    except Timeout:
        print(f"t={coopconc.now():.0f}: Thread 2 timed out")

    try:
        coopconc.with_timeout(1, wait)
    except Timeout:
        print(f"t={coopconc.now():.0f}: Thread 3 timed out")

# %% [markdown]
# ## Errata
#
# - **`timer = Timeout(1).start()` is a bug in the tutorial the source follows.** `start()`
#   returns `None`, so `join(timeout=timer)` waited with no limit; the output looked right
#   only because the armed Timeout interrupted the join by itself. Write
#   `timer = Timeout.start_new(1)` (which returns the Timeout) — and remember that `join`
#   does not raise on a timeout: it returns, and `ready()` tells you what happened.
# - **"Timeouts constrain a greenlet's run time" — only while it waits.** A Timeout is
#   fired by the hub, and the hub runs only when the greenlet waits. A greenlet that computes
#   for 10 seconds without waiting cannot be interrupted at 1 second: if it leaves the
#   `with` block before it ever waits, the Timeout is cancelled and never fires (notebook 19
#   shows such a CPU hog).
# - **Timeouts and determinism.** Under the virtual clock (and for pure timer waits) a timeout
#   fires at an exact, repeatable moment. With real I/O, whether the data or the timeout comes
#   first depends on the network — the same caveat as for greenlets in notebook 04.

# %% [markdown]
# ## How coopconc does it
#
# A Timeout is one hub timer whose callback throws the exception into the greenlet that
# started it. `__exit__` is the whole of the `with` support, including the silent `False`.

# %%
import inspect

from coopconc import Timeout

print(inspect.getsource(Timeout.start))
print(inspect.getsource(Timeout.__exit__))

# %% [markdown]
# Three things to notice:
#
# 1. `start` arms `self.timer` with `getcurrent().throw` — the greenlet is chosen when the
#    timer is *started*, not when it fires. That is why a Timeout always lands in the greenlet
#    that started it, wherever that greenlet is waiting at the time.
# 2. What is thrown is the Timeout itself when `exception` is None or `False`, otherwise your
#    exception. `__exit__` then swallows it only if *this* Timeout arrived and `exception is
#    False` — another Timeout passing through the block still propagates.
# 3. The timer is made with `priority=-1` (see `Timeout.__init__`): when a sleep and a
#    timeout end at the same instant, the sleep wins. The next cell shows it.

# %%
import coopconc
from coopconc import Timeout

with coopconc.virtual_clock():
    with Timeout(1, False):
        coopconc.sleep(1)  # ends at the same instant as the timeout
        print(f"t={coopconc.now():.0f}: the sleep won the tie")

# %% [markdown]
# ## Exercises
#
# **1. Retry with a deadline per attempt.** Write `fetch_with_retries(attempt_times, limit)`.
# `attempt_times` lists how long each attempt would take (attempt *i* does
# `coopconc.sleep(attempt_times[i])`). Give each attempt at most `limit` seconds; return the
# index of the first attempt that finishes in time, or `None` if none does.

# %%
import coopconc
from coopconc import Timeout


def fetch_with_retries(attempt_times, limit):
    # replace this stub with your answer
    return -1

# %%
import coopconc

fn = globals().get("fetch_with_retries")
if fn is None:
    print("define fetch_with_retries first (run your answer cell)")
else:
    cases = [  # (attempt_times, limit, expected index, expected total time)
        ([0.5], 1, 0, 0.5),
        ([3, 2, 0.5], 1, 2, 2.5),
        ([3, 3], 1, None, 2.0),
        ([2, 1], 1.5, 1, 2.5),
    ]
    passed = 0
    for times, limit, expected, total in cases:
        with coopconc.virtual_clock():
            start = coopconc.now()
            got = fn(times, limit)
            took = coopconc.now() - start
        ok = got == expected and abs(took - total) < 1e-9
        passed += ok
        verdict = "ok" if ok else f"FAIL, got {got!r} after {took:.1f}s"
        print(f"{times}, limit {limit}: expected {expected!r} after {total}s: {verdict}")
    print(f"{passed}/{len(cases)} passed")

# %% [markdown]
# **2. First result or a default.** Write `first_or_default(greenlets, seconds, default)` that
# waits at most `seconds` for any of the greenlets to finish and returns the value of the first
# one that finished, or `default` if none finished in time. Do not kill anything.

# %%
import coopconc


def first_or_default(greenlets, seconds, default):
    # replace this stub with your answer
    return None

# %%
import coopconc

fn = globals().get("first_or_default")
if fn is None:
    print("define first_or_default first (run your answer cell)")
else:

    def after(seconds, value):
        coopconc.sleep(seconds)
        return value

    cases = [  # (jobs as (seconds, value), limit, expected)
        ([(2, "a"), (1, "b")], 5, "b"),
        ([(2, "a"), (3, "b")], 1, "default"),
        ([(0.5, "x")], 1, "x"),
    ]
    passed = 0
    for jobs, limit, expected in cases:
        with coopconc.virtual_clock():
            greenlets = [coopconc.spawn(after, s, v) for s, v in jobs]
            got = fn(greenlets, limit, "default")
            coopconc.killall(greenlets)
        ok = got == expected
        passed += ok
        print(f"{jobs}, limit {limit}: {'ok' if ok else f'FAIL, expected {expected!r}, got {got!r}'}")
    print(f"{passed}/{len(cases)} passed")
