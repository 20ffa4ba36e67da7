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
# - show that CPython threads are real OS threads, and what the GIL does and does not serialise;
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
# | 线程: 通过共享内存通信比通过内核要快很多 | communicating through shared memory is much faster than through the kernel | §4 |
# | 协程: 任务间切换只需要保存任务的上下文,没有内核的开销 | switching coroutines only saves the task's context, with no kernel overhead | §2, §7 |
# | 协程: 多采用异步的消息通讯,效率比较高 | coroutines talk by asynchronous messages, which is efficient | §4 |
# | 总结: 线程拥有自己独立的栈和共享的堆 | a thread has its own stack and shares the heap | §3 |
# | Python的线程并不是标准线程,是系统级进程 | Python threads are not standard threads but system-level processes | §5 |
# | Python的多线程其实是串行的……一个进程内的多个线程只能使用一个CPU | Python threads really run one at a time; they can use only one CPU | §6 |
#
# **How to read the numbers.** Every measurement runs twice. The first cell of each section
# shows the raw figures and a plot; its output is not compared when the notebook is re-checked
# (`# NBVAL_IGNORE_OUTPUT`), because timings change between machines and from run to run. The
# second cell re-measures and prints only statements that hold with a wide margin anywhere —
# "which is cheaper", "at least N times" — so their output is the same on every run.

# %% [markdown]
# ## §1 Creating one: process, thread, greenlet, generator
#
# `create_cost` makes one unit, runs a function that returns at once inside it, and waits for
# its end — n times, best of three. Look at the log scale: each step down is a factor of ten.

# %%
# coopconc only: coopconc.measure
# NBVAL_IGNORE_OUTPUT
# (not compared: raw timings: they depend on this machine and on its load right now)
import matplotlib.pyplot as plt

from coopconc.measure import create_cost, format_table, plot_costs

rows = create_cost(quick=True)
print(format_table(rows))
plot_costs(rows)
plt.show()

# %% [markdown]
# The same measurement, as statements with wide margins. A process is made by copying the
# page tables of the whole parent (`fork`), a thread by asking the kernel for a new schedulable
# task in the same address space (`clone`), a greenlet by allocating a small object (and, on
# its first run, a chunk of memory for its Python frames), a generator by allocating one frame.

# %%
# coopconc only: coopconc.measure
from coopconc.measure import create_cost

cost = {r["kind"]: r["per_unit"] for r in create_cost(quick=True)}


def claim(text, ok):
    print(f"{text}: {ok}")


claim("creating a process costs at least 2x creating a thread", cost["process"] >= 2 * cost["thread"])
claim("creating a thread costs more than creating a greenlet", cost["thread"] > cost["greenlet"])
claim("creating a greenlet costs at least 10x a generator", cost["greenlet"] >= 10 * cost["generator"])
claim("a process costs at least 1000x a generator", cost["process"] >= 1000 * cost["generator"])

# %% [markdown]
# ## §2 One switch: a round trip A → B → A
#
# `switch_cost` hands control from A to B and back, n times:
#
# - **process / fork**: a ping-pong over a pipe; each hand-over is a `write`, the kernel waking
#   the other process, its `read`, and a reschedule;
# - **thread**: two queues; each hand-over wakes the other OS thread (a futex in the kernel) and
#   passes the GIL;
# - **greenlet**: `greenlet.switch()` — the C stack slice and the Python frame pointer are
#   swapped in user space, no system call;
# - **Greenlet**: two coopconc greenlets calling `sleep(0)` in turn, each through the hub;
# - **generator**: `gen.send(x)` and the generator's `yield`.

# %%
# coopconc only: coopconc.measure
# NBVAL_IGNORE_OUTPUT
# (not compared: raw timings: they depend on this machine and on its load right now)
import matplotlib.pyplot as plt

from coopconc.measure import format_table, plot_costs, switch_cost

rows = switch_cost(quick=True)
print(format_table(rows))
plot_costs(rows)
plt.show()

# %% [markdown]
# What holds everywhere. Notice the fourth line: the source says that threads, sharing memory,
# switch *efficiently* compared with processes. In CPython the difference hardly shows: both
# hand-overs go through the kernel's scheduler (and a thread must also take the GIL), so they
# land in the same order of magnitude (which of the two wins depends on the machine and its
# load). What saves the cost is leaving the kernel out entirely.

