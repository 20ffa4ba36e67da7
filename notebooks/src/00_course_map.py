# %% [markdown]
# # 00 · Course map — 课程地图 (the map of the whole course)
#
# **Source:** the whole document — from 前述 (Foreword) and 进程 · 线程 · 协程 (processes, threads,
# coroutines) through Gevent (the gevent tutorial) to 缺陷 (Pitfalls).
#
# After this notebook you can:
# - find the notebook that teaches any section of the source, and the `coopconc` module behind it;
# - run the course (`make lab`) and check it (`make test`);
# - read a **timeline** picture: who ran when, and what each greenlet waited on.

# %% [markdown]
# ## The first picture: who ran when
#
# Here is a whole program. Two greenlets, `ping` and `pong`, take turns: each prints its name,
# then sleeps one second. `pong` starts half a second later, so they alternate. It runs under
# the **virtual clock** (`coopconc.virtual_clock()`): sleeping takes no real time, and the times
# printed are the same on every run. Look at the times: nobody ever runs at the same moment as
# somebody else — one greenlet runs at a time, and each one hands over when it sleeps.

# %%
import coopconc


def player(name, start, rounds=3):
    coopconc.sleep(start)
    for _ in range(rounds):
        print(f"t={coopconc.now():.1f}  {name}")
        coopconc.sleep(1)


with coopconc.virtual_clock():
    ping = coopconc.Greenlet(player, "ping", 0.0)
    pong = coopconc.Greenlet(player, "pong", 0.5)
    ping.name, pong.name = "ping", "pong"
    ping.start()
    pong.start()
    coopconc.joinall([ping, pong])
    print(f"finished at t={coopconc.now():.1f}, after 0 real seconds of sleeping")

# %% [markdown]
# The same program again, this time recorded by `coopconc.trace.Tracer`, which notes every
# switch between greenlets. First the record as text: each line says who stopped and why
# (the *reason* it gave the hub: `sleep`, `joinall/wait`, ...), then who ran next.

# %%
import coopconc
from coopconc.trace import Tracer


def player(name, start, rounds=3):
    coopconc.sleep(start)
    for _ in range(rounds):
        coopconc.sleep(1)


with coopconc.virtual_clock(), Tracer() as tracer:
    ping = coopconc.Greenlet(player, "ping", 0.0)
    pong = coopconc.Greenlet(player, "pong", 0.5)
    ping.name, pong.name = "ping", "pong"
    ping.start()
    pong.start()
    coopconc.joinall([ping, pong])

for line in tracer.log()[:8]:
    print(line)
print("...")
print(tracer.who())

# %% [markdown]
# And as a picture: one row per greenlet; a dark bar where it ran, a pale bar where it waited,
# labelled with what it waited on. The dark bars are thin — under the virtual clock, running
# takes no time at all; all the time in this program is waiting. Notice also that `main`
# waits (in `joinall`) the whole time: it is a greenlet like the others.

# %%
import matplotlib.pyplot as plt

import coopconc
from coopconc.trace import Tracer


def player(name, start, rounds=3):
    coopconc.sleep(start)
    for _ in range(rounds):
        coopconc.sleep(1)


with coopconc.virtual_clock(), Tracer() as tracer:
    ping = coopconc.Greenlet(player, "ping", 0.0)
    pong = coopconc.Greenlet(player, "pong", 0.5)
    ping.name, pong.name = "ping", "pong"
    ping.start()
    pong.start()
    coopconc.joinall([ping, pong])

