# %% [markdown]
# # 11 · Groups and pools — 组和池 (Groups and Pools)
#
# **Source:** part *Gevent → 数据结构* (data structures), the section **组和池** (groups and
# pools), with its three examples: a group of greenlets managed together, a group used as a
# parallel `map`, a pool limiting concurrency — and the "socket pool" class at its end.
#
# After this notebook you can:
# - manage greenlets as one unit with a `Group`: wait for all (`join`), kill all (`kill`);
# - map a function over many inputs in order (`map`, `imap`) or as results come
#   (`imap_unordered`), and say which order you will get;
# - cap how many greenlets run at once with a `Pool(size)`, and read `free_count()`,
#   `full()`, `wait_available()` and `PoolFull`.

# %% [markdown]
# ## A group: greenlets managed together
#
# The source: *a group is a collection of running greenlets that are managed and scheduled
# together as a group.* You `add` greenlets (or `spawn` them through the group); each leaves
# the group by itself when it finishes; `join()` waits until the group is empty.
#
# In the source's example three greenlets each print their word three times. Only two are in
# the group at first, so the first `join()` returns when `bar` and `foo` are done — look how
# `fizz`, which was spawned at the same time, also ran meanwhile: joining waits for the group,
# it does not stop anybody else. The second `join()`, after `fizz` is added, has nothing left
# to wait for.

# %%
import coopconc
from coopconc.pool import Group


def talk(msg):
    for _ in range(3):
        print(msg)
        coopconc.sleep(0)  # give way after each line, so the three interleave


g1 = coopconc.spawn(talk, "bar")
g2 = coopconc.spawn(talk, "foo")
g3 = coopconc.spawn(talk, "fizz")

group = Group()
group.add(g1)
group.add(g2)
print("in the group:", len(group), "| g3 in group?", g3 in group)
group.join()
print("first join done; group size now", len(group), "| fizz finished too?", g3.dead)

group.add(g3)
group.join()
print("second join done")

# %% [markdown]
# ### Spawning through a group, killing a group
#
# `group.spawn(fn, *args)` makes, adds and starts a greenlet in one call. `group.kill()`
# kills every member and waits until they are gone; `join(timeout=...)` says `False` if the
# group did not empty in time. Under the virtual clock the times are exact.

# %%
# coopconc only: the virtual clock, coopconc.now()
import coopconc
from coopconc.pool import Group

with coopconc.virtual_clock():
    workers = Group()
    for seconds in (1, 5, 10):
        workers.spawn(coopconc.sleep, seconds)
    print("running:", len(workers))
    print("join(timeout=2) ->", workers.join(timeout=2), "at t =", coopconc.now(), "| left:", len(workers))
    workers.kill()
    print("after kill(): left", len(workers), "at t =", coopconc.now())
    print("join() on an empty group ->", workers.join())

# %% [markdown]
# ## Mapping: in order, or as they finish
#
# A group also works as a parallel scheduler, like `multiprocessing.Pool`: `map(fn, inputs)`
# runs `fn` on every input, each in its own greenlet, and returns the results **in input
# order**. In the source's first example every call prints the size of the group — all three
# greenlets are already in it when the first one runs, because `map` spawns them all before
# any starts. (The source also printed `id(getcurrent())`, a memory address that changes every
# run; here each call prints its input instead.)

# %%
import coopconc
from coopconc.pool import Group

group = Group()


def hello_from(n):
    print("Size of group", len(group), "| hello from input", n)
    return n * n


print("map returned", group.map(hello_from, range(3)))

# %% [markdown]
# `imap` is the lazy form of `map`: an iterator that gives each result as soon as it *and
# all those before it* are ready. `imap_unordered` gives each result as soon as *it* is ready:
# the **order of completion**. In the source's example input `n` sleeps `3 - n` seconds, so
# the last input finishes first. Watch the times: the ordered loop gets nothing until t=3
# (input 0 is the slowest), then everything at once; the unordered loop gets one result every
# second.