# %%
# coopconc only: coopconc.measure
from coopconc.measure import switch_cost

cost = {r["kind"]: r["per_unit"] for r in switch_cost(quick=True)}


def claim(text, ok):
    print(f"{text}: {ok}")


claim("a greenlet switch is at least 5x cheaper than a multiprocessing round trip", cost["process"] >= 5 * cost["greenlet"])
claim("a greenlet switch is at least 3x cheaper than an os.pipe round trip", cost["fork"] >= 3 * cost["greenlet"])
claim("a greenlet switch is at least 3x cheaper than a round trip between threads", cost["thread"] >= 3 * cost["greenlet"])
claim("a thread round trip is 20x (or more) cheaper than an os.pipe round trip", 20 * cost["thread"] <= cost["fork"])
claim("generator.send is cheaper than greenlet.switch", cost["generator"] < cost["greenlet"])

# %% [markdown]
# ## §3 Memory per idle unit, and who shares what
#
# `memory_cost` starts a fresh Python interpreter for each kind, creates n idle units there
# (each blocked, waiting to be released) and reads how memory grew:
#
# - for threads, greenlets and generators: the growth of **VmRSS** (resident set: pages really
#   in RAM) from `/proc/self/status`;
# - for processes: the parent's growth plus each child's memory. Adding up each child's VmRSS
#   (`RSS added up` in the table) over-counts: right after `fork` a child shares almost all its
#   pages with the parent (copy-on-write), and RSS counts a shared page in full in every
#   process. **PSS** (proportional set size, `/proc/<pid>/smaps_rollup`) divides each shared
#   page among its sharers — it is what the family of processes really costs the machine.

# %%
# coopconc only: coopconc.measure
# NBVAL_IGNORE_OUTPUT
# (not compared: raw sizes: they depend on the Python build, the kernel and the libraries)
import matplotlib.pyplot as plt

from coopconc.measure import format_table, memory_cost, plot_costs

rows = memory_cost(quick=True)
print(format_table(rows))
plot_costs(rows)
plt.show()

# %% [markdown]
# A thread *reserves* a whole stack (8 MiB of address space by default, `vm_per_unit`) but
# only the pages it touches become resident. A greenlet keeps only the slice of C stack it was
# using, copied to the heap when another greenlet runs; a generator keeps one Python frame.

# %%
# coopconc only: coopconc.measure
from coopconc.measure import memory_cost

rows = {r["kind"]: r for r in memory_cost(["fork", "thread", "greenlet", "generator"], quick=True)}
size = {kind: r["per_unit"] for kind, r in rows.items()}


def claim(text, ok):
    print(f"{text}: {ok}")


claim("an idle process (PSS) costs at least 10x an idle thread", size["fork"] >= 10 * size["thread"])
claim("an idle thread costs at least 3x an idle greenlet", size["thread"] >= 3 * size["greenlet"])
claim("an idle greenlet costs at least 2x a suspended generator", size["greenlet"] >= 2 * size["generator"])
claim("summing children's RSS over-counts their PSS at least 3x", rows["fork"]["rss_per_unit"] >= 3 * size["fork"])
claim("a thread reserves at least 50x more address space than it uses", rows["thread"]["vm_per_unit"] >= 50 * size["thread"])

# %% [markdown]
# *进程不共享任何状态; 线程共享变量* — "processes share no state; threads share variables".
# A forked child changes **its copy** of a list; a thread changes **the** list.

# %%
import os
import threading

shared = []
pid = os.fork()
if pid == 0:  # the child process: append to its own copy, then leave at once
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
# - **pipe**: between two processes, each message written into the kernel and read out again;
# - **shared_memory**: a `multiprocessing.shared_memory` block both processes map; the producer
#   copies every message in, the consumer copies it out, with **one** notification for the
#   whole batch (real code needs its own locking or signalling, which is the hard part);
# - **queue.Queue**: between two threads (a lock and a condition variable per message);
# - **coopconc.Queue**: between two greenlets in one thread;
# - **generator**: `send` into a consumer generator.
#
# Inside one process only a *reference* moves; between processes the bytes are copied.

# %%
# coopconc only: coopconc.measure
# NBVAL_IGNORE_OUTPUT
# (not compared: raw timings: they depend on this machine and on its load right now)
import matplotlib.pyplot as plt

