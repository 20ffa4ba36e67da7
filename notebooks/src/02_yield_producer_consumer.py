# %% [markdown]
# # 02 · Producer and consumer with `yield` — 聊聊协程 (Let's talk about coroutines)
#
# **Source:** the section **聊聊协程** (let's talk about coroutines): the `@coroutine`
# decorator, the consumer and producer written with `yield` in Python 2, and the remark that
# the traditional thread-and-lock version "容易死锁" (deadlocks easily).
#
# After this notebook you can:
# - write a generator-based coroutine in Python 3, prime it, `send` it work and close it, and
#   name the five bugs of the source's Python 2 listing;
# - build the same producer/consumer with threads, a `queue.Queue` and a lock, and show (safely)
#   how taking two locks in opposite orders deadlocks;
# - explain why a greenlet generalises the generator: it can give way from any depth of calls.

# %% [markdown]
# ## A generator is a coroutine
#
# > 协程,又称微线程,纤程。
#
# *"A coroutine is also called a micro-thread or a fiber."* In Python the simplest coroutine is
# a generator that *receives* values: `n = (yield)` suspends the generator until somebody calls
# `gen.send(value)`; then `n` is that value and the generator runs until its next `yield`.
# A fresh generator has not reached its first `yield` yet, so it must be advanced once
# ("primed") with `next(gen)` before it can receive anything — that is what the source's
# `@coroutine` decorator does.
#
# The source's listing, as printed (Python 2, indentation lost in the extraction):
#
# ```text
# def coroutine(func):
#     def ret():
#         f = func()
#         f.next()
#         return f
#     return ret
#
# @coroutine
# def consumer():
#     print "Wait to getting a task"
#     while True:
#         n = (yield)
#         print "Got %s",n
#
# import time
# def producer():
#     c = consumer()
#     task_id = 0
#     while True:
#         time.sleep(1)
#         print "Send a task to consumer" % task_id
#         c.send("task %s" % task_id)
#
# if __name__ == "__main__":
#     producer()
# ```
#
# and the output it claims: `Wait to getting a task`, `Send a task 0 to consumer`,
# `Got task 0`, `Send a task 1 to consumer`, `Got task 1`, … Run as printed, it could never
# produce that.

# %% [markdown]
# ## Errata
#
# 1. **`f.next()`** — Python 2 only. In Python 3 a generator has `__next__`; call `next(f)`.
# 2. **`print "Send a task to consumer" % task_id`** — the string has no `%s` placeholder, so
#    `%` raises `TypeError: not all arguments converted during string formatting` (in Python 2
#    too). The output shows the intended text: `f"Send a task {task_id} to consumer"`.
# 3. **`task_id` never changes** — the producer never increments it, yet the output counts
#    0, 1, 2. Add `task_id += 1`.
# 4. **`print "Got %s",n`** — the comma does not format anything. Python 2's `print`
#    statement prints its items separated by a space, so this prints `Got %s task 0`, not
#    `Got task 0` (the `%s` is printed as it is); `print("Got %s", n)` does the same in
#    Python 3. Only `%` formats: write `print("Got %s" % n)`, or better `print(f"Got {n}")`.
# 5. **`while True` with `time.sleep(1)`** — the producer never ends and spends a second per
#    task doing nothing. Here it sends a given number of tasks, does not sleep, and closes the
#    consumer at the end (`c.close()` raises `GeneratorExit` inside it).
#
# Also: the decorator's `ret()` accepts no arguments and hides the function's name; the port
# below passes `*args, **kwargs` through and uses `functools.wraps`.
#
# The first three, shown on the spot:

# %% tags=["raises-exception"]
# NBVAL_RAISES_EXCEPTION
# (this cell raises on purpose: the error is the lesson)
def consumer():
    while True:
        n = yield
        print(f"Got {n}")


c = consumer()
c.next()  # Python 2's spelling

# %% tags=["raises-exception"]
# NBVAL_RAISES_EXCEPTION
# (this cell raises on purpose: the error is the lesson)
task_id = 0
print("Send a task to consumer" % task_id)  # noqa: F507, UP031 (the source's bug, on purpose)

# %%
n = "task 0"
print("Got %s", n)  # Python 2's `print "Got %s",n` printed the same: the items, space-separated
print("Got %s" % n)  # formatting needs the % operator
print(f"Got {n}")  # what was meant, in today's Python

# %% [markdown]
# ## The port to Python 3
#
# The same program, fixed, with a bounded number of tasks. Compare the output with the
# source's: it is now exactly what the source says it prints (plus the last line, from the
# consumer being closed).

# %%
import functools


def coroutine(func):
    """Create the generator and advance it to its first `yield`, ready for send()."""

    @functools.wraps(func)
    def start(*args, **kwargs):
        gen = func(*args, **kwargs)
        next(gen)
        return gen

    return start