# %%
# coopconc only: the virtual clock, coopconc.now()
import coopconc
from coopconc.pool import Group


def intensive(n):
    coopconc.sleep(3 - n)
    return ("task", n)


with coopconc.virtual_clock():
    print("Ordered")
    for result in Group().imap(intensive, range(3)):
        print(f"  t={coopconc.now():.0f}", result)

with coopconc.virtual_clock():
    print("Unordered")
    for result in Group().imap_unordered(intensive, range(3)):
        print(f"  t={coopconc.now():.0f}", result)

# %% [markdown]
# ## A pool: a cap on concurrency
#
# The source: *a pool is a structure designed for handling dynamic numbers of greenlets which
# need to be concurrency-limited.* `Pool(2)` lets at most two of its greenlets exist at once;
# `spawn` — and so `map`, `imap`, ... — **waits** while the pool is full. Each job below prints
# the pool's size and `free_count()` as it starts, and when it ends. Jobs 2, 3, 4 start only
# when an earlier job has left a slot free.

# %%
# coopconc only: the virtual clock, coopconc.now()
import coopconc
from coopconc.pool import Pool

pool = Pool(2)


def hello_from(n):
    print(f"t={coopconc.now():.0f} job {n} starts | size of pool {len(pool)}, free {pool.free_count()}")
    coopconc.sleep(n % 3 + 1)
    print(f"t={coopconc.now():.0f} job {n} ends")
    return n


with coopconc.virtual_clock():
    print("results:", pool.map(hello_from, range(5)))
print("free after map:", pool.free_count(), "| full:", pool.full())

# %% [markdown]
# ### Waiting for room, or refusing to wait
#
# Code that must not wait has three ways out: ask first (`full()`, `free_count()`), wait with
# a limit (`wait_available(timeout)` returns how many slots are free, maybe 0), or add
# without blocking: `add(greenlet, blocking=False)` raises `PoolFull` on a full pool, and so
# does `add(greenlet, timeout=...)` when no slot frees in time.

# %%
# coopconc only: the virtual clock, coopconc.now()
import coopconc
from coopconc.pool import Pool, PoolFull

with coopconc.virtual_clock():
    pool = Pool(2)
    pool.spawn(coopconc.sleep, 5)
    pool.spawn(coopconc.sleep, 5)
    print(pool, "| full:", pool.full())
    try:
        pool.add(coopconc.Greenlet(print, "never"), blocking=False)
    except PoolFull:
        print("add(blocking=False) -> PoolFull at once")
    try:
        pool.add(coopconc.Greenlet(print, "never"), timeout=1)
    except PoolFull:
        print(f"add(timeout=1) -> PoolFull at t={coopconc.now():.0f}")
    print("wait_available(timeout=1) ->", pool.wait_available(timeout=1), f"at t={coopconc.now():.0f}")
    print("wait_available() ->", pool.wait_available(), f"at t={coopconc.now():.0f}")

# %% [markdown]
# ## The picture: how many ran at once
#
# Twenty jobs of different lengths go through `Pool(4)`, and — for comparison — through a
# `Group`, which has no limit. Each job writes down when it started and ended (virtual
# seconds). The upper plot counts how many were running at every moment: the group runs all
# twenty at once and is done soonest; the pool never goes above its line at 4 and takes
# longer. The lower plot is the tracer's timeline of a smaller pool run: each job waits in
# `sleep` (its "work"), and the main greenlet, which spawns them, waits in `Semaphore.acquire`
# — the pool's count of free slots — while the pool is full, and at the end in `Event.wait`,
# which is how `join` waits for the pool to become empty.

# %%
# coopconc only: the virtual clock, the tracer's timeline, coopconc.now()
import matplotlib.pyplot as plt

import coopconc
from coopconc.pool import Group, Pool
from coopconc.trace import Tracer

durations = [(i * 7) % 5 + 1 for i in range(20)]  # 1..5 seconds, mixed


