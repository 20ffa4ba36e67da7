# %% [markdown]
# # 12 · Locks and semaphores — 锁和信号量 (Locks and Semaphores)
#
# **Source:** part *Gevent → 数据结构*, the section **锁和信号量** (locks and semaphores). Its
# listing was lost (`执行结果:` with nothing around it); the bounded-semaphore workers below
# re-create it.
#
# After this notebook you can:
# - limit how many greenlets use a resource at once with a `BoundedSemaphore`, and read the
#   order in which they get in;
# - use a lock (a semaphore of one) to keep a critical section that *waits* from being
#   entered twice, and explain why code that does not wait needs no lock;
# - recognise over-release as a bug that `BoundedSemaphore` refuses, and use timeouts.

# %% [markdown]
# ## The bounded-semaphore workers
#
# A semaphore is a low-level synchronisation primitive with two operations, `acquire` and
# `release`, around a counter of *permits*. `acquire` takes a permit, waiting while there is
# none; `release` gives one back. `BoundedSemaphore(2)` starts with two permits, so at most two
# workers are between their `acquire` and `release` at any time.
#
# Look at the pairs: workers 0 and 1 get in, give way inside (`sleep(0)`), leave; only then do
# 3 and 4 get in, and 5 last. `worker1` calls `acquire`/`release` by hand, `worker2` uses the
# semaphore as a context manager (`with sem:`), which is the same thing but cannot forget the
# release when an exception flies.

# %%
# coopconc only: coopconc's reprs, which show state
import coopconc
from coopconc.lock import BoundedSemaphore

sem = BoundedSemaphore(2)


def worker1(n):
    sem.acquire()
    print(f"Worker {n} acquired semaphore")
    coopconc.sleep(0)
    sem.release()
    print(f"Worker {n} released semaphore")


def worker2(n):
    with sem:
        print(f"Worker {n} acquired semaphore")
        coopconc.sleep(0)
    print(f"Worker {n} released semaphore")


first = [coopconc.spawn(worker1, i) for i in range(0, 2)]
second = [coopconc.spawn(worker2, i) for i in range(3, 6)]
finished = coopconc.joinall(first + second)
print("permits at the end:", sem.counter, sem)

# %% [markdown]
# ## How many at once? Counted and drawn
#
# Ten downloads share a `BoundedSemaphore(3)`; each takes one to three (virtual) seconds. We
# record how many are inside at every moment. The plot is the answer to "does the limit
# hold?": the curve never goes above 3, and it stays at 3 as long as there is work waiting.
# (The thin dips at whole seconds are the instant between one download leaving and the next
# one getting in: they happen at the same virtual time.)

# %%
# coopconc only: the virtual clock, coopconc.now()
import matplotlib.pyplot as plt

import coopconc
from coopconc.lock import BoundedSemaphore

limit = BoundedSemaphore(3)
inside = 0
samples = [(0.0, 0)]  # (time, how many inside)


def download(n):
    global inside
    with limit:
        inside += 1
        samples.append((coopconc.now(), inside))
        coopconc.sleep(1 + n % 3)
        inside -= 1
        samples.append((coopconc.now(), inside))


with coopconc.virtual_clock():
    coopconc.joinall([coopconc.spawn(download, n) for n in range(10)])
    total = coopconc.now()

