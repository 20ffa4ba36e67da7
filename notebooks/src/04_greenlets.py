# %% [markdown]
# # 04 · Greenlets — Greenlets, 同步和异步执行 (synchronous and asynchronous execution)
#
# **Source:** part *Gevent → 核心部分*, the sections **Greenlets** and **同步和异步执行**
# (synchronous and asynchronous execution). Their code listings were lost in the source
# (`执行结果:` with nothing around it); the examples below re-create what those sections
# describe, in the order the source tells them.
#
# After this notebook you can:
# - make two greenlets take turns by hand, with `coopconc.sleep(0)`;
# - explain why waiting for I/O hands the CPU to another greenlet without you asking;
# - predict how long a batch of tasks takes run one after the other (the sum of the waits)
#   and run concurrently (the longest wait), and read the timeline of both.

# %% [markdown]
# ## One greenlet at a time
#
# A greenlet is a function running as a cooperative task inside this one OS thread. The source
# stresses two things: *at any moment only one greenlet runs*, and greenlets give up the CPU
# only when they *yield* (in coopconc, by waiting for something). `coopconc.sleep(0)` is the
# smallest possible wait: "let everyone who is ready run once, then come back to me".
#
# Look at the order of the four lines: `foo` starts, gives way, `bar` starts, gives way, and
# each finishes where it left off. Nothing ever runs "at the same time".

# %%
import coopconc


def foo():
    print("foo: running")
    coopconc.sleep(0)
    print("foo: back again after an explicit switch")


def bar():
    print("bar: running")
    coopconc.sleep(0)
    print("bar: back again after an explicit switch")


finished = coopconc.joinall([coopconc.spawn(foo), coopconc.spawn(bar)])

# %% [markdown]
# ### Who ran when, recorded
#
# `coopconc.trace.Tracer` notes every switch between greenlets. The log below is the same run:
# each pair of lines says who stopped (and the reason it gave the hub: `sleep(0)`,
# `joinall/wait`, `finished`) and who ran next. Notice that `main` is a greenlet too: it
# waits in `joinall` while the other two take turns.

# %%
import coopconc
from coopconc.trace import Tracer


def take_turns(name):
    coopconc.sleep(0)


with coopconc.virtual_clock(), Tracer() as tracer:
    foo = coopconc.Greenlet(take_turns, "foo")
    bar = coopconc.Greenlet(take_turns, "bar")
    foo.name, bar.name = "foo", "bar"
    foo.start()
    bar.start()
    coopconc.joinall([foo, bar])

for line in tracer.log():
    print(line)

# %% [markdown]
# ## Implicit switches: waiting for I/O
#
# Nobody writes `sleep(0)` all over a real program. The switches happen by themselves,
# whenever a greenlet has to wait for the outside world: a socket with no data yet, a pipe,
# a timer. The greenlet asks the hub to wake it when the file descriptor is ready, and the hub
# runs somebody else meanwhile.
#
# `coopconc.select.select` has the standard library's arguments, but blocks only the greenlet
# that calls it. Below, `gr1` and `gr2` each poll with a 2-second timeout (and no descriptors,
# as in the tutorial this section follows), and `gr3` gets on with its own work meanwhile.
# Look at the times (virtual, so exact): all three start at t=0; if `select` blocked the whole
# thread, `gr2` could not even start polling before t=2, and the whole run would take 4
# seconds instead of 2.

# %%
import coopconc
from coopconc import select


def polling(name):
    print(f"t={coopconc.now():.1f} {name}: started polling")
    select.select([], [], [], 2)
    print(f"t={coopconc.now():.1f} {name}: ended polling")


def other_work():
    print(f"t={coopconc.now():.1f} gr3: doing some stuff while the others poll")
    coopconc.sleep(1)
    print(f"t={coopconc.now():.1f} gr3: done")


with coopconc.virtual_clock():
    coopconc.joinall(
        [coopconc.spawn(polling, "gr1"), coopconc.spawn(polling, "gr2"), coopconc.spawn(other_work)]
    )
    print(f"t={coopconc.now():.1f} all done")

# %% [markdown]
# The same with real data. `reader-1` and `reader-2` `select` on the read ends of two pipes,
# while `worker` does its own work and, now and then, writes to a pipe. Look at the times:
# both readers start waiting at t=0, the worker runs while they wait, and each reader wakes
# the moment its pipe has data — not at its 5-second timeout.

# %%
import os

import coopconc
from coopconc import select


def reader(name, fd):
    print(f"t={coopconc.now():.1f} {name}: waiting for data")
    readable, _, _ = select.select([fd], [], [], 5)  # the hub runs others meanwhile
    print(f"t={coopconc.now():.1f} {name}: readable={readable == [fd]}, got {os.read(fd, 100)!r}")


def worker(pipes):
    print(f"t={coopconc.now():.1f} worker: doing my own work while the readers wait")
    for i, (_r, w) in enumerate(pipes, start=1):
        coopconc.sleep(1)
        print(f"t={coopconc.now():.1f} worker: writing to pipe {i}")
        os.write(w, f"message {i}".encode())


