# %% [markdown]
# # 10 · Queues — 队列 (Queues)
#
# **Source:** part *Gevent → 数据结构* (data structures), the section **队列** (queues). Its
# code listings were lost (`执行结果:` with nothing around it); the examples below re-create
# the boss-and-workers programs that section describes, unbounded and then bounded.
#
# After this notebook you can:
# - hand work from a boss greenlet to worker greenlets with a `Queue`, unbounded or bounded;
# - choose between blocking `put`/`get` (with or without `timeout`) and `put_nowait`/`get_nowait`,
#   and handle `Empty` and `Full`;
# - predict and draw the order of hand-offs, and use `JoinableQueue`, `PriorityQueue`,
#   `LifoQueue` and `Channel` where they fit.

# %% [markdown]
# ## Boss and workers, unbounded
#
# A queue is an ordered collection with `put` and `get`, made safe to share between
# greenlets. The boss fills the queue first (`put_nowait` never waits on an unbounded queue);
# then three workers drain it. Each worker takes one task and gives way with `sleep(0)`, so the
# tasks go round the workers in turn: steve, john, nancy, steve, ...

# %%
import coopconc
from coopconc.queue import Queue

tasks = Queue()


def worker(name):
    while not tasks.empty():
        task = tasks.get()
        print(f"Worker {name} got task {task}")
        coopconc.sleep(0)
    print(f"Quitting time! ({name})")


def boss():
    for i in range(1, 10):
        tasks.put_nowait(i)


coopconc.spawn(boss).join()
workers = [coopconc.spawn(worker, name) for name in ("steve", "john", "nancy")]
coopconc.joinall(workers)

# %% [markdown]
# ## Boss and workers, bounded
#
# With `Queue(maxsize=3)` the queue holds at most three tasks: `put` *waits* while it is full,
# so the boss can never run far ahead of the workers. The workers now use
# `get(timeout=1)`: when no task comes for a (virtual) second they get `Empty` and quit.
#
# Look at the rhythm: the boss puts three tasks and blocks on the fourth; each worker takes
# one, which makes room, and the boss puts more. Under the virtual clock the quitting time is
# exactly one second after the last task.

# %%
# coopconc only: the virtual clock, coopconc.now()
import coopconc
from coopconc.queue import Empty, Queue

tasks = Queue(maxsize=3)


def worker(name):
    try:
        while True:
            task = tasks.get(timeout=1)  # decrements the queue size by 1
            print(f"t={coopconc.now():.0f} Worker {name} got task {task}")
            coopconc.sleep(0)
    except Empty:
        print(f"t={coopconc.now():.0f} Quitting time! ({name})")


def boss():
    for i in range(1, 10):
        tasks.put(i)  # waits while the queue is full
        print(f"t={coopconc.now():.0f} boss put task {i} (size now {tasks.qsize()})")
    print("Assigned all work")


with coopconc.virtual_clock():
    coopconc.joinall([coopconc.spawn(boss)] + [coopconc.spawn(worker, n) for n in ("steve", "john")])

# %% [markdown]
# ## Blocking versus `*_nowait`
#
# The source: `put` and `get` block; `put_nowait` and `get_nowait` never do — when the
# operation cannot be completed at once they raise `Full` or `Empty` (the standard library's
# `queue.Full` and `queue.Empty`, so `except queue.Empty` works too). Between the two,
# `timeout=` waits at most that long, then raises the same exceptions.

# %%
# coopconc only: the virtual clock, coopconc.now()
import queue

import coopconc
from coopconc.queue import Empty, Full, Queue

box = Queue(maxsize=1)
box.put_nowait("letter")
print(box, "full:", box.full())
try:
    box.put_nowait("parcel")
except Full:
    print("put_nowait on a full queue raised Full")
