# %% [markdown]
# # 01 · Processes, threads and coroutines — 前述 / 进程 / 线程 / 协程 / 总结 (measured)
#
# **Source:** the opening of the document: **前述** (preface), **进程** (processes),
# **线程** (threads), **协程** (coroutines), **总结** (summary) and the GIL paragraph of
# **聊聊协程** (let's talk about coroutines). The source compares the three kinds of units in
# bullet points. This notebook takes each bullet as a claim and **measures it on this machine**
# with `coopconc.measure`, then corrects the ones that are loose or wrong.
#
# After this notebook you can:
# - say, with numbers from your own machine, what it costs to create, switch, keep alive and
#   talk to a process, a thread, a greenlet and a generator (orders of magnitude, not digits);
# - show that CPython threads are real OS threads, and what the GIL does and does not serialise
#   (and that free-threaded builds, 3.13t and later, drop it);
# - explain why a coroutine switch avoids the kernel while its I/O still goes through it.

# %% [markdown]
# ## 前述 — the four ways
#
# > 并发编程(不是并行)目前有四种方式:多进程、多线程、协程和异步。
#
# *"Concurrent (not parallel) programming currently comes in four flavours: multiple processes,
# multiple threads, coroutines and asynchronous I/O."*
#
# Python gives you each of them: `os.fork` and `multiprocessing` for processes, `threading`
# for threads, generators (`yield`) and `greenlet` for coroutines, and `select`/`epoll` for
# asynchronous I/O (notebook 03). One correction right away: processes (and, for code that
# releases the GIL, threads) are not only concurrent but **parallel** — they can run on two
# cores at the same moment. Coroutines never are: they share one thread.
#
# ### The claims, and where they are measured
#
# | source (中文) | in English | measured in |
# |---|---|---|
# | 进程: 有独立的内存空间(上下文切换……开销大) | processes have their own address space; switching between them is expensive | §1 create, §2 switch, §3 memory |
# | 进程: 通讯都需要过内核,效率低 | inter-process communication goes through the kernel and is slow | §4 messages |
# | 线程: 由于共享内存,上下文切换变得高效 | threads share memory, so switching between them is efficient | §2 switch |
# | 线程: 创建线程开销占用比进程小很多,可创建的数量也会很多 | a thread costs much less than a process to create and hold; you can have many more | §1, §3 |
# | 线程: 通过共享内存通信比通过内核要快很多 | communicating through shared memory is much faster than through the kernel | §4, across message sizes |
# | 协程: 任务间切换只需要保存任务的上下文,没有内核的开销 | switching coroutines only saves the task's context, with no kernel overhead | §2, §7 |
# | 协程: 可以不加锁的访问全局变量 | coroutines can use global variables without locks | §8 (and notebook 05) |
# | 协程需要保证是非堵塞的且没有相互依赖 | coroutines must never block and must not depend on each other | §9 (and notebook 19) |
# | 协程基本上不能同步通讯,多采用异步的消息通讯,效率比较高 | coroutines basically cannot talk synchronously; they use asynchronous messages, which is efficient | §4 |
# | 总结: 线程拥有自己独立的栈和共享的堆 | a thread has its own stack and shares the heap | §3 |
# | Python的线程并不是标准线程,是系统级进程 | Python threads are not standard threads but system-level processes | §5 |
# | Python的多线程其实是串行的……一个进程内的多个线程只能使用一个CPU | Python threads really run one at a time; they can use only one CPU | §6 |
#
# **How to read the numbers.** Each section measures once, draws the figures (every bar and
# point carries its measured value), and then asks the source's claims as questions with
# **wide margins** — "is it at least N times cheaper?" — answered `yes` or `no` by the
# measurement just made. A `no` means the claim failed here. The answers are the same on every
# run; the digits in the pictures are not (they depend on this machine and its load).
#
# **Class size and full size.** The measurements use small counts so the whole notebook runs
# in a few seconds. Start Jupyter with `COOPCONC_FULL=1` in the environment (for example
# `COOPCONC_FULL=1 make lab`) and every measure runs at full size (tens of seconds), or run
# `python -m coopconc.measure` in a terminal for the whole table.