print("most inside at once:", max(k for _, k in samples), "- all done at t =", total)
times, counts = zip(*samples)
fig, ax = plt.subplots(figsize=(8, 3))
ax.step(times, counts, where="post", label="downloads inside at that moment")
ax.axhline(3, color="tab:red", linestyle="--", label="the semaphore's bound")
ax.set_xlabel("virtual time (s)")
ax.set_ylabel("downloads inside")
ax.set_yticks(range(5))
ax.set_title("BoundedSemaphore(3): never more than three at once")
ax.legend(loc="lower left")
fig.tight_layout()
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("12_semaphore.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## A lock is a semaphore of one
#
# The source: a lock is a semaphore whose bound is 1; it gives one greenlet at a time
# exclusive access. When does a greenlet program need one? Only when a critical section
# *waits* in the middle. Greenlets switch only where they wait, so `balance += 1` can never be
# interrupted — but "read the balance, wait for the network, write it back" can.
#
# Below, two deposits each read the balance, wait (a simulated network call), and write it
# back. Without a lock one deposit is lost; with `Lock()` (a `BoundedSemaphore(1)`) both count.

# %%
import coopconc
from coopconc.lock import BoundedSemaphore


def run_deposits(lock):
    account = {"balance": 100}

    def deposit(amount):
        with lock:
            seen = account["balance"]
            coopconc.sleep(0.1)  # e.g. a round trip to a database
            account["balance"] = seen + amount

    coopconc.joinall([coopconc.spawn(deposit, 10), coopconc.spawn(deposit, 20)])
    return account["balance"]


class NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


print("without a lock:", run_deposits(NoLock()), "(expected 130: one deposit was lost)")
print("with a lock:   ", run_deposits(BoundedSemaphore(1)))  # gevent.lock has no Lock class

# %% [markdown]
# ## Over-release is refused; timeouts; RLock
#
# Releasing more often than acquiring is a bug: a plain `Semaphore` lets it happen (its
# counter just grows — sometimes that is used on purpose, to add resources), a
# `BoundedSemaphore` raises `ValueError`. `acquire(timeout=...)` returns `False` when no
# permit came in time, `acquire(blocking=False)` at once. An `RLock` may be acquired again
# by the greenlet that holds it, and must be released as often.

# %% tags=["raises-exception"]
# NBVAL_RAISES_EXCEPTION
# (this cell raises on purpose: the error is the lesson)
from coopconc.lock import BoundedSemaphore

guard = BoundedSemaphore(1)
guard.acquire()
guard.release()
guard.release()  # one release too many

# %%
# coopconc only: the virtual clock, coopconc.now()
import coopconc
from coopconc.lock import RLock, Semaphore

plain = Semaphore(1)
print("plain Semaphore over-released, counter now:", plain.release())

busy = Semaphore(1)
busy.acquire()
with coopconc.virtual_clock():
    print("acquire(blocking=False):", busy.acquire(blocking=False))
    print("acquire(timeout=2):", busy.acquire(timeout=2), f"at t={coopconc.now():.0f}")

lock = RLock()
with lock:
    with lock:  # the owner may take it again
        print(lock)
print(lock)

# %% [markdown]
# ## Errata
#
# - **The listing is missing** in the source; the workers above re-create it (Python 3,
#   `range`). The tutorial it follows imported `BoundedSemaphore` from `gevent.coros`, a module
#   renamed long ago: today it is `gevent.lock` (here `coopconc.lock`).
# - **"The bound of the semaphore"** in the source mixes up two things: the *counter*
#   (permits left now, which `acquire` lowers and `release` raises) and the *bound* (the
#   starting value, which only a `BoundedSemaphore` enforces).
# - **Locks in greenlet code are rarer than with threads.** A greenlet is never interrupted
#   between two lines that do not wait, so a lock is needed only around code that waits in the
#   middle — the deposit example above.

# %% [markdown]
# ## How coopconc does it
#
# A semaphore is a linkable (the base of `Event`, notebook 09) that is *ready* while its
# counter is above zero, and that wakes its waiters only while it stays ready.

# %%
# coopconc only: inspect.getsource of coopconc
import inspect

from coopconc.lock import BoundedSemaphore, Semaphore

print(inspect.getsource(Semaphore.acquire))
print(inspect.getsource(Semaphore.release))
print(inspect.getsource(BoundedSemaphore.release))

# %% [markdown]
# Three things to notice:
#
# 1. The fast path of `acquire` is a comparison and a decrement: no switch, no hub. Only a
#    greenlet that finds no permit parks, with the reason `"BoundedSemaphore.acquire"` (what
#    a deadlock report names).
# 2. After waking, `acquire` takes its permit with a plain `counter -= 1`. That is safe
#    because the hub switches straight into the woken greenlet while the permit is there;
#    nobody else can run in between. A waiter that is killed or times out removes its link
#    instead, so no permit is ever given to a greenlet that cannot use it.
# 3. `release` wakes nobody directly: it schedules the notification (like `Event.set`). The
#    releasing greenlet can even take the permit back before the waiters run, as worker 0
#    would if it looped — the order in the first example is gevent's, exactly.

# %% [markdown]
# ## Exercises
#
# **1. At most n at once.** Write `max_concurrency(n_tasks, limit)`: spawn `n_tasks`
# greenlets that each, inside a `BoundedSemaphore(limit)`, sleep 1 second; count how many are
# inside at the same time and return the largest number seen.

# %%
# coopconc only: the exercise checker
import coopconc
from coopconc.lock import BoundedSemaphore


def max_concurrency(n_tasks, limit):
    raise NotImplementedError("write your answer here")


from coopconc.exercises import check

check("12.1", max_concurrency)

# %% [markdown]
# **2. Try, but not for long.** Write `try_acquire(sem, seconds)` that returns `"got it"` if a
# permit of `sem` could be taken within `seconds`, else `"busy"`. (If you take the permit,
# keep it: the caller releases it.)

# %%
# coopconc only: the exercise checker
def try_acquire(sem, seconds):
    raise NotImplementedError("write your answer here")


from coopconc.exercises import check

check("12.2", try_acquire)