@coroutine
def consumer():
    print("Wait to getting a task")
    try:
        while True:
            n = yield
            print(f"Got {n}")
    except GeneratorExit:
        print("Consumer closed")


def producer(tasks):
    c = consumer()
    for task_id in range(tasks):  # task_id counts up; no sleeping
        print(f"Send a task {task_id} to consumer")
        c.send(f"task {task_id}")
    c.close()


producer(3)

# %% [markdown]
# ### Who runs when: the hand-offs drawn
#
# > 如果改用协程,生产者生产消息后,直接通过yield跳转到消费者开始执行,待消费者执行完毕后,切换回生产者继续生产
#
# *"With a coroutine, once the producer has made a message it jumps straight to the consumer
# through `yield`; when the consumer is done, control switches back to the producer."* This
# cell records every step (who ran, and what it did) while the pipeline runs, then draws it:
# control moves like a ball between two players, never both at once, and no scheduler is in
# between — `send` *is* the switch.

# %%
import functools

import matplotlib.pyplot as plt


def coroutine(func):
    @functools.wraps(func)
    def start(*args, **kwargs):
        gen = func(*args, **kwargs)
        next(gen)
        return gen

    return start


steps = []  # (who, what), in the order it happened


@coroutine
def consumer():
    steps.append(("consumer", "ready"))
    while True:
        n = yield
        steps.append(("consumer", f"got {n}"))


def producer(tasks):
    steps.append(("producer", "start"))
    c = consumer()  # primes it: the consumer runs up to its first yield
    for task_id in range(tasks):
        steps.append(("producer", f"make task {task_id}"))
        c.send(f"task {task_id}")
    c.close()


producer(4)
for i, (who, what) in enumerate(steps):
    print(f"{i:2} {who:9} {what}")

lanes = {"producer": 1, "consumer": 0}
fig, ax = plt.subplots(figsize=(8, 2.5))
for i, (who, what) in enumerate(steps):
    y = lanes[who]
    ax.barh(y, 0.9, left=i, color="tab:orange" if who == "producer" else "tab:blue", label=f"{who} running")
    ax.text(i + 0.45, y, what.replace("task ", "t"), ha="center", va="center", fontsize=7)
    if i:
        ax.annotate("", (i, y), (i - 0.1, lanes[steps[i - 1][0]]), arrowprops={"arrowstyle": "->", "lw": 0.6})