with coopconc.virtual_clock():
    try:
        box.put("parcel", timeout=2)
    except Full:
        print(f"put(timeout=2) raised Full at t={coopconc.now():.0f}")
    print("get_nowait:", box.get_nowait())
    try:
        box.get_nowait()
    except Empty:
        print("get_nowait on an empty queue raised Empty")
    try:
        box.get(timeout=1.5)
    except queue.Empty:  # the very same class
        print(f"get(timeout=1.5) raised Empty at t={coopconc.now()}")
print("Empty is queue.Empty:", Empty is queue.Empty)

# %% [markdown]
# ## The order of hand-offs, drawn
#
# Two producers and two consumers share a `Queue(2)`. Every `put` and every `get` is recorded
# with the step at which it happened. The picture shows each item's life: from the moment it
# was put (left end) to the moment a consumer got it (right end), one row per item, coloured
# by consumer. Both producers and consumers give way after each step. Items come out in
# exactly the order they went in — first in, first out — and the consumers take turns.

# %%
# coopconc only: the virtual clock
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

import coopconc
from coopconc.queue import Queue

q = Queue(2)
events = []  # (step, action, who, item)


def producer(name, count):
    for i in range(count):
        item = f"{name}{i}"
        q.put(item)
        events.append((len(events), "put", name, item))
        coopconc.sleep(0)  # give way after each put


def consumer(name, count):
    for _ in range(count):
        item = q.get()
        events.append((len(events), "get", name, item))
        coopconc.sleep(0)


with coopconc.virtual_clock():
    coopconc.joinall(
        [
            coopconc.spawn(producer, "A", 4),
            coopconc.spawn(producer, "B", 4),
            coopconc.spawn(consumer, "c1", 4),
            coopconc.spawn(consumer, "c2", 4),
        ]
    )

put_at = {item: step for step, action, _, item in events if action == "put"}
got = [(step, who, item) for step, action, who, item in events if action == "get"]
print("put order:", [item for _, action, _, item in events if action == "put"])
print("get order:", [item for _, _, item in got])
print("who got what:", [(who, item) for _, who, item in got])

fig, ax = plt.subplots(figsize=(9, 4.5))
colours = {"c1": "tab:blue", "c2": "tab:orange"}
for row, (step, who, item) in enumerate(got):
    ax.plot([put_at[item], step], [row, row], color=colours[who], linewidth=6, solid_capstyle="butt")
    ax.text(step + 0.2, row, f"{item} -> {who}", va="center", fontsize=8)