# %% [markdown]
# ## §1 Creating one: process, thread, greenlet, generator
#
# `create_cost` makes one unit, runs a function that returns at once inside it, and waits for
# its end — n times, the best of a few runs. A process is made by copying the page tables of
# the whole parent (`fork`), a thread by asking the kernel for a new schedulable task in the
# same address space (`clone`), a greenlet by allocating a small object (and, on its first
# run, a chunk of memory for its Python frames), a generator by allocating one frame. Look at
# the log scale: each step down is a factor of ten.

# %%
# coopconc only: coopconc.measure (gevent has no measuring module)
import matplotlib.pyplot as plt

from coopconc.measure import create_cost, plot_costs

rows = create_cost()  # small counts; COOPCONC_FULL=1 in the environment for the full size
cost = {r["kind"]: r["per_unit"] for r in rows}


def ask(question, answer):
    print(f"{question} {'yes' if answer else 'no'}")


ask("Does creating a process cost at least 2x creating a thread?", cost["process"] >= 2 * cost["thread"])
ask("Does creating a thread cost more than creating a greenlet?", cost["thread"] > cost["greenlet"])
ask("Does creating a greenlet cost at least 10x a generator?", cost["greenlet"] >= 10 * cost["generator"])
ask("Does a process cost at least 1000x a generator?", cost["process"] >= 1000 * cost["generator"])