from coopconc.measure import format_table, message_cost, plot_costs

rows = message_cost(quick=True)
print(format_table(rows))
plot_costs(rows)
plt.show()

# %% [markdown]
# The source says communication through the kernel is slow and through shared memory "much
# faster". Measured, a pipe moves a small message in microseconds, and a `queue.Queue`
# between CPython threads (locks, a condition variable, the GIL) lands in the same league:
# which one wins changes with the machine and its load, so only that is compared below. The
# clear win is staying inside one thread: a coopconc queue or a generator.

# %%
# coopconc only: coopconc.measure
from coopconc.measure import message_cost

cost = {r["kind"]: r["per_unit"] for r in message_cost(quick=True)}


def claim(text, ok):
    print(f"{text}: {ok}")


ratio = cost["pipe"] / cost["queue.Queue"]
claim("a pipe and a queue.Queue are within 20x of each other (the same league)", 1 / 20 < ratio < 20)
claim("a coopconc Queue between greenlets is cheaper than a queue.Queue between threads", cost["coopconc.Queue"] < cost["queue.Queue"])
claim("generator.send is at least 3x cheaper than a pipe", cost["pipe"] >= 3 * cost["generator"])

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
# ## §6 The GIL: it serialises bytecode, not system calls
#
# > 因此Python的多线程其实是串行的,所以并不能利用多核的优势
#
# *"So Python's multithreading is really serial, and cannot use several cores."* Half right.
# The global interpreter lock lets only one thread **run Python bytecode** at a time. A thread
# that sleeps, waits for I/O or runs C code that releases the lock (`time.sleep`, `os.read`,
# `select`, socket calls, `hashlib` on big buffers, …) lets the others run meanwhile. So four
# threads that each sleep 0.2 s, or wait 0.2 s for I/O, finish together in about 0.2 s, not
# 0.8 s:

# %%
import os
import select
import threading
import time

threads = [threading.Thread(target=time.sleep, args=(0.2,)) for _ in range(4)]
t0 = time.perf_counter()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.perf_counter() - t0
print("4 threads each slept 0.2 s; together they took less than 0.5 s:", elapsed < 0.5)

# The same with I/O: each thread waits up to 0.2 s in select() for data on its own pipe.
pipes = [os.pipe() for _ in range(4)]
threads = [threading.Thread(target=select.select, args=([r], [], [], 0.2)) for r, _w in pipes]
t0 = time.perf_counter()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.perf_counter() - t0
for r, w in pipes:
    os.close(r)
    os.close(w)
print("4 threads each waited 0.2 s in select(); together they took less than 0.5 s:", elapsed < 0.5)

# %% [markdown]
# Pure-Python CPU work is different. `cpu_scaling` splits the same loop over 1, 2 and 4
# threads, then 1, 2 and 4 processes. *Speed-up* is the 1-worker time divided by the n-worker
# time; *cores* is CPU time divided by wall time. Threads stay at one core whatever you do;
# processes can use every free core of the machine (this one has the number printed under
# the table) — when the machine is busy with other work they get less, which is why the
# speed-up of processes is shown here but not compared below.

# %%
# coopconc only: coopconc.measure
# NBVAL_IGNORE_OUTPUT
# (not compared: speed-ups depend on how many cores are free at this moment)
import os

import matplotlib.pyplot as plt

from coopconc.measure import cpu_scaling, format_table, plot_speedup

rows = cpu_scaling(quick=True, repeat=1)
print(format_table(rows))
print(f"this machine has {os.cpu_count()} CPUs")
plot_speedup(rows)
plt.show()

# %% [markdown]
# What the GIL guarantees, whatever the load: threads running Python code never use more than
# one core between them.

# %%
# coopconc only: coopconc.measure
from coopconc.measure import cpu_scaling

rows = cpu_scaling(workers=(1, 2, 4), kinds=["thread"], work=1_000_000, repeat=1)
print("threads never use more than one core:", all(r["cores_used"] < 1.15 for r in rows))

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
# coopconc only: coopconc hub's own system-call count
import os

