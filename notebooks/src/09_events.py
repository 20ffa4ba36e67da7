# %% [markdown]
# # 09 · Events — 事件 (Events) and AsyncResult
#
# **Source:** part *Gevent → 数据结构* (data structures), the section **事件** (events) and the
# paragraph on **AsyncResult** that follows it.
#
# After this notebook you can:
# - make one greenlet wake many others with an `Event`, and say *when* the waiters run;
# - hand a value — or an exception — from one greenlet to others with an `AsyncResult`,
#   including as a `link` target of a greenlet;
# - read the timeline of a setter and its waiters, and explain the set-then-clear race.

# %% [markdown]
# ## One setter, many waiters
#
# An event is a flag that greenlets can wait for. `wait()` parks the caller until another
# greenlet calls `set()`; at that moment *every* greenlet waiting is woken. The source's
# example has one setter that works for three seconds and three waiters. Here it runs under the
# virtual clock, so the three seconds pass at once and the times printed are exact.
#
# Look at the order: all three waiters announce themselves while the setter works; after
# `set()`, the setter finishes its own line first (`set()` does not switch), then the waiters
# wake in the order in which they started waiting.

# %%
import coopconc
from coopconc.event import Event

evt = Event()


def setter():
    print(f"t={coopconc.now():.0f} A: Hey wait for me, I have to do something")
    coopconc.sleep(3)
    print(f"t={coopconc.now():.0f} Ok, I'm done")
    evt.set()
    print(f"t={coopconc.now():.0f} (setter: set() returned; nobody has woken yet)")


def waiter(n):
    print(f"t={coopconc.now():.0f} waiter {n}: I'll wait for you")
    evt.wait()  # blocking
    print(f"t={coopconc.now():.0f} waiter {n}: It's about time")


with coopconc.virtual_clock():
    coopconc.joinall([coopconc.spawn(setter)] + [coopconc.spawn(waiter, n) for n in range(3)])

# %% [markdown]
# ## What `wait()` returns, and the set-then-clear race
#
# `wait()` returns the flag: `True` once it was set, `False` if a `timeout` ran out first.
# `clear()` lowers the flag again. A subtle case: the setter calls `set()` and then `clear()`
# before giving way. The waiters have not run yet — do they wake? Yes: the wake-up was
# *scheduled* by `set()`, and each waiter's `wait()` says `True`, because the flag *was* set
# while it waited. If a waiter needs the flag to still be up, it must look (`is_set()`).

# %%
import coopconc
from coopconc.event import Event

flag = Event()
results = []


def watcher(n):
    results.append((n, flag.wait()))


with coopconc.virtual_clock():
    print("wait(timeout=2) on an unset event:", Event().wait(timeout=2), "at t =", coopconc.now())
    watchers = [coopconc.spawn(watcher, n) for n in range(3)]
    coopconc.sleep(0)  # let the watchers start waiting
    print("before set:", flag)
    flag.set()
    flag.clear()
    print("after set + clear:", flag)
    coopconc.joinall(watchers)
print("what each watcher's wait() returned:", results)
print("flag now:", flag.is_set())

# %% [markdown]
# ## AsyncResult: an event that carries a value
#
# The source: an extension of the event is `AsyncResult`, which attaches a value to the
# wake-up — what other libraries call a *future* or a *deferred*. `set(value)` stores the
# value and wakes every `get()`; later `get()` calls return it at once. It can be set only
# once in spirit: it has no `clear()`.

# %%
import coopconc
from coopconc.event import AsyncResult

a = AsyncResult()


def setter():
    coopconc.sleep(3)  # after three seconds set the result
    a.set("Hello!")


def waiter(n):
    print(f"t={coopconc.now():.0f} waiter {n} waits")
    value = a.get()  # blocks until the setter sets the value
    print(f"t={coopconc.now():.0f} waiter {n} got {value!r}")


with coopconc.virtual_clock():
    coopconc.joinall([coopconc.spawn(setter), coopconc.spawn(waiter, 1), coopconc.spawn(waiter, 2)])
print(a, "ready:", a.ready(), "successful:", a.successful(), "value:", a.value)