fig = plot_costs(rows).figure
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("01_create.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## §2 One switch: a round trip A → B → A
#
# `switch_cost` hands control from A to B and back, n times:
#
# - **multiprocessing Pipe / os.fork + pipe**: a ping-pong over a pipe; each hand-over is a
#   `write`, the kernel waking the other process, its `read`, and a reschedule;
# - **2 threads + SimpleQueue**: two `queue.SimpleQueue`s, one each way. Be clear about what
#   this row times: not a bare kernel context switch (a few microseconds at most), but the
#   whole hand-off as Python code sees it — the queue's lock, a futex wake-up of the other OS
#   thread through the kernel, and the GIL passing from one thread to the other;
# - **raw greenlet**: `greenlet.switch()` — the Python frame pointer and the C stack are
#   swapped in user space, no system call;
# - **coopconc Greenlet**: two coopconc greenlets calling `sleep(0)` in turn, each through the
#   hub;
# - **generator**: `gen.send(x)` and the generator's `yield`.
#
# The source says that threads, sharing memory, switch *efficiently* compared with processes.
# In CPython the difference hardly shows: both hand-overs go through the kernel's scheduler (and
# a thread must also take the GIL), so they land in the same order of magnitude (which of the
# two wins depends on the machine and its load). What saves the cost is leaving the kernel out.

# %%
# coopconc only: coopconc.measure (gevent has no measuring module)
import matplotlib.pyplot as plt

from coopconc.measure import plot_costs, switch_cost

rows = switch_cost()  # small counts; COOPCONC_FULL=1 in the environment for the full size
cost = {r["kind"]: r["per_unit"] for r in rows}


def ask(question, answer):
    print(f"{question} {'yes' if answer else 'no'}")


ask("Is a greenlet switch at least 5x cheaper than a multiprocessing round trip?", cost["process"] >= 5 * cost["greenlet"])
ask("Is a greenlet switch at least 3x cheaper than an os.pipe round trip?", cost["fork"] >= 3 * cost["greenlet"])
ask("Is a greenlet switch at least 3x cheaper than a hand-off between threads?", cost["thread"] >= 3 * cost["greenlet"])
ask("The source's claim: is a thread hand-off 20x (or more) cheaper than an os.pipe round trip?", 20 * cost["thread"] <= cost["fork"])
ask("Is generator.send cheaper than greenlet.switch?", cost["generator"] < cost["greenlet"])

fig = plot_costs(rows).figure
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("01_switch.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## §3 Memory per idle unit, and who shares what
#
# `memory_cost` starts a fresh Python interpreter for each kind, creates n idle units there
# (each blocked, waiting to be released) and reads how memory grew:
#
# - for threads, greenlets and generators: the growth of **VmRSS** (resident set: pages really
#   in RAM) from `/proc/self/status`;
# - for processes: the parent's growth plus each child's memory. Adding up each child's VmRSS
#   (`rss_per_unit`) over-counts: right after `fork` a child's pages are the parent's, shared
#   **copy-on-write** (each is copied only when one side writes to it), and RSS counts a shared
#   page in full in every process. **PSS** (proportional set size, `/proc/<pid>/smaps_rollup`)
#   divides each shared page among its sharers — what the family of processes really costs.
#
# A thread *reserves* a whole stack (8 MiB of address space by default, `vm_per_unit`) but
# only the pages it touches become resident. A greenlet's frames live on the heap; of the C
# stack it was running on, greenlet copies a slice to the heap **only when another greenlet
# needs that stack region** (a switch to a greenlet that runs deeper than the saved one did
# leaves the upper part in place). A generator keeps one Python frame.

# %%
# coopconc only: coopconc.measure (gevent has no measuring module)
import matplotlib.pyplot as plt

from coopconc.measure import memory_cost, plot_costs

rows = memory_cost(["fork", "thread", "greenlet", "Greenlet", "generator"])
size = {r["kind"]: r["per_unit"] for r in rows}
fork, thread = rows[0], rows[1]


def ask(question, answer):
    print(f"{question} {'yes' if answer else 'no'}")


ask("Does an idle process (PSS) cost at least 10x an idle thread?", size["fork"] >= 10 * size["thread"])
ask("Does an idle thread cost at least 3x an idle greenlet?", size["thread"] >= 3 * size["greenlet"])
ask("Does an idle greenlet cost at least 2x a suspended generator?", size["greenlet"] >= 2 * size["generator"])
ask("Does adding up children's RSS over-count their PSS at least 3x?", fork["rss_per_unit"] >= 3 * size["fork"])
ask("Does a thread reserve at least 50x more address space than it uses?", thread["vm_per_unit"] >= 50 * size["thread"])

fig = plot_costs(rows).figure
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("01_memory.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# *进程不共享任何状态; 线程共享变量* — "processes share no state; threads share variables".
# A forked child changes **its copy** of a list (its pages are the parent's until one side
# writes: copy-on-write, not shared memory); a thread changes **the** list.
#
# **Forking inside Jupyter.** The kernel running this notebook has other threads (the
# heartbeat, the output channel). `fork` copies only the thread that calls it; a lock another
# thread held at that instant stays locked in the child forever, so a child that takes it (even
# `print`, whose stream in Jupyter has a lock) can hang. This cell is safe because the child
# only appends to a list and leaves with `os._exit(0)`: no lock, no I/O, no clean-up code. For
# anything more, use `multiprocessing.get_context("forkserver")` or `"spawn"` (notebook 14).

# %%
import os
import threading

shared = []
pid = os.fork()
if pid == 0:  # the child process: append to its own copy, then leave at once (no lock, no I/O)
    shared.append("from the child process")
    os._exit(0)
os.waitpid(pid, 0)
print("after the child process:", shared)

t = threading.Thread(target=shared.append, args=("from the thread",))
t.start()
t.join()
print("after the thread:       ", shared)

# %% [markdown]
# ## §4 Moving a message
#
# `message_cost` moves n messages of 256 bytes from a producer to a consumer:
#
# - **os.pipe (2 processes)**: each message written into the kernel and read out again;
# - **shared memory (2 processes)**: a `multiprocessing.shared_memory` block both processes
#   map; the producer copies every message in, the consumer copies it out, with **one**
#   notification for the whole batch (real code needs its own locking or signalling, which is
#   the hard part — so this is the best case for shared memory);
# - **queue.Queue (2 threads)**: a lock and a condition variable per message;
# - **coopconc Queue (2 greenlets)**: in one thread;
# - **generator**: `send` into a consumer generator.
#
# Inside one process only a *reference* moves; between processes the bytes are copied.

# %%
# coopconc only: coopconc.measure (gevent has no measuring module)
import matplotlib.pyplot as plt

from coopconc.measure import message_cost, plot_costs

rows = message_cost(size=256)
cost = {r["kind"]: r["per_unit"] for r in rows}


def ask(question, answer):
    print(f"{question} {'yes' if answer else 'no'}")


ratio = cost["pipe"] / cost["queue.Queue"]
ask("Are a pipe and a queue.Queue within 20x of each other (the same league)?", 1 / 20 < ratio < 20)
ask("Is a coopconc Queue between greenlets cheaper than a queue.Queue between threads?", cost["coopconc.Queue"] < cost["queue.Queue"])
ask("Is generator.send at least 3x cheaper than a pipe?", cost["pipe"] >= 3 * cost["generator"])

fig = plot_costs(rows).figure
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("01_message.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# The source says shared memory is "much faster" than the kernel. One size proves little: at
# 256 bytes the copy is nothing and the per-message overhead is everything; at 1 MiB the copy
# is everything. So measure the two ways between processes (and `queue.Queue`, where only a
# reference moves) from 64 bytes to 1 MiB and print, for each size, how many times faster
# shared memory was than the pipe (below 1: the pipe was faster).
#
# Read the ratios rather than trusting a verdict: on this course's machine they stayed within
# a small factor at every size and changed from run to run and size to size — there was no
# size where shared memory was "much faster" every time. Run the cell again and compare. (With
# so few messages per size, the wake-up of the other process weighs on the small sizes; set
# `COOPCONC_FULL=1` to move more.) What grows with the size is the copying, which both do;
# inside one process (`queue.Queue`) the size hardly matters, since only a reference moves.

# %%
# NBVAL_IGNORE_OUTPUT
# (not compared: the ratios depend on this machine, its load and the kernel's pipe code)
# coopconc only: coopconc.measure (gevent has no measuring module)
import os

import matplotlib.pyplot as plt

from coopconc.measure import message_cost

full = os.environ.get("COOPCONC_FULL") == "1"
sizes = [64, 1024, 16 * 1024, 256 * 1024, 1024 * 1024]
per_message = {"pipe": [], "shared_memory": [], "queue.Queue": []}
for size in sizes:
    volume = (64 if full else 2) << 20  # bytes moved per size
    n = max(4, min(5000 if full else 200, volume // size))
    for row in message_cost(["pipe", "shared_memory"], n=n, size=size, repeat=2):
        per_message[row["kind"]].append(row["per_unit"])
    per_message["queue.Queue"] += [r["per_unit"] for r in message_cost(["queue.Queue"], n=200, size=size, repeat=2)]

names = ["64 B", "1 KiB", "16 KiB", "256 KiB", "1 MiB"]
for name, pipe, shm in zip(names, per_message["pipe"], per_message["shared_memory"]):
    print(f"{name:>8}: shared memory was {pipe / shm:5.2f}x as fast as the pipe")

fig, ax = plt.subplots(figsize=(7, 3.6))
labels = {"pipe": "os.pipe (2 processes)", "shared_memory": "shared memory (2 processes)", "queue.Queue": "queue.Queue (2 threads)"}
for kind, marker in (("pipe", "o"), ("shared_memory", "s"), ("queue.Queue", "^")):
    ax.plot(sizes, [t * 1e6 for t in per_message[kind]], marker=marker, label=labels[kind])
ax.set_xscale("log", base=2)
ax.set_yscale("log")
ax.set_xticks(sizes, ["64 B", "1 KiB", "16 KiB", "256 KiB", "1 MiB"])
ax.set_xlabel("message size (bytes, log scale)")
ax.set_ylabel("microseconds per message (log)")
ax.set_title("Moving one message, by size")
ax.legend(fontsize=8)
fig.tight_layout()
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("01_message_sizes.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# *协程基本上不能同步通讯* — "coroutines basically cannot communicate synchronously". They can.
# A `Channel` (a queue of size 0, gevent's name) is a rendezvous: `put` returns only when a
# getter has taken the item, so the producer knows the message arrived — synchronous
# communication, and still no lock and no kernel.

# %%
import coopconc
from coopconc.queue import Channel

channel = Channel()
log = []


def producer():
    for n in range(3):
        log.append(f"put {n}: waiting for a taker")
        channel.put(n)  # blocks this greenlet until the consumer has taken n
        log.append(f"put {n}: taken")


def consumer():
    for _ in range(3):
        log.append(f"got {channel.get()}")


coopconc.joinall([coopconc.spawn(producer), coopconc.spawn(consumer)])
print("\n".join(log))

# %% [markdown]
# ## §5 "Python threads are system-level processes"? No: they are OS threads
#
# > Python的线程并不是标准线程,是系统级进程
#
# *"Python threads are not standard threads but system-level processes."* This is wrong.
# CPython's `threading.Thread` is a POSIX thread: every thread has its own kernel task id
# (`threading.get_native_id()`), all of them live in the **same process** (`os.getpid()`), and
# the kernel lists them under `/proc/self/task/`. On Linux the main thread's task id is the
# process id itself.

# %%
import os
import threading

seen = {}
recorded = threading.Barrier(4)  # three threads + the main thread
release = threading.Event()


def record(name):
    seen[name] = (os.getpid(), threading.get_native_id())
    recorded.wait()
    release.wait()  # stay alive while the main thread looks at /proc


threads = [threading.Thread(target=record, args=(f"t{i}",)) for i in range(3)]
for t in threads:
    t.start()
recorded.wait()
tasks = set(os.listdir("/proc/self/task"))
release.set()
for t in threads:
    t.join()

pids = {pid for pid, _tid in seen.values()}
tids = {tid for _pid, tid in seen.values()}
print("the main thread's task id is the process id:", threading.get_native_id() == os.getpid())
print("3 threads, all in this one process:", pids == {os.getpid()})
print("each has its own kernel task id:", len(tids) == 3 and os.getpid() not in tids)
print("the kernel lists each under /proc/self/task:", {str(tid) for tid in tids} <= tasks)


# %% [markdown]
# ## §6 The GIL: it serialises bytecode, not system calls (on the usual build)
#
# > 因此Python的多线程其实是串行的,所以并不能利用多核的优势
#
# *"So Python's multithreading is really serial, and cannot use several cores."* Half right,
# and only for the usual build of CPython. There, the global interpreter lock lets only one
# thread **run Python bytecode** at a time. Since Python 3.13 there is also a **free-threaded**
# build (`python3.13t`, PEP 703) with no GIL: there, threads run Python code on several cores
# at once. `sys._is_gil_enabled()` (3.13+) says which one you are running; every GIL statement
# below is checked on the running interpreter and says which build it holds for.
#
# Even with the GIL, a thread that sleeps, waits for I/O or runs C code that releases the lock
# (`time.sleep`, `os.read`, `select`, socket calls, `hashlib` on big buffers, …) lets the others
# run meanwhile. So four threads that each sleep 0.1 s, or wait 0.1 s for I/O, finish together
# in about 0.1 s, not 0.4 s:

# %%
import os
import select
import sys
import threading
import time

gil = getattr(sys, "_is_gil_enabled", lambda: True)()  # before 3.13 every build has the GIL
print("this interpreter runs with a GIL:", gil)

threads = [threading.Thread(target=time.sleep, args=(0.1,)) for _ in range(4)]
t0 = time.perf_counter()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.perf_counter() - t0
print("4 threads each slept 0.1 s; together they took less than 0.3 s:", elapsed < 0.3)

# The same with I/O: each thread waits up to 0.1 s in select() for data on its own pipe.
pipes = [os.pipe() for _ in range(4)]
threads = [threading.Thread(target=select.select, args=([r], [], [], 0.1)) for r, _w in pipes]
t0 = time.perf_counter()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.perf_counter() - t0
for r, w in pipes:
    os.close(r)
    os.close(w)
print("4 threads each waited 0.1 s in select(); together they took less than 0.3 s:", elapsed < 0.3)

# %% [markdown]
# Pure-Python CPU work is different. `cpu_scaling` splits the same loop over 1, 2 and 4
# threads, then 1, 2 and 4 processes. *Speed-up* is the 1-worker time divided by the n-worker
# time; *cores* is CPU time divided by wall time. **With the GIL**, threads stay at about one
# core between them however many you start; on a free-threaded build they can use as many
# cores as are free, like processes. Processes can use every free core of the machine — when
# the machine is busy with other work they get less, which is why their speed-up is drawn but
# not asked about below.

# %%
# coopconc only: coopconc.measure (gevent has no measuring module)
import os
import sys

import matplotlib.pyplot as plt

from coopconc.measure import cpu_scaling, plot_speedup

gil = getattr(sys, "_is_gil_enabled", lambda: True)()
rows = cpu_scaling(repeat=1)  # small work; COOPCONC_FULL=1 in the environment for the full size
threads = [r for r in rows if r["kind"] == "thread"]
if gil:
    print("With the GIL on: do threads running Python code use at most about one core between them?",
          "yes" if all(r["cores_used"] < 1.15 for r in threads) else "no")
else:
    print("Free-threaded build: threads may use several cores; the GIL statement does not apply here")

ax = plot_speedup(rows)
ax.text(0.02, 0.95, f"this machine: {os.cpu_count()} CPUs", transform=ax.transAxes, fontsize=8, va="top")
fig = ax.figure
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("01_cpu.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## §7 Coroutines: no kernel in the switch, but the kernel in the I/O
#
# > 任务间切换只需要保存任务的上下文,没有内核的开销
#
# *"Switching between tasks only saves the task's context; there is no kernel overhead."* True
# of the **switch**: §2 measured it. But a coroutine that reads a socket or a pipe still asks
# the kernel for every byte. Linux counts the read and write system calls of each thread in
# `/proc/thread-self/io` (`syscr`, `syscw`). Compare 1000 switches between two greenlets with
# 1000 messages between the same two greenlets over a pipe:

# %%
import os

import coopconc
from coopconc.hub import wait_read


def read_write_calls():
    with open("/proc/thread-self/io") as f:
        fields = dict(line.split(": ") for line in f.read().splitlines())
    return int(fields["syscr"]) + int(fields["syscw"])


def switcher():
    for _ in range(1000):
        coopconc.sleep(0)


before = read_write_calls()
coopconc.joinall([coopconc.spawn(switcher), coopconc.spawn(switcher)])
switch_calls = read_write_calls() - before

r, w = os.pipe()


def writer():
    for _ in range(1000):
        os.write(w, b"m")
        coopconc.sleep(0)


def reader():
    for _ in range(1000):
        wait_read(r)
        os.read(r, 1)


before = read_write_calls()
coopconc.joinall([coopconc.spawn(reader), coopconc.spawn(writer)])
pipe_calls = read_write_calls() - before
os.close(r)
os.close(w)

print("1000 switches between greenlets: fewer than 10 read/write system calls:", switch_calls < 10)
print("1000 messages over a pipe between greenlets: at least 2000 system calls:", pipe_calls >= 2000)


# %% [markdown]
# ## §8 "Coroutines can use globals without locks" — until a switch lands inside the update
#
# > 可以不加锁的访问全局变量
#
# *"(Coroutines) can access global variables without locks."* True only between switch points.
# A greenlet runs until it gives way, so a read-modify-write with **no** possible switch inside
# it cannot be interrupted. Put a switch point inside it — a `sleep`, a socket call, a `print`
# to a patched stream, a `Queue.put` that may block — and three greenlets lose updates exactly
# as threads do. Notebook 05 takes this apart; here is the counterexample:

# %%
import coopconc

state = {"counter": 0}


def switch_between_updates(times):
    for _ in range(times):
        state["counter"] = state["counter"] + 1  # read and write with no switch between
        coopconc.sleep(0)  # give way between updates


def switch_inside_the_update(times):
    for _ in range(times):
        value = state["counter"]
        coopconc.sleep(0)  # give way between the read and the write
        state["counter"] = value + 1


for worker in (switch_between_updates, switch_inside_the_update):
    state["counter"] = 0
    coopconc.joinall([coopconc.spawn(worker, 1000) for _ in range(3)])
    print(f"3 greenlets x 1000 increments, {worker.__name__}: {state['counter']}")

# %% [markdown]
# ## §9 "Coroutines must not block and must not depend on each other"
#
# > 协程需要保证是非堵塞的且没有相互依赖
#
# The first half is the rule of the whole course (notebook 19 shows how to catch a greenlet
# that breaks it): a call that blocks the **thread** — `time.sleep`, an unpatched socket, a long
# computation — stops every greenlet, because the hub cannot run until it returns. The second
# half is too strong: greenlets depend on each other all the time (queues, events, `join`,
# the `Channel` of §4). What they must not have is a **cycle** of waits: then nobody can run,
# the hub has nothing left to do, and it says so with `LoopExit`.

# %%
import time

import coopconc
from coopconc.event import Event
from coopconc.exceptions import LoopExit


def ticker(ticks):
    while True:
        ticks.append(1)
        coopconc.sleep(0.01)


def ticks_during(wait):
    ticks, seen = [], []

    def waiter():
        before = len(ticks)
        wait(0.1)
        seen.append(len(ticks) - before)

    t = coopconc.spawn(ticker, ticks)
    coopconc.spawn(waiter).join()
    t.kill()
    return seen[0]


print("ticks while one greenlet waits in coopconc.sleep(0.1): at least 3?", ticks_during(coopconc.sleep) >= 3)
print("ticks while one greenlet blocks in time.sleep(0.1):", ticks_during(time.sleep))

a, b = Event(), Event()


def first():
    b.wait()  # waits for second ...
    a.set()


def second():
    a.wait()  # ... which waits for first
    b.set()


pair = [coopconc.spawn(first), coopconc.spawn(second)]
try:
    coopconc.joinall(pair)
except LoopExit:
    print("a cycle of waits: the hub raised LoopExit (nobody can ever run again)")
coopconc.killall(pair)

# %% [markdown]
# ## Errata
#
# What the source got wrong or said loosely, and what this notebook measured instead:
#
# 1. **"Python的线程并不是标准线程,是系统级进程"** (Python threads are system-level processes) —
#    wrong. They are POSIX threads of one process (§5: one pid, distinct native ids, listed in
#    `/proc/self/task`).
# 2. **"Python的多线程其实是串行的……只能使用一个CPU"** (Python threads run serially, on one
#    CPU) — with the GIL (the usual build), true of *bytecode* only: sleeps, I/O and C code that
#    releases the GIL run in parallel (§6), and pure-Python work does not speed up with threads
#    but does with processes. On a free-threaded build (3.13t and later) it is not true at all.
# 3. **"线程……上下文切换变得高效"** (threads switch efficiently because they share memory) —
#    in CPython a hand-off between threads (queue, futex wake-up, GIL) costs the same order as
#    a pipe round trip between two processes (§2): both go through the kernel's scheduler.
#    Greenlets and generators are the ones that switch orders of magnitude faster.
# 4. **"通讯都需要过内核,效率低" / "通过共享内存通信比通过内核要快很多"** (communication through the
#    kernel is slow; shared memory is much faster) — from 64 bytes to 1 MiB a pipe and shared
#    memory stay within a small factor of each other, the order changing with size and load
#    (§4); a pipe is in the same league as a `queue.Queue` between threads. Shared memory saves
#    copies through the kernel but needs its own synchronisation, where the cost and bugs go.
# 5. **"没有内核的开销"** (no kernel overhead for coroutines) — true of the switch, not of the
#    I/O the coroutine waits for (§7).
# 6. **"调度完全由用户控制"** (scheduling is fully controlled by the user) — with generators,
#    yes. With gevent or coopconc, the program decides *where* a greenlet may give way (every
#    blocking call), and the hub decides *who runs next*.
# 7. **"并发编程(不是并行)"** (concurrency, not parallelism) — processes, and threads in code
#    that releases the GIL, do run in parallel on several cores.
# 8. **"可以不加锁的访问全局变量"** (globals without locks) — only while no switch point sits
#    inside the update (§8, notebook 05).
# 9. **"协程需要保证是非堵塞的且没有相互依赖"** (never block, no dependencies) — never blocking the
#    thread is the rule; depending on each other is normal, a *cycle* of waits is the bug (§9,
#    notebook 19).
# 10. **"协程基本上不能同步通讯"** (coroutines cannot talk synchronously) — a `Channel` is a
#     synchronous rendezvous between greenlets (§4).

# %% [markdown]
# ## How coopconc does it: the measuring code
#
# Everything above comes from the package `coopconc/measure/`, one small module per measure.
# Here is how a greenlet round trip and a pipe round trip between processes are timed, read
# from the installed package:

# %%
# coopconc only: inspect.getsource of coopconc.measure
import inspect

from coopconc.measure import switch

print(inspect.getsource(switch._switch_greenlet))
print(inspect.getsource(switch._switch_fork))

# %% [markdown]
# And how memory is read for a unit kept alive in a child process:

# %%
# coopconc only: inspect.getsource of coopconc.measure
import inspect

from coopconc.measure import memory

print(inspect.getsource(memory._proc_pss))
print(inspect.getsource(memory._hold_in_thread))

# %% [markdown]
# Three things to notice:
#
# 1. The greenlet round trip is two calls to `switch` and nothing else: no lock, no system
#    call. The pipe round trip is two `write`s and two `read`s, and the kernel must wake the
#    other process each time — that is the whole difference in §2.
# 2. Every timing is the best of a few runs (`best` in `coopconc/measure/common.py`): the least
#    disturbed run is the closest to the real cost; averages would mix in whatever else the
#    machine was doing.
# 3. The child of `fork` leaves with `os._exit(0)`: it must not run the parent's clean-up code
#    (flush the parent's buffers, run `atexit` handlers) a second time.

# %% [markdown]
# ## Exercises
#
# **1. Native ids.** Write `native_ids(k)` that starts `k` threads, collects
# `threading.get_native_id()` from each while all of them are alive, joins them, and returns
# the list of ids.

# %%
import threading


def native_ids(k):
    # replace this stub with your answer
    return []


# %%
import os
import threading

fn = globals().get("native_ids")
if fn is None:
    print("define native_ids first (run your answer cell)")
else:
    for k in (1, 3, 5):
        ids = fn(k)
        ok = len(ids) == k and len(set(ids)) == k and os.getpid() not in ids
        print(f"native_ids({k}): {'ok' if ok else 'FAIL, expected ' + str(k) + ' distinct ids, none equal to the pid'}")

# %% [markdown]
# **2. Sleep in parallel.** Write `sleep_in_threads(k, seconds)` that makes `k` threads each
# call `time.sleep(seconds)` at the same time, waits for all of them, and returns the elapsed
# wall-clock seconds (use `time.perf_counter()`).

# %%
import threading
import time


def sleep_in_threads(k, seconds):
    # replace this stub with your answer
    return 0.0


# %%
fn = globals().get("sleep_in_threads")
if fn is None:
    print("define sleep_in_threads first (run your answer cell)")
else:
    for k, seconds in ((1, 0.05), (4, 0.05), (8, 0.02)):
        elapsed = fn(k, seconds)
        ok = seconds <= elapsed < seconds * k * 0.75 + 0.2 if k > 1 else seconds <= elapsed
        print(f"sleep_in_threads({k}, {seconds}): {'ok' if ok else 'FAIL, the sleeps did not overlap (or took no time)'}")

# %% [markdown]
# **3. Order of magnitude.** Write `bucket(seconds)` that names the order of magnitude of a
# duration, the way this notebook compares costs: `"ns"` below 1 µs, `"us"` below 1 ms,
# `"ms"` below 1 s, else `"s"`.

# %%
def bucket(seconds):
    # replace this stub with your answer
    return "?"


# %%
fn = globals().get("bucket")
if fn is None:
    print("define bucket first (run your answer cell)")
else:
    cases = [(5e-8, "ns"), (6.4e-7, "ns"), (8e-6, "us"), (3.5e-3, "ms"), (0.999, "ms"), (2.0, "s")]
    passed = 0
    for seconds, expected in cases:
        got = fn(seconds)
        passed += got == expected
        print(f"bucket({seconds}): {'ok' if got == expected else f'FAIL, expected {expected!r}, got {got!r}'}")
    print(f"{passed}/{len(cases)} passed")