fig = tracer.timeline(title="ping and pong under the virtual clock").figure
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("00_ping_pong.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## The map: one notebook per section of the source
#
# | # | notebook | source section (中文 · English) | what it teaches |
# |---|---|---|---|
# | 00 | [00_course_map](00_course_map.ipynb) | 全文 · the whole document | this map, how to run the course, how to read a timeline |
# | 01 | [01_processes_threads_coroutines](01_processes_threads_coroutines.ipynb) | 前述, 进程, 线程, 协程, 总结 · foreword, processes, threads, coroutines, summary (and the GIL) | the claims of the comparison measured on this machine: creation, switch, memory and communication costs; threads vs processes on CPU work |
# | 02 | [02_yield_producer_consumer](02_yield_producer_consumer.ipynb) | 聊聊协程 · about coroutines (`yield`) | the Python 2 generator producer/consumer ported and its bugs fixed; the same with threads and a queue; how a lock-based version deadlocks |
# | 03 | [03_event_loops](03_event_loops.ipynb) | 异步: select, poll, epoll · asynchronous I/O | an event loop built from `select` step by step, then coopconc's hub; the cost of `select` vs `epoll` as descriptors grow |
# | 04 | [04_greenlets](04_greenlets.ipynb) | Greenlets, 同步和异步执行 · synchronous and asynchronous execution | `spawn`, `sleep`, `joinall`; explicit and implicit switches; a timeline of who ran when |
# | 05 | [05_determinism](05_determinism.ipynb) | 确定性 · determinism | greenlets run in the same order every time, processes do not; a race condition with and without a yield point |
# | 06 | [06_spawning_and_state](06_spawning_and_state.ipynb) | 创建Greenlets, Greenlet状态, 程序停止 · spawning, state, shutdown | subclassing `Greenlet`; `ready`, `successful`, `value`, `exception`; clean shutdown on a signal |
# | 07 | [07_timeouts](07_timeouts.ipynb) | 超时 · timeouts | `Timeout` by hand, as a context manager, silent; `timeout=` arguments |
# | 08 | [08_monkey_patching](08_monkey_patching.ipynb) | 猴子补丁 · monkey patching | the standard library before and after patching; a blocking library made cooperative |
# | 09 | [09_events](09_events.ipynb) | 事件 · events and AsyncResult | one setter waking many waiters; values and exceptions handed over |
# | 10 | [10_queues](10_queues.ipynb) | 队列 · queues | boss and workers; bounded queues; blocking vs `*_nowait` |
# | 11 | [11_groups_and_pools](11_groups_and_pools.ipynb) | 组和池 · groups and pools | `Group`, `Pool`, ordered and unordered maps; limiting concurrency |
# | 12 | [12_locks_and_semaphores](12_locks_and_semaphores.ipynb) | 锁和信号量 · locks and semaphores | bounded semaphores, a lock as a semaphore of one |
# | 13 | [13_greenlet_locals](13_greenlet_locals.ipynb) | 线程局部变量 · thread (greenlet) locals | data local to each greenlet; a request-object proxy |
# | 14 | [14_subprocess_and_multiprocessing](14_subprocess_and_multiprocessing.ipynb) | 子进程 · subprocesses, gipc, multiprocessing | a subprocess waited on cooperatively; pipes to a child; the fork pitfalls |
# | 15 | [15_actors](15_actors.ipynb) | Actors · actors | a greenlet with an inbox; ping/pong; a supervisor |
# | 16 | [16_servers](16_servers.ipynb) | 实际应用: 简单server, WSGI Servers, 流式server · simple, WSGI and streaming servers | a TCP server with many clients; a WSGI app; chunked streaming; throughput vs threads |
# | 17 | [17_long_polling_websockets_chat](17_long_polling_websockets_chat.ipynb) | Long Polling, Websockets · long polling, websockets, the chat room | long polling and a websocket feed; the chat room's server side |
# | 18 | [18_zeromq](18_zeromq.ipynb) | Gevent ZeroMQ · ZeroMQ | REQ/REP between two greenlets with implicit switches |
# | 19 | [19_pitfalls](19_pitfalls.ipynb) | 缺陷 · pitfalls | a real blocking call, a CPU hog (caught by the blocking monitor), a deadlock (named by the deadlock report) |
#
# Each notebook has the same shape: the source's idea in our words and its examples re-created
# in Python 3; **Errata** where the source was wrong; a picture drawn from what the notebook
# just ran; **How coopconc does it**, the lines of the library behind the idea; **Exercises**
# with check cells.

# %% [markdown]
# ## How to run the course
#
# From the top of the repository:
#
# | command | what it does |
# |---|---|
# | `make lab` | creates `.venv` if needed and opens JupyterLab on `notebooks/` |
# | `make test` | the unit tests (`tests/`), then every notebook re-run by nbval and compared with its stored output |
# | `make notebooks NB="04 07"` | rebuilds notebooks 04 and 07 from their sources in `notebooks/src/` and runs them |
# | `make html` | the executed course as a static web site in `build/html/` |
# | `make bench` | coopconc against gevent on the same programs |
#
# One notebook can be checked alone, like CI does:
#
# ```
# .venv/bin/python -m pytest --nbval --nbval-current-env \
#     --nbval-sanitize-with notebooks/sanitize.cfg notebooks/04_greenlets.ipynb
# ```
#
# Every code cell works when pasted alone into a fresh Python file: it imports what it uses,
# and it does not rely on an earlier cell. Try it with any cell of this notebook.

# %% [markdown]
# ## How the pieces fit
#
# coopconc is built in layers; each one uses only the layers under it (and modules of its own
# layer):
#
# ```
#  tools        trace, monitor, measure, bench, exercises            (00, 01, 19)
#     |         (they watch or measure everything below)
#  servers      StreamServer, WSGIServer, the chat room              (16, 17)
#     |
#  I/O          socket, select, subprocess, threadpool, monkey, zmq  (08, 14, 18)
#     |
#  primitives   Event, AsyncResult, Queue, Semaphore, Lock, Pool,    (09-13, 15)
#     |         local, Actor
#  Greenlet     spawn, join, kill, Timeout, signal                   (04-07)
#     |
#  hub          the loop, the one waiting path (Waiter), timers,     (03)
#               the virtual clock; exceptions
# ```
#
# The important line is the bottom one. Everything that waits — `sleep`, `join`, `Event.wait`,
# `Queue.get`, a socket read — parks its greenlet through the same few lines of the hub
# (`Waiter.get(reason)`) and is woken by the same few lines. That single path is what lets the
# tracer above name the reason of every wait, and what lets the deadlock report of notebook 19
# name every blocked greenlet.
#
# The picture below checks the claim against the package as it is installed: every module (or
# subpackage) of `coopconc`, placed in its layer, with an arrow for every `import` of one by
# another — grey when it goes down or sideways, red if one ever went up a layer. The cell also
# prints the upward imports it found, and any module it could not place.

# %%
# coopconc only: reads coopconc's own source files
import ast
import pathlib

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

import coopconc

LAYERS = {
    "hub": ["hub", "exceptions"],
    "Greenlet": ["greenlet", "timeout", "signal"],
    "primitives": ["event", "queue", "lock", "pool", "local", "actor"],
    "I/O": ["socket", "select", "subprocess", "threadpool", "monkey", "zmq"],
    "servers": ["baseserver", "server", "pywsgi"],
    "tools": ["trace", "monitor", "measure", "bench", "exercises"],
}
layer_of = {name: row for row, names in enumerate(LAYERS.values()) for name in names}

package = pathlib.Path(coopconc.__file__).parent
sources = {}  # module or subpackage name -> its .py files
for path in sorted(package.iterdir()):
    if path.name.startswith("_"):
        continue
    if path.suffix == ".py":
        sources[path.stem] = [path]
    elif (path / "__init__.py").exists():
        sources[path.name] = sorted(path.rglob("*.py"))

imports = {}
for name, files in sources.items():
    found = set()
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("coopconc."):
                found.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("coopconc."))
    imports[name] = found & set(sources) - {name}