import coopconc
from coopconc.socket import wait_read


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
# ## Errata
#
# What the source got wrong or said loosely, and what this notebook measured instead:
#
# 1. **"Python的线程并不是标准线程,是系统级进程"** (Python threads are system-level processes) —
#    wrong. They are POSIX threads of one process (§5: one pid, distinct native ids, listed in
#    `/proc/self/task`).
# 2. **"Python的多线程其实是串行的……只能使用一个CPU"** (Python threads run serially, on one
#    CPU) — true of *bytecode* only. Sleeps, I/O and C code that releases the GIL run in
#    parallel (§6); pure-Python work does not speed up with threads, it does with processes.
# 3. **"线程……上下文切换变得高效"** (threads switch efficiently because they share memory) —
#    in CPython a thread round trip costs the same order as a pipe round trip between two
#    processes (§2): both go through the kernel's scheduler. Greenlets and generators are the
#    ones that switch orders of magnitude faster.
# 4. **"通讯都需要过内核,效率低" / "通过共享内存通信比通过内核要快很多"** (communication through the
#    kernel is slow; shared memory is much faster) — a pipe costs microseconds per message, the
#    same league as a `queue.Queue` between threads (§4). Shared memory saves copies through the
#    kernel but needs its own synchronisation, which is where the cost and the bugs go.
# 5. **"没有内核的开销"** (no kernel overhead for coroutines) — true of the switch, not of the
#    I/O the coroutine waits for (§7).
# 6. **"调度完全由用户控制"** (scheduling is fully controlled by the user) — with generators,
#    yes. With gevent or coopconc, the program decides *where* a greenlet may give way (every
#    blocking call), and the hub decides *who runs next*.
# 7. **"并发编程(不是并行)"** (concurrency, not parallelism) — processes, and threads in code
#    that releases the GIL, do run in parallel on several cores.

# %% [markdown]
# ## How coopconc does it: the measuring code
#
# Everything above comes from `coopconc/measure.py`. Here is how a greenlet round trip and a
# pipe round trip between processes are timed, read from the installed package:

# %%
# coopconc only: inspect.getsource of coopconc
import inspect

from coopconc import measure

print(inspect.getsource(measure._switch_greenlet))
print(inspect.getsource(measure._switch_fork))

# %% [markdown]
# And how memory is read for a unit kept alive in a child process:

# %%
# coopconc only: inspect.getsource of coopconc
import inspect

from coopconc import measure

print(inspect.getsource(measure._proc_pss))
print(inspect.getsource(measure._hold_in_thread))

# %% [markdown]
# Three things to notice:
#
# 1. The greenlet round trip is two calls to `switch` and nothing else: no lock, no system
#    call. The pipe round trip is two `write`s and two `read`s, and the kernel must wake the
#    other process each time — that is the whole difference in §2.
# 2. Every timing is the best of a few runs (`_best`): the least disturbed run is the closest
#    to the real cost; averages would mix in whatever else the machine was doing.
# 3. The child of `fork` leaves with `os._exit(0)`: it must not run the parent's clean-up code
#    (flush the parent's buffers, run `atexit` handlers) a second time.

# %% [markdown]
# ## Exercises
#
# **1. Native ids.** Write `native_ids(k)` that starts `k` threads, collects
# `threading.get_native_id()` from each while all of them are alive, joins them, and returns
# the list of ids.

# %%
# coopconc only: the exercise checker
import threading


def native_ids(k):
    raise NotImplementedError("write your answer here")


from coopconc.exercises import check

check("01.1", native_ids)

# %% [markdown]
# **2. Sleep in parallel.** Write `sleep_in_threads(k, seconds)` that makes `k` threads each
# call `time.sleep(seconds)` at the same time, waits for all of them, and returns the elapsed
# wall-clock seconds (use `time.perf_counter()`).

# %%
# coopconc only: the exercise checker
import threading
import time


def sleep_in_threads(k, seconds):
    raise NotImplementedError("write your answer here")


from coopconc.exercises import check

check("01.2", sleep_in_threads)

# %% [markdown]
# **3. Order of magnitude.** Write `bucket(seconds)` that names the order of magnitude of a
# duration, the way this notebook compares costs: `"ns"` below 1 µs, `"us"` below 1 ms,
# `"ms"` below 1 s, else `"s"`.

# %%
# coopconc only: the exercise checker
def bucket(seconds):
    raise NotImplementedError("write your answer here")


from coopconc.exercises import check

check("01.3", bucket)