# %% [markdown]
# ### Handing over an exception
#
# `set_exception(exc)` stores an exception instead: every `get()` raises it, in the greenlet
# that asked. That is how an error crosses from the greenlet where it happened to the one that
# needs the answer. `wait()` never raises: it returns the value, or `None`.
#
# An `AsyncResult` is also a ready-made `link` callback: `greenlet.link(result)` stores the
# greenlet's return value or its exception when it finishes. (A greenlet that dies of an
# error also reports it, with its traceback, on the hub's `exception_stream` -- stderr unless
# you give it a file; here we catch the report and show its last line.)

# %%
import io

import coopconc
from coopconc.event import AsyncResult

answer = AsyncResult()


def lookup(user):
    coopconc.sleep(1)
    raise KeyError(user)


def asker():
    try:
        answer.get()
    except KeyError as ex:
        print(f"t={coopconc.now():.0f} asker caught {ex!r}")
    print("wait() on an exception returns", answer.wait())


hub = coopconc.get_hub()
hub.exception_stream = report = io.StringIO()
try:
    with coopconc.virtual_clock():
        worker = coopconc.Greenlet(lookup, "ann")
        worker.name = "lookup"
        worker.link(answer)  # the greenlet's outcome goes into the AsyncResult
        worker.start()
        coopconc.joinall([coopconc.spawn(asker), worker])
finally:
    hub.exception_stream = None
print(answer)
print("the hub's report ended with:", report.getvalue().strip().splitlines()[-1])

# %% [markdown]
# ### Not ready yet: timeouts
#
# `get(block=False)` (or `get_nowait()`) on an empty AsyncResult raises `coopconc.Timeout` at
# once; `get(timeout=...)` raises it after that long.

# %%
import coopconc
from coopconc.event import AsyncResult

pending = AsyncResult()
with coopconc.virtual_clock():
    for how in ("get_nowait()", "get(timeout=1.5)"):
        try:
            pending.get_nowait() if how == "get_nowait()" else pending.get(timeout=1.5)
        except coopconc.Timeout:
            print(f"{how} raised Timeout at t={coopconc.now()}")
    print("wait(timeout=1) returned", pending.wait(timeout=1), "at t =", coopconc.now())

# %% [markdown]
# ## The picture: a setter and five waiters
#
# The tracer (`coopconc.trace`) records every switch and why each greenlet waited. Each row is
# a greenlet: dark bars where it ran, pale bars where it waited, labelled with the reason it
# gave (`Event.wait`, `sleep`). All five waiters park at t=0 and wake at t=2, one after the
# other, right after the setter's `set()` and in the order they waited. The lower panel counts
# hand-overs instead of seconds, which spreads out what happens at the same instant.

# %%
import matplotlib.pyplot as plt

import coopconc
from coopconc.event import Event
from coopconc.trace import Tracer

ev = Event()


def setter():
    coopconc.sleep(2)
    ev.set()


def waiter():
    ev.wait()


def named(fn, name):
    g = coopconc.Greenlet(fn)
    g.name = name
    g.start()
    return g


with coopconc.virtual_clock(), Tracer() as tracer:
    coopconc.joinall([named(setter, "setter")] + [named(waiter, f"waiter {i}") for i in range(5)])