ax.set_yticks(range(len(got)), [item for _, _, item in got])
ax.invert_yaxis()
ax.set_xticks(range(0, len(events) + 1, 2))  # steps are counted
ax.set_xlabel("step (one put or get per step)")
ax.set_ylabel("item")
ax.set_title("each item from put (left end) to get (right end)")
ax.set_xlim(-0.5, len(events) + 3)
ax.legend(handles=[Line2D([], [], color=c, linewidth=6, label=f"taken by {who}") for who, c in colours.items()], loc="lower left", fontsize=8)
fig.tight_layout()
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("10_queue_order.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## More kinds of queue
#
# - `JoinableQueue` (in coopconc and gevent every `Queue` is joinable; the old name remains):
#   `task_done()` after finishing an item, `join()` waits until every item put was done.
# - `PriorityQueue` gives out the smallest item first; `LifoQueue` the newest (a stack).
# - `Channel` holds nothing: `put` waits until a getter takes the item from its hand.

# %%
# coopconc only: the virtual clock, coopconc.now()
import coopconc
from coopconc.queue import Channel, JoinableQueue, LifoQueue, PriorityQueue

jobs = JoinableQueue()


def handler(name):
    while True:
        job = jobs.get()
        coopconc.sleep(1)
        print(f"t={coopconc.now():.0f} {name} finished {job}")
        jobs.task_done()


with coopconc.virtual_clock():
    handlers = [coopconc.spawn(handler, n) for n in ("h1", "h2")]
    for job in ("wash", "dry", "fold"):
        jobs.put(job)
    jobs.join()
    print(f"t={coopconc.now():.0f} join() returned: all {3} jobs done")
    coopconc.killall(handlers)

pq = PriorityQueue()
for item in [(3, "low"), (1, "urgent"), (2, "normal")]:
    pq.put(item)
print("PriorityQueue:", [pq.get() for _ in range(3)])
lq = LifoQueue()
for item in "abc":
    lq.put(item)
print("LifoQueue:", [lq.get() for _ in range(3)])

ch = Channel()


def sender():
    ch.put("hello")
    print("sender: put returned only now that the receiver has the item")


g = coopconc.spawn(sender)
coopconc.sleep(0)
print("receiver: the sender is waiting;", ch)
print("receiver got", ch.get())
g.join()

# %% [markdown]
# ## Errata
#
# - **The listings and outputs are missing** in the source; the examples above re-create
#   them, in Python 3 (`range`, not `xrange`; `print()`).
# - **`Queue(0)` is not a channel.** Old gevent (and some tutorials) treated `Queue(0)` as a
#   queue that holds nothing. Since gevent 1.0, `Queue(0)` is *unbounded*, like `Queue()`,
#   with a `DeprecationWarning`; use `Channel()` for the zero-size hand-off. coopconc does the
#   same, and refuses negative sizes (`Queue(maxsize=-1)` raises `ValueError`).
# - **`while not tasks.empty(): tasks.get()`** — the first worker loop of the tutorial — only
#   works because the boss filled the queue *before* the workers started. If the boss were
#   still producing, a worker could see an empty queue and quit too early; the bounded version
#   with `get(timeout=...)` or a sentinel (`StopIteration`, which ends `for item in queue`) is
#   the robust pattern.

# %% [markdown]
# ## How coopconc does it
#
# A queue keeps two lines of waiting greenlets, `getters` and `putters`. A `put` that finds a
# getter waiting stores the item and asks the hub for one `_unlock` callback, which wakes the
# getters oldest first.

# %%
# coopconc only: inspect.getsource of coopconc
import inspect

import coopconc.queue
from coopconc.queue import SimpleQueue

print(inspect.getsource(SimpleQueue.get))
print(inspect.getsource(SimpleQueue._wait_for_item))
print(inspect.getsource(coopconc.queue._wait_in_line))
print(inspect.getsource(SimpleQueue._unlock))

# %% [markdown]
# Three things to notice:
#
# 1. The fast path of `get` is two lines: if there is an item, take it (and, if putters are
#    waiting, schedule `_unlock` so one of them can fill the space). Nothing waits, nothing
#    switches.
# 2. A getter with nothing to take calls `_wait_in_line`, which puts its waiter at the end of
#    `getters` and parks it in `waiter.get(reason, self)` — the reason is `"Queue.get"`, which
#    is what a deadlock report or the tracer prints. If it times out or is killed, it just
#    removes itself from `getters`.
# 3. `_unlock` wakes a getter but does *not* hand it an item: the getter takes the item itself
#    when it runs. So an item can never be lost to a getter that was killed or timed out a
#    moment before — it stays in the queue for the next one.

# %% [markdown]
# ## Exercises
#
# **1. A pipeline.** Write `pipeline(words)`: one greenlet puts each word into a `Queue(1)`
# followed by `StopIteration`; a second greenlet reads the queue with a `for` loop, and puts
# each word upper-cased into a second queue, then `StopIteration`. Return the list read from
# the second queue (e.g. `pipeline(["a", "b"])` returns `["A", "B"]`).

# %%
# coopconc only: the exercise checker
import coopconc
from coopconc.queue import Queue


def pipeline(words):
    raise NotImplementedError("write your answer here")


from coopconc.exercises import check

check("10.1", pipeline)

# %% [markdown]
# **2. Drain without waiting.** Write `drain(q)` that returns every item in queue `q` right
# now, in order, using only `get_nowait` and `Empty` (never blocking).

# %%
# coopconc only: the exercise checker
from coopconc.queue import Empty


def drain(q):
    raise NotImplementedError("write your answer here")


from coopconc.exercises import check

check("10.2", drain)