position = {}
for row, names in enumerate(LAYERS.values()):
    present = [n for n in names if n in sources]
    for col, n in enumerate(present):
        position[n] = (col * 1.6, row)

upward = sorted((a, b) for a, targets in imports.items() for b in targets if a in layer_of and b in layer_of and layer_of[b] > layer_of[a])
print("imports that go up a layer:", upward or "none")
print("modules in no layer:", sorted(set(sources) - set(layer_of)) or "none")

fig, ax = plt.subplots(figsize=(10, 5))
boxes = {}
for name, (x, y) in position.items():
    boxes[name] = ax.text(
        x, y, name, ha="center", va="center", zorder=3,
        bbox={"boxstyle": "round", "facecolor": "#dbe8f5", "edgecolor": "#1f4e79"},
    )
for name, targets in sorted(imports.items()):
    for target in sorted(targets):
        if name in boxes and target in boxes:
            colour = "tab:red" if (name, target) in upward else "#888888"
            ax.annotate(
                "", xy=position[target], xytext=position[name], zorder=2,
                arrowprops={
                    "arrowstyle": "-|>", "color": colour, "lw": 0.8,
                    "patchA": boxes[name].get_bbox_patch(),
                    "patchB": boxes[target].get_bbox_patch(),
                    "connectionstyle": "arc3,rad=0.15",
                },
            )