woke = [line.split()[1:3] for line in tracer.log() if "runs" in line and "waiter" in line]
print("order of wake-ups:", [" ".join(who) for who in woke][-5:])
fig, axes = plt.subplots(2, 1, figsize=(10, 8))
tracer.timeline(ax=axes[0], title="setter and five waiters, by time")
tracer.timeline(ax=axes[1], x="step", title="the same run, by hand-over")
plt.tight_layout()
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("09_event.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## Errata
#
# - **The source's output is missing.** After its event example the source says `执行结果:`
#   ("result:") and shows nothing; the run above is that output, with times.
# - **`sleep(3)` made the example slow**; here the virtual clock makes those three seconds
#   cost nothing and makes the printed times exact on every run.
# - **"Waiters wake when the event is set" is not quite it.** They wake *after the setter next
#   gives way to the hub*, and a `set()` followed by `clear()` still wakes them (`wait()`
#   returns `True`). Code that needs the flag to still be set must check `is_set()`.
# - **AsyncResult is not just "an event with a value"**: it also carries exceptions
#   (`set_exception`), which the source does not mention, and it cannot be cleared.

# %% [markdown]
# ## How coopconc does it
#
# `Event`, `AsyncResult` and `Semaphore` share one base, `AbstractLinkable`: a list of
# callbacks (*links*) and a `ready()` test. A waiter links its `Waiter` and parks; becoming
# ready schedules one hub callback that calls the links in order.

# %%
import inspect

from coopconc.event import AbstractLinkable, Event

print(inspect.getsource(Event.set))
print(inspect.getsource(AbstractLinkable._check_and_notify))
print(inspect.getsource(AbstractLinkable._notify_list))

# %%
import inspect

from coopconc.event import AbstractLinkable

print(inspect.getsource(AbstractLinkable._wait_core))

# %% [markdown]
# Three things to notice:
#
# 1. `set()` only raises the flag and appends `_notify_links` to the hub's callback queue. No
#    switch happens inside `set()`: that is why the setter's next line printed before any
#    waiter woke.
# 2. `_notify_list` pops each link before calling it and never looks at the flag for an
#    Event (`_notify_all` is true): the waiters scheduled by `set()` all wake even if
#    `clear()` came in between. A semaphore sets `_notify_all = False` and stops as soon as it
#    has no permit left (notebook 12).
# 3. `_wait_core` is the hub's one waiting path with a reason: `waiter.get("Event.wait",
#    self)`. A timeout or a kill arrives as an exception in `waiter.get`; the waiter then
#    removes its own link, so nothing is left behind for a greenlet that is gone.

# %% [markdown]
# ## Exercises
#
# **1. Start together.** Write `start_together(names)` that spawns one greenlet per name; each
# waits on one shared `Event`, then appends its name to a list. After spawning, the caller
# sleeps 1 second, records `coopconc.now()`, sets the event, waits for all greenlets and
# returns `(time_of_set, list_of_names)`. Run it under `coopconc.virtual_clock()`.

# %%
import coopconc
from coopconc.event import Event


def start_together(names):
    # replace this stub with your answer
    return (None, [])

# %%
import coopconc

fn = globals().get("start_together")
if fn is None:
    print("define start_together first (run your answer cell)")
else:
    cases = [(["a", "b", "c"], (1.0, ["a", "b", "c"])), (["solo"], (1.0, ["solo"]))]
    passed = 0
    for names, expected in cases:
        with coopconc.virtual_clock():
            got = fn(names)
        ok = got == expected
        passed += ok
        print(f"start_together({names}): {'ok' if ok else f'FAIL, expected {expected}, got {got}'}")
    print(f"{passed}/{len(cases)} passed")

# %% [markdown]
# **2. The first answer wins.** Write `first_answer(delays)`: for each `(name, delay)` pair
# spawn a greenlet that sleeps `delay` seconds and then puts its name into one shared
# `AsyncResult` — but only if nobody did so before (hint: `ready()`). Return the result's
# value as soon as it is there (do not wait for the slower greenlets; kill them).

# %%
import coopconc
from coopconc.event import AsyncResult


def first_answer(delays):
    # replace this stub with your answer
    return None

# %%
import coopconc

fn = globals().get("first_answer")
if fn is None:
    print("define first_answer first (run your answer cell)")
else:
    cases = [
        ([("slow", 3), ("fast", 1), ("medium", 2)], "fast"),
        ([("a", 1), ("b", 1)], "a"),
        ([("only", 0.5)], "only"),
    ]
    passed = 0
    for delays, expected in cases:
        with coopconc.virtual_clock():
            got = fn(delays)
            took = coopconc.now()
        ok = got == expected and took == min(d for _, d in delays)
        passed += ok
        print(f"first_answer({delays}): {'ok' if ok else f'FAIL, expected {expected!r} at t={min(d for _, d in delays)}, got {got!r} at t={took}'}")
    print(f"{passed}/{len(cases)} passed")