pipes = [os.pipe(), os.pipe()]
with coopconc.virtual_clock():
    coopconc.joinall(
        [
            coopconc.spawn(reader, "reader-1", pipes[0][0]),
            coopconc.spawn(reader, "reader-2", pipes[1][0]),
            coopconc.spawn(worker, pipes),
        ]
    )
for r, w in pipes:
    os.close(r)
    os.close(w)

# %% [markdown]
# ## Synchronous versus asynchronous
#
# The source's core idea: a big job split into sub-tasks can run them *one at a time*
# (synchronously) or *interleaved* (asynchronously). Each task below waits a random time, as a
# network call would. Run one after the other, the waits add up; spawned together, they
# overlap, and the whole batch takes as long as the longest wait.
#
# The random delays come from a seeded generator, and the virtual clock measures the time, so
# the totals are exact and the same on every run. Look at two things: the totals (computed,
# not typed in), and the order of `done` lines — in order for the synchronous run, in order
# of *delay* for the asynchronous one.

# %%
import random

import coopconc

delays = [round(random.Random(4 + i).choice([0.1, 0.2, 0.3, 0.4, 0.5]), 1) for i in range(6)]


def task(pid, delay):
    coopconc.sleep(delay)
    print(f"  task {pid} done (waited {delay:.1f}s)")


def synchronous():
    for pid, delay in enumerate(delays):
        task(pid, delay)


def asynchronous():
    coopconc.joinall([coopconc.spawn(task, pid, delay) for pid, delay in enumerate(delays)])


print("delays:", delays)
with coopconc.virtual_clock():
    for run in (synchronous, asynchronous):
        print(f"{run.__name__}:")
        start = coopconc.now()
        run()
        total = coopconc.now() - start
        print(f"  total {total:.1f}s")
    print(f"sum of delays {sum(delays):.1f}s, longest delay {max(delays):.1f}s")

# %% [markdown]
# The same two runs, checked rather than eyeballed: for many random batches, the synchronous
# total is always the sum of the delays and the asynchronous total always the largest one.

# %%
import math
import random

import coopconc


def task(delay):
    coopconc.sleep(delay)


def timed(run, delays):
    with coopconc.virtual_clock():
        start = coopconc.now()
        run(delays)
        return coopconc.now() - start


def synchronous(delays):
    for delay in delays:
        task(delay)


def asynchronous(delays):
    coopconc.joinall([coopconc.spawn(task, delay) for delay in delays])


rng = random.Random(2024)
batches = [[rng.randint(1, 20) / 10 for _ in range(rng.randint(1, 8))] for _ in range(50)]
sync_ok = all(math.isclose(timed(synchronous, b), sum(b)) for b in batches)
async_ok = all(math.isclose(timed(asynchronous, b), max(b)) for b in batches)
print(f"{len(batches)} batches: sync total == sum(delays): {sync_ok}")
print(f"{len(batches)} batches: async total == max(delays): {async_ok}")

# %% [markdown]
# ## The picture: who ran when, in both runs
#
# Both runs again, recorded by the tracer and drawn on the same time axis. Dark bars: a
# greenlet running (so short under the virtual clock that they are slivers); pale bars: a
# greenlet waiting, labelled with what it waits on. To give every task a row of its own in
# both pictures, the synchronous run here spawns each task and *joins it* before spawning the
# next — the same timing as calling `task()` directly. Synchronous: a staircase, each sleep
# starting where the last one ended. Asynchronous: all sleeps start at t=0 and overlap, and
# `main` waits in `joinall` until the longest one is over.

# %%
import random

import matplotlib.pyplot as plt

import coopconc
from coopconc.trace import Tracer

delays = [round(random.Random(4 + i).choice([0.1, 0.2, 0.3, 0.4, 0.5]), 1) for i in range(6)]


def task(delay):
    coopconc.sleep(delay)


def named_task(pid, delay):
    g = coopconc.Greenlet(task, delay)
    g.name = f"task {pid}"
    g.start()
    return g


def synchronous():
    for pid, delay in enumerate(delays):
        named_task(pid, delay).join()  # wait for each task before starting the next


def asynchronous():
    coopconc.joinall([named_task(pid, delay) for pid, delay in enumerate(delays)])