ax.set_yticks([0, 1], ["consumer", "producer"])
ax.set_xticks(range(len(steps) + 1))
ax.set_xlabel("step number (one generator runs at a time; an arrow is a hand-over)")
ax.set_title("Generator pipeline: send() hands control over, yield hands it back")
handles, labels = ax.get_legend_handles_labels()
ax.legend(handles[:2], labels[:2], loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
fig.tight_layout()
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("02_handoffs.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## The same pipeline with threads, a queue and a lock
#
# > 传统的生产者-消费者模型是一个线程写消息,一个线程取消息,通过锁机制控制队列和等待,但容易死锁。
#
# *"The traditional producer-consumer model has one thread write messages and another take
# them, with locks controlling the queue and the waiting — but it deadlocks easily."*
#
# Here the producer and the consumer are OS threads. `queue.Queue` holds the tasks (inside it:
# one lock and three condition variables on it, `not_empty`, `not_full` and `all_tasks_done`);
# a `threading.Lock` guards the shared `log` list both threads append to. So that the output is the same on every run, the producer waits
# (`q.join()`) until the consumer has finished each task — the same lock-step hand-off as the
# generator version, but every hand-off now goes through the OS scheduler.

# %%
import queue
import threading

q = queue.Queue()
log = []
log_lock = threading.Lock()


def say(who, what):
    with log_lock:  # two threads append to one list: guard it
        log.append(f"{who}: {what}")


def consumer():
    say("consumer", "Wait to getting a task")
    while True:
        n = q.get()
        if n is None:  # the agreed signal to stop
            q.task_done()
            return
        say("consumer", f"Got {n}")
        q.task_done()


def producer(tasks):
    for task_id in range(tasks):
        say("producer", f"Send a task {task_id} to consumer")
        q.put(f"task {task_id}")
        q.join()  # wait until the consumer has handled it
    q.put(None)


c = threading.Thread(target=consumer, name="consumer")
c.start()
producer(3)
c.join()
print("\n".join(log))

# %% [markdown]
# How much does each hand-off cost? The source says the coroutine version is "效率极高"
# (extremely efficient). The same 500 tasks, through a generator and through two threads:

# %%
# NBVAL_IGNORE_OUTPUT
# (not compared: timings depend on this machine and on its load)
import queue
import threading
import time


def consume_gen():
    while True:
        yield


def through_generator(tasks):
    c = consume_gen()
    next(c)
    t0 = time.perf_counter()
    for i in range(tasks):
        c.send(i)
    return time.perf_counter() - t0


def through_threads(tasks):
    q = queue.Queue()

    def consumer():
        while q.get() is not None:
            q.task_done()
        q.task_done()

    t = threading.Thread(target=consumer)
    t.start()
    t0 = time.perf_counter()
    for i in range(tasks):
        q.put(i)
        q.join()
    elapsed = time.perf_counter() - t0
    q.put(None)
    t.join()
    return elapsed


gen = min(through_generator(500) for _ in range(5)) / 500
thr = min(through_threads(500) for _ in range(3)) / 500
print(f"generator hand-off: {gen * 1e9:.0f} ns per task")
print(f"thread hand-off:    {thr * 1e6:.1f} us per task")
print(f"ratio: {thr / gen:.0f}x")

# %% [markdown]
# The same measurement as a statement that holds on any machine:

# %%
import queue
import threading
import time


def consume_gen():
    while True:
        yield


def through_generator(tasks):
    c = consume_gen()
    next(c)
    t0 = time.perf_counter()
    for i in range(tasks):
        c.send(i)
    return time.perf_counter() - t0


def through_threads(tasks):
    q = queue.Queue()

    def consumer():
        while q.get() is not None:
            q.task_done()
        q.task_done()

    t = threading.Thread(target=consumer)
    t.start()
    t0 = time.perf_counter()
    for i in range(tasks):
        q.put(i)
        q.join()
    elapsed = time.perf_counter() - t0
    q.put(None)
    t.join()
    return elapsed


gen = min(through_generator(500) for _ in range(5)) / 500
thr = min(through_threads(500) for _ in range(3)) / 500
print("a generator hand-off is at least 10x cheaper than a thread hand-off:", thr >= 10 * gen)

# %% [markdown]
# ### How locks deadlock — shown safely
#
# The classic deadlock: thread A holds lock 1 and wants lock 2; thread B holds lock 2 and wants
# lock 1. Each waits for the other forever. To show it without hanging the notebook, each
# thread asks for its second lock with `acquire(timeout=0.2)`: a `False` result is the
# deadlock, detected. (The barriers only make sure both threads hold their first lock before
# either asks for its second, and that neither lets go before both have tried: so the deadlock
# happens on every run, not just sometimes.)

# %%
import threading

lock_1, lock_2 = threading.Lock(), threading.Lock()
both_hold_one = threading.Barrier(2)
both_tried = threading.Barrier(2)
report = {}


def worker(name, first, second, first_name, second_name):
    with first:
        both_hold_one.wait()
        got = second.acquire(timeout=0.2)
        both_tried.wait()
        if got:
            second.release()
    report[name] = f"holds {first_name}, asked for {second_name}: " + ("got it" if got else "timed out -> deadlock")


a = threading.Thread(target=worker, args=("A", lock_1, lock_2, "lock 1", "lock 2"))
b = threading.Thread(target=worker, args=("B", lock_2, lock_1, "lock 2", "lock 1"))
a.start()
b.start()
a.join()
b.join()
for name in sorted(report):
    print(name, report[name])

# %% [markdown]
# The cure is a rule, not a mechanism: **every thread takes the locks in the same order**.
# The same two threads, both taking lock 1 before lock 2 — the second one simply waits its turn:

# %%
import threading

lock_1, lock_2 = threading.Lock(), threading.Lock()
report = {}


def worker(name):
    with lock_1:  # always lock 1 first ...
        got = lock_2.acquire(timeout=0.2)  # ... then lock 2
        if got:
            lock_2.release()
    report[name] = "got both locks" if got else "timed out"


threads = [threading.Thread(target=worker, args=(name,)) for name in ("A", "B")]
for t in threads:
    t.start()
for t in threads:
    t.join()
for name in sorted(report):
    print(name, report[name])

# %% [markdown]
# The generator pipeline cannot deadlock this way: there is one thread, and control moves only
# at `send` and `yield`, where the program says so. (Cooperative code has deadlocks of its own
# — every task waiting for another — and notebook 19 shows how coopconc reports them.)

# %% [markdown]
# ## From generators to greenlets
#
# A generator can give way **only from its own frame**: `yield` must be written in the
# generator function itself. A helper it calls cannot suspend it — putting `yield` in the
# helper just makes the helper another generator, which does nothing until iterated:

# %%
def wait_for_task():
    task = yield  # this makes wait_for_task a generator of its own
    return task


def consumer():
    got = []
    while True:
        result = wait_for_task()  # creates a generator object; does NOT suspend consumer
        got.append(type(result).__name__)
        if len(got) == 2:
            return got
        yield


c = consumer()
next(c)
try:
    c.send("task 0")
except StopIteration as stop:
    print("consumer received:", stop.value)

# %% [markdown]
# To make it work every level must be a generator and pass control up with `yield from`. A
# **greenlet** has no such limit: it has a whole stack of its own, and `switch()` suspends the
# entire stack from any depth. Here the consumer's code waits three calls deep — the code that
# gives way does not have to be the consumer's own frame:

# %%
from greenlet import getcurrent, greenlet

main = getcurrent()


def wait_for_task(depth):
    if depth == 0:
        return main.switch("ready")  # suspend the whole greenlet, three calls deep
    return wait_for_task(depth - 1)


def consumer():
    while True:
        task = wait_for_task(3)
        print(f"Got {task}")


c = greenlet(consumer)
print("consumer says:", c.switch())  # start it; it runs until it waits
for task_id in range(3):
    print(f"Send a task {task_id} to consumer")
    c.switch(f"task {task_id}")

# %% [markdown]
# That is the whole trick of gevent and coopconc: any function that has to wait (a socket read
# deep inside a library, `sleep`, `Queue.get`) can switch away from wherever it is, and the
# code above it never needs to know. Notebook 04 starts there.

# %% [markdown]
# ## How coopconc does it
#
# In coopconc every wait goes through one small object, `coopconc.hub.Waiter`. `get()` is the
# greenlet version of `n = (yield)`: it switches away to the hub and returns whatever value
# is later switched in. `switch(value)` is the greenlet version of `send(value)`:

# %%
# coopconc only: inspect.getsource of coopconc
import inspect

from coopconc.hub import Waiter

print(inspect.getsource(Waiter.get))
print(inspect.getsource(Waiter.switch))

# %% [markdown]
# Three things to notice:
#
# 1. `get()` switches to the hub: the waiting greenlet hands control to the scheduler, not
#    straight to a partner as `send` does. The hub decides who runs next.
# 2. The value returned by `get()` is the value passed to `switch(value)` — exactly how
#    `n = (yield)` returns what `send(value)` passed in.
# 3. `switch` may come before `get` (the value is kept, `fired`), which a generator cannot do:
#    `send` to a generator that is not waiting at a `yield` is an error.
#
# The same hand-off as the source's pipeline, with a coopconc queue instead of `send`:

# %%
import coopconc
from coopconc.queue import Queue

tasks = Queue()


def consumer():
    print("Wait to getting a task")
    while True:
        n = tasks.get()  # waits through a Waiter until the producer puts something
        if n is None:
            return
        print(f"Got {n}")


def producer(count):
    for task_id in range(count):
        print(f"Send a task {task_id} to consumer")
        tasks.put(f"task {task_id}")
        coopconc.sleep(0)  # give the consumer its turn
    tasks.put(None)


finished = coopconc.joinall([coopconc.spawn(consumer), coopconc.spawn(producer, 3)])

# %% [markdown]
# ## Exercises
#
# **1. A running average.** Write a coroutine `averager()` (use the `@coroutine` decorator of
# this notebook, repeated in your cell) that receives numbers with `send` and yields the
# average of all numbers received so far. `avg = averager(); avg.send(10)` returns `10.0`,
# then `avg.send(20)` returns `15.0`.

# %%
# coopconc only: the exercise checker
import functools


def coroutine(func):
    @functools.wraps(func)
    def start(*args, **kwargs):
        gen = func(*args, **kwargs)
        next(gen)
        return gen

    return start


@coroutine
def averager():
    raise NotImplementedError("write your answer here")


from coopconc.exercises import check

check("02.1", averager)

# %% [markdown]
# **2. A pipeline stage.** Write a coroutine `grep(pattern, target)` that receives lines with
# `send` and forwards to the coroutine `target` (with `target.send(line)`) only the lines
# that contain `pattern`.

# %%
# coopconc only: the exercise checker
import functools


def coroutine(func):
    @functools.wraps(func)
    def start(*args, **kwargs):
        gen = func(*args, **kwargs)
        next(gen)
        return gen

    return start


@coroutine
def grep(pattern, target):
    raise NotImplementedError("write your answer here")


from coopconc.exercises import check

check("02.2", grep)

# %% [markdown]
# **3. One lock order for everybody.** Write `in_order(lock_a, lock_b)` that returns the two
# locks as a tuple in an order that does not depend on the order they were given in (so every
# thread that takes them in that order avoids the deadlock above). Hint: `id()` gives every
# object a number.

# %%
# coopconc only: the exercise checker
def in_order(lock_a, lock_b):
    raise NotImplementedError("write your answer here")


from coopconc.exercises import check

check("02.3", in_order)