def running_over_time(container):
    events = []  # (time, +1 at start / -1 at end)

    def job(seconds):
        events.append((coopconc.now(), +1))
        coopconc.sleep(seconds)
        events.append((coopconc.now(), -1))

    with coopconc.virtual_clock():
        for seconds in durations:
            container.spawn(job, seconds)
        container.join()
    times, counts, running = [0.0], [0], 0
    for t, change in sorted(events, key=lambda e: (e[0], e[1])):
        running += change
        times.append(t)
        counts.append(running)
    return times, counts


pool_times, pool_counts = running_over_time(Pool(4))
group_times, group_counts = running_over_time(Group())
print("Pool(4): at most", max(pool_counts), "at once, all done at t =", pool_times[-1])
print("Group(): at most", max(group_counts), "at once, all done at t =", group_times[-1])

with coopconc.virtual_clock(), Tracer() as tracer:
    small = Pool(2)
    for i, seconds in enumerate([2, 1, 1, 2]):
        g = coopconc.Greenlet(coopconc.sleep, seconds)
        g.name = f"job {i} ({seconds}s)"
        small.start(g)
    small.join()

fig, axes = plt.subplots(2, 1, figsize=(10, 8))
axes[0].step(group_times, group_counts, where="post", label="Group() (no limit)")
axes[0].step(pool_times, pool_counts, where="post", label="Pool(4)")
axes[0].axhline(4, color="grey", linestyle=":", label="pool size")
axes[0].set_xlabel("virtual time (s)")
axes[0].set_ylabel("greenlets running (count)")
axes[0].set_yticks(range(0, max(group_counts) + 1, 2))
axes[0].set_title("20 jobs of 1-5 s: how many run at once")
axes[0].legend()
tracer.timeline(ax=axes[1], title="Pool(2), four jobs: main waits in Semaphore.acquire while the pool is full")
plt.tight_layout()
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("11_pools.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## The socket pool
#
# The source ends with a class that keeps one listening greenlet per socket, capped by a
# pool, and refuses new sockets when the pool is full. Here it is with stand-in sockets
# (`FakeSocket.recv()` waits a little and returns the next message; a real server would hand
# in real sockets — notebook 16). `shutdown()` kills every listener at once: that is the
# point of keeping them in a pool rather than as loose greenlets.

# %%
# coopconc only: the virtual clock, coopconc.now()
import coopconc
from coopconc.pool import Pool


class FakeSocket:
    """Stands in for a connected socket: recv() waits, then returns the next message."""

    def __init__(self, name, messages, delay):
        self.name, self.messages, self.delay = name, list(messages), delay

    def recv(self):
        coopconc.sleep(self.delay)
        if not self.messages:
            coopconc.sleep(3600)  # a quiet connection: nothing more will come
        return self.messages.pop(0)


class SocketPool:
    def __init__(self, size=1000):
        self.pool = Pool(size)

    def listen(self, socket):
        while True:
            data = socket.recv()
            print(f"t={coopconc.now():.0f} {socket.name}: {data}")

    def add_handler(self, socket):
        if self.pool.full():
            raise Exception("At maximum pool size")
        self.pool.spawn(self.listen, socket)

    def shutdown(self):
        self.pool.kill()


with coopconc.virtual_clock():
    sp = SocketPool(size=2)
    for i in range(3):
        sock = FakeSocket(f"sock{i}", [f"hello from {i}", f"bye from {i}"], delay=i + 1)
        try:
            sp.add_handler(sock)
        except Exception as ex:
            print("refused", sock.name, "->", ex)
    coopconc.sleep(10)
    print("listening:", len(sp.pool), "| shutting down at t =", coopconc.now())
    sp.shutdown()
    print("after shutdown:", len(sp.pool), "listeners, free slots:", sp.pool.free_count())

# %% [markdown]
# ## Errata
#
# - **The examples were lost.** The source says `执行结果:` ("result:") three times with
#   nothing around it; the cells above re-create the examples it describes.
# - **`SocketPool.__init__` called `self.pool.start()`** with no argument. `Pool.start(greenlet)`
#   adds and starts *one greenlet*: without one it is a `TypeError`. A pool needs no starting;
#   that line is dropped above.
# - **Printing `id(getcurrent())`** shows a memory address, different on every run; we print
#   the input instead. (`xrange` and the `print` statement were Python 2.)
# - **"Pools are for dynamic numbers of greenlets"**: more to the point, a pool's `spawn`
#   *waits* when it is full. A loop that spawns into a pool is slowed down to the pool's pace —
#   that is back-pressure, and it is what keeps a crawler from opening ten thousand
#   connections at once.
# - coopconc refuses `Pool(0)` (`ValueError`); gevent accepts it and then waits forever in
#   `spawn`.

# %% [markdown]
# ## How coopconc does it
#
# A pool counts its free slots with a `Semaphore` (notebook 12). `spawn` takes one —
# `Semaphore.acquire`, which parks on the hub's `Waiter` when none is free; a finished member
# gives its slot back (`release`) from a *link* the hub calls when it dies.

# %%
# coopconc only: inspect.getsource of coopconc
import inspect

from coopconc.lock import Semaphore
from coopconc.pool import Pool

print(inspect.getsource(Pool.add))
print(inspect.getsource(Pool._discard))
print(inspect.getsource(Semaphore.acquire))

# %%
# coopconc only: inspect.getsource of coopconc
import inspect

from coopconc.event import AbstractLinkable
from coopconc.pool import IMapUnordered

print(inspect.getsource(AbstractLinkable._notify_list))
print(inspect.getsource(IMapUnordered._on_result))

# %% [markdown]
# Three things to notice:
#
# 1. `Pool.add` takes a slot **before** the greenlet joins the group, and `Pool._discard` — a
#    link the hub calls when a member dies — gives it back. A greenlet killed while it waits
#    in `spawn` never took a slot, so none can leak.
# 2. A released slot is not handed to anybody directly. `Semaphore`, like `Event`, is an
#    `AbstractLinkable`: its waiters are links, and `_notify_list` — run by the hub after
#    `release` — calls them in the order they came, *only while a permit is free* (a
#    semaphore is not `_notify_all`; an event is). Each woken greenlet then takes its permit
#    itself, at once (`self.counter -= 1` in `acquire`), and those not woken keep their place.
#    That is why producers waiting on a full pool get in first come, first served.
# 3. `imap_unordered` is a greenlet that spawns one task per input; each task's link
#    (`_on_result`) puts its result in the iterator's queue *when the task finishes*. The
#    completion order is decided by the hub's queue of callbacks and timers — no randomness
#    anywhere, which is why it is the same on every run (notebook 05).

# %% [markdown]
# ## Exercises
#
# **1. A polite crawler.** `fetch(url)` below pretends to download a page (it sleeps as many
# virtual seconds as the page's number). Write `crawl(urls, limit)` that fetches every URL
# with at most `limit` fetches at once and returns `(pages, most_at_once)`: the pages in the
# order of `urls`, and the largest number of fetches that were ever running together.

# %%
# coopconc only: the exercise checker
import coopconc
from coopconc.pool import Pool


def fetch(url, state):
    state["now"] += 1
    state["most"] = max(state["most"], state["now"])
    coopconc.sleep(int(url.rsplit("/", 1)[1]))
    state["now"] -= 1
    return f"<page {url}>"


def crawl(urls, limit):
    # keep state = {"now": 0, "most": 0} and call fetch(url, state) for each url
    raise NotImplementedError("write your answer here")


from coopconc.exercises import check

check("11.1", crawl)

# %% [markdown]
# **2. The first two back.** Write `first_two(durations)`: run `coopconc.sleep(d)` for every
# `d` in `durations` at once (a `Group`), and return the *indexes* of the two that finish
# first, in the order they finish. Hint: `imap_unordered` over a function that sleeps and
# returns its index; stop iterating after two, and kill what is left.

# %%
# coopconc only: the exercise checker
import coopconc
from coopconc.pool import Group


def first_two(durations):
    raise NotImplementedError("write your answer here")


from coopconc.exercises import check

check("11.2", first_two)