fig, axes = plt.subplots(2, 1, figsize=(10, 8), sharex=True)
for ax, run in zip(axes, (synchronous, asynchronous)):
    with coopconc.virtual_clock(), Tracer() as tracer:
        run()
    tracer.timeline(ax=ax, title=f"{run.__name__}: {tracer.segments()[-1].end:.1f}s in all")
    print(run.__name__, "rows:", tracer.who())
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("04_sync_async.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## Errata
#
# - **"gevent is deterministic" needs a caveat.** The source (in the next section) says
#   greenlets always produce the same output for the same input. That is true of the switches
#   *coopconc decides*: `sleep(0)` and timers go in a fixed order. But the moment a greenlet
#   waits on real I/O — a socket, a pipe fed by another process — the order depends on when
#   the data arrives, which the program does not control. The pipe example above is
#   deterministic only because the same program writes the data, at virtual times it chooses.
#   Notebook 05 measures this.
# - **Threads are not "truly parallel" in CPython.** The source contrasts greenlets with
#   `multiprocessing` and `threading`, calling both real parallelism. Processes are; CPython
#   threads are real OS threads, but the GIL lets only one of them run Python code at a time,
#   so for Python code they interleave much like greenlets — only with switches the OS picks
#   instead of the program. Notebook 01 measures it.
# - **Python 2 and the real clock in the tutorial this section follows:** its asynchronous
#   example spawned over `xrange(...)` (Python 2; `range` here), and its polling example
#   stamped times with `time.time()`, which on a busy machine prints different numbers from
#   run to run. Here the virtual clock gives exact times and totals.

# %% [markdown]
# ## How coopconc does it
#
# `sleep` is the whole story of a switch. It arranges for something to wake the greenlet
# later (a hub callback for `sleep(0)`, a timer otherwise), notes *why* the greenlet waits,
# and switches to the hub. Every other blocking call does the same through `Waiter.get`, the
# hub's one waiting path; `Waiter.switch` is the other half, called by the hub to wake it.

# %%
import inspect

import coopconc.hub

print(inspect.getsource(coopconc.hub.sleep))

# %%
import inspect

from coopconc.hub import Waiter

print(inspect.getsource(Waiter.get))
print(inspect.getsource(Waiter.switch))

# %% [markdown]
# Three things to notice:
#
# 1. `sleep(0)` appends its wake-up to the hub's callback queue, *behind* every callback
#    already there (the starts of spawned greenlets, other `sleep(0)`s). That is why `foo` and
#    `bar` alternate: first in, first out.
# 2. Before switching to the hub, the waiting greenlet records why it waits (`_cc_waiter`:
#    the `Waiter` with its `reason`, or a marker for `sleep`). The tracer's `sleep(0)` and
#    `joinall/wait` labels come from there, and so does the deadlock report of notebook 19.
# 3. The way back is an ordinary greenlet switch made by the hub: the value passed to
#    `Waiter.switch(value)` comes out as the return value of `get`. Nothing preempts a
#    greenlet; it only ever leaves by switching to the hub, and comes back when the hub
#    switches to it.

# %% [markdown]
# ## Exercises
#
# **1. Round robin.** Write `round_robin(names, rounds)` that spawns one greenlet per name; each
# appends `f"{name}{i}"` to a shared list for `i` in `range(rounds)`, calling
# `coopconc.sleep(0)` after each append. Wait for all of them and return the list.
# For example `round_robin(["a", "b"], 2)` returns `["a0", "b0", "a1", "b1"]`.

# %%
import coopconc


def round_robin(names, rounds):
    # replace this stub with your answer
    return []

# %%
import coopconc

fn = globals().get("round_robin")
if fn is None:
    print("define round_robin first (run your answer cell)")
else:
    cases = [
        ((["a", "b"], 2), ["a0", "b0", "a1", "b1"]),
        ((["x"], 3), ["x0", "x1", "x2"]),
        ((["p", "q", "r"], 1), ["p0", "q0", "r0"]),
    ]
    passed = 0
    for args, expected in cases:
        with coopconc.virtual_clock():
            got = fn(*args)
        ok = got == expected
        passed += ok
        print(f"round_robin{args}: {'ok' if ok else f'FAIL, expected {expected}, got {got}'}")
    print(f"{passed}/{len(cases)} passed")

# %% [markdown]
# **2. How long does a batch take?** Write `batch_time(delays, concurrent)` that runs one task
# per delay (each task does `coopconc.sleep(delay)`) — all spawned together if `concurrent`,
# else one after the other — under `coopconc.virtual_clock()`, and returns the total time the
# batch took, measured with `coopconc.now()` (not computed from `delays`).

# %%
import coopconc


def batch_time(delays, concurrent):
    # replace this stub with your answer
    return 0.0

# %%
import math

fn = globals().get("batch_time")
if fn is None:
    print("define batch_time first (run your answer cell)")
else:
    cases = [
        (([1.0, 2.0, 0.5], False), 3.5),
        (([1.0, 2.0, 0.5], True), 2.0),
        (([0.3], True), 0.3),
        (([0.1] * 10, False), 1.0),
    ]
    passed = 0
    for args, expected in cases:
        got = fn(*args)
        ok = isinstance(got, float) and math.isclose(got, expected)
        passed += ok
        print(f"batch_time{args}: {'ok' if ok else f'FAIL, expected {expected}, got {got}'}")
    print(f"{passed}/{len(cases)} passed")

# %% [markdown]
# **3. Think.** In the pipe example, swap the order in which `worker` writes (pipe 2 first).
# Which reader wakes first now, and at what time? Run it and check your prediction.