ax.set_yticks(range(len(LAYERS)), list(LAYERS))
ax.set_xlim(-0.8, 6 * 1.6)
ax.set_ylim(-0.6, len(LAYERS) - 0.4)
ax.set_xticks([])
ax.set_ylabel("layer (each uses only the ones below)")
ax.set_title("coopconc's modules by layer; an arrow A -> B means 'A imports B'")
ax.legend(
    handles=[
        Line2D([], [], color="#888888", marker=">", label="import down or sideways"),
        Line2D([], [], color="tab:red", marker=">", label="import up a layer (breaks the layering)"),
    ],
    loc="lower right", fontsize=8,
)
fig.tight_layout()
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("00_layers.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## How coopconc does it
#
# The tracer that drew the first picture is a few lines on top of greenlet's own hook,
# `greenlet.settrace`: greenlet calls it on every switch with the greenlet that stops and the
# one that starts. Here is the hook, from the installed package:

# %%
import inspect

from coopconc.trace import Tracer

print(inspect.getsource(Tracer._on_switch))

# %% [markdown]
# Three things to notice:
#
# 1. **The reason comes for free.** The tracer does not ask `sleep` or `joinall` why they
#    stopped: every wait in coopconc goes through `Waiter.get(reason)`, which leaves the waiter
#    on the greenlet as `_cc_waiter`. The tracer just reads it.
# 2. **Time is the hub's clock** (`hub.clock.now()`), so under `virtual_clock()` the record is in
#    virtual seconds and is the same on every run.
# 3. **Hooks are chained**: the previous hook (`self._previous`) is called too, so the tracer and
#    the blocking monitor of notebook 19 can watch the same program at once.

# %% [markdown]
# ## Exercises
#
# **1. Three players.** Write `rounds(names, gap)` that starts one greenlet per name, the
# `i`-th one starting `i * gap` seconds late; each player sleeps one second three times, and
# the function returns the list of `(time, name)` pairs, one per moment a player wakes from a
# one-second sleep, in the order they happened. Run it under the virtual clock (inside the
# function), so the times are exact.

# %%
import coopconc


def rounds(names, gap):
    """Your answer: return [(time, name), ...] in the order the wake-ups happened."""
    events = []
    # ... start one greenlet per name, collect (coopconc.now(), name) after each sleep(1)
    return events


# %% [markdown]
# Run this cell to check your answer.

# %%
rounds = globals().get("rounds")
if rounds is None:
    print("define rounds(names, gap) in the cell above first")
else:
    cases = [
        (["ping", "pong"], 0.5,
         [(1.0, "ping"), (1.5, "pong"), (2.0, "ping"), (2.5, "pong"), (3.0, "ping"), (3.5, "pong")]),
        (["a", "b", "c"], 0.25,
         [(1.0, "a"), (1.25, "b"), (1.5, "c"), (2.0, "a"), (2.25, "b"), (2.5, "c"),
          (3.0, "a"), (3.25, "b"), (3.5, "c")]),
    ]
    for names, gap, expected in cases:
        got = rounds(names, gap)
        verdict = "ok" if got == expected else f"not yet (got {got!r})"
        print(f"rounds({names}, {gap}): {verdict}")
