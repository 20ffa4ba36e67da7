# %% [markdown]
# # 08 · Monkey patching — 猴子补丁 (Monkey patching)
#
# **Source:** part *Gevent → 核心部分*, the section **猴子补丁(Monkey patching)** with its
# line *gevent的死角* — "the dark corners of gevent", that is, monkey patching itself (the gevent
# tutorial the source translates opens the section "Monkeypatching: the dark corners of
# gevent"): Python lets a program change modules at run
# time; usually a bad idea ("implicit side effects"), but gevent uses it to turn the blocking
# calls of the standard library (`socket`, `ssl`, `threading`, `select`...) into cooperative
# ones, so that a library such as the Redis client works with greenlets "without writing a
# single line of code" — a *useful evil*. The listings were lost; the examples below re-create
# them.
#
# After this notebook you can:
# - say what `socket.socket`, `select.select`, `time.sleep` are before and after
#   `patch_all()`, and get an original back;
# - make an unmodified blocking library (here `urllib`) cooperative, show that it is, and
#   show where it is not (HTTPS, since coopconc does not patch `ssl`);
# - explain why `patch_all()` must come first in a program (the late-import pitfall and its
#   warning), and what patching can never fix (C code that blocks on its own).
#
# Patching the notebook's own kernel could break it (the kernel has threads and sockets of its
# own), so whole patched programs run here as **child processes**; the one in-kernel patch is
# coopconc's undoable `monkey.patched()`, undone at the end of its block.

# %% [markdown]
# ## Before and after: what the names are
#
# `patch_all()` does nothing magical: it assigns coopconc's functions and classes to the names
# in the standard modules (`socket.socket = coopconc.socket.socket`, ...). Code that looks the
# name up in the module — `socket.socket(...)`, `time.sleep(1)` — gets the cooperative one.
# Look at the module each name comes from, before, inside and after the block.
# (The kernel imported many libraries long before this cell, so `patched()` would warn that they
# keep the originals; that warning is the subject of a later section and is silenced here.)

# %%
# coopconc only: monkey.patched(), patching that can be undone
import select
import socket
import subprocess
import time
import warnings

from coopconc import monkey


def where(obj):
    return f"{obj.__module__}.{obj.__qualname__}"


def show(when):
    names = [socket.socket, select.select, time.sleep, subprocess.Popen]
    print(f"{when:>7}:", ", ".join(where(obj) for obj in names))


show("before")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", monkey.MonkeyPatchWarning)
    with monkey.patched(thread=False):  # coopconc's addition: patch, then undo (gevent has no undo)
        show("patched")
        print("is_object_patched('socket', 'socket'):", monkey.is_object_patched("socket", "socket"))
        print("the original is kept:", monkey.get_original("time", "sleep").__module__ + ".sleep")
show("after")
print("anything still patched:", monkey.is_anything_patched())

# %% [markdown]
# ## An unmodified blocking library made cooperative
#
# The source's example is the Redis client; we use one that ships with Python: `urllib`. A
# local HTTP server (in a real thread of this kernel, not patched) answers each request after
# 0.05 s and records when each request was in progress. A child process fetches five pages, each
# in its own greenlet — once as it is, once after `patch_all()`. `urllib` is not changed at
# all; only the names it finds in `socket` are.
#
# Look at how many requests the server had in progress *at the same time*.

# %%
import http.server
import subprocess
import sys
import threading
import time

import matplotlib.pyplot as plt

CLIENT = """
import sys
if sys.argv[1] == "patched":
    from coopconc import monkey
    monkey.patch_all()          # first thing, before the other imports
import urllib.request
import coopconc

def fetch(i):
    with urllib.request.urlopen(f"{sys.argv[2]}/page{i}", timeout=30) as reply:
        return reply.read().decode()

jobs = [coopconc.spawn(fetch, i) for i in range(5)]
print([job.get() for job in jobs])
"""


class Slow(http.server.BaseHTTPRequestHandler):
    spans = []  # (start, end) of every request, server-side

    def do_GET(self):  # noqa: N802 (http.server's name)
        start = time.monotonic()
        time.sleep(0.05)
        Slow.spans.append((start, time.monotonic()))
        body = self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def most_at_once(spans):
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    now = most = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_address[1]}"
runs = {}
for mode in ("as it is", "patched"):
    Slow.spans = []
    started = time.monotonic()
    child = [sys.executable, "-c", CLIENT, mode, url]  # the program as text: no file to clean up
    done = subprocess.run(child, capture_output=True, text=True, timeout=60)
    runs[mode] = (Slow.spans, started)
    print(f"{mode:>9}: {done.stdout.strip()}  requests in progress at once: {most_at_once(Slow.spans)}")
server.shutdown()
server.server_close()

fig, axes = plt.subplots(1, 2, figsize=(9, 2.6), sharex=True)
for ax, (mode, (spans, started)) in zip(axes, runs.items()):
    for row, (s, e) in enumerate(sorted(spans)):
        ax.barh(row, e - s, left=s - started, color="tab:blue", label="request being served" if row == 0 else None)
    ax.set_title(f"urllib {mode}: at most {most_at_once(spans)} at once")
    ax.set_xlabel("seconds since the child started")
    ax.set_ylabel("request (number)")
    ax.set_yticks(range(len(spans)))
    ax.legend(loc="lower right", fontsize=8)
plt.tight_layout()
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("08_urllib.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# Unpatched, the five requests queue up one after another (about 0.25 s): each blocking read
# froze the child's only thread, so no other greenlet could send its request. Patched, the five
# overlap and the whole batch takes about 0.05 s.

# %% [markdown]
# ### And over HTTPS?
#
# coopconc patches `socket` but **not `ssl`** (gevent patches both). What happens to `urllib`
# over HTTPS after `patch_all()`? The cell makes a self-signed certificate for 127.0.0.1 at run
# time (with the `openssl` command, in a temporary directory that is removed afterwards), serves
# the same slow pages over HTTPS, and fetches five of them in five greenlets from two patched
# children: one patched by coopconc, one by gevent.

# %%
# coopconc only: runs the same client patched by coopconc and by gevent, side by side
import http.server
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time

CLIENT = """
import ssl
import sys
if sys.argv[1] == "gevent":
    from gevent import monkey
else:
    from coopconc import monkey
monkey.patch_all()          # first thing, before the other imports
import urllib.request
if sys.argv[1] == "gevent":
    import gevent as library
else:
    import coopconc as library

trust = ssl.create_default_context(cafile=sys.argv[3])  # trust our self-signed certificate

def fetch(i):
    with urllib.request.urlopen(f"{sys.argv[2]}/page{i}", timeout=30, context=trust) as reply:
        return reply.read().decode()

jobs = [library.spawn(fetch, i) for i in range(5)]
print([job.get() for job in jobs])
"""


class Slow(http.server.BaseHTTPRequestHandler):
    spans = []  # (start, end) of every request, server-side

    def do_GET(self):  # noqa: N802 (http.server's name)
        start = time.monotonic()
        time.sleep(0.05)
        Slow.spans.append((start, time.monotonic()))
        body = self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def most_at_once(spans):
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    now = most = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


with tempfile.TemporaryDirectory() as tmp:
    key, cert = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30,
    )
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{server.server_address[1]}"
    for patcher in ("coopconc", "gevent"):
        Slow.spans = []
        done = subprocess.run([sys.executable, "-c", CLIENT, patcher, url, cert], capture_output=True, text=True, timeout=60)
        print(f"patched by {patcher:>8}: {done.stdout.strip() or done.stderr.strip()[-300:]}")
        print(f"{'':>20}  requests in progress at once: {most_at_once(Slow.spans)}")
    server.shutdown()
    server.server_close()

# %% [markdown]
# Both fetch every page: nothing breaks. But after coopconc's `patch_all()` the five HTTPS
# requests run **one at a time**, exactly like the unpatched HTTP run above, while gevent's run
# them together. The reason: `ssl.SSLSocket` is its own class, created by the `ssl` module
# from the (patched, cooperative) socket's file descriptor. It takes over the descriptor as a
# plain blocking socket, and every TLS read then blocks the whole thread. gevent's
# `patch_ssl` replaces `SSLSocket` with one that waits in the hub; coopconc has no such class
# yet, so with coopconc, HTTPS clients stay blocking — use the thread pool for them, or gevent.


# %% [markdown]
# ## Why patch early: the late-import pitfall
#
# Patching changes the name *in the module*. Code that copied the name into its own namespace
# earlier — `from time import sleep`, `from socket import socket` — still holds the blocking
# original, and no patch can reach that copy. coopconc looks for such copies after patching and
# warns (`MonkeyPatchWarning`), saying what to do.
#
# The child below imports `sleep` the wrong way *before* patching, then runs two greenlets that
# sleep 0.05 s each, first with the early copy, then with `time.sleep` looked up in the module.
# Look at the order of the lines, and at the warning.

# %%
# coopconc only: the text of coopconc's MonkeyPatchWarning
import subprocess
import sys

PROGRAM = """
from time import sleep          # too early: a copy of the blocking original
from coopconc import monkey
monkey.patch_all()
import time
import coopconc

def worker(name, nap):
    print(name, "starts"); nap(0.05); print(name, "ends")

for label, nap in [("early copy", sleep), ("time.sleep", time.sleep)]:
    print("--", label)
    coopconc.joinall([coopconc.spawn(worker, "a", nap), coopconc.spawn(worker, "b", nap)])
"""
done = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=60)
print(done.stdout)
warning = [line for line in done.stderr.splitlines() if "MonkeyPatchWarning" in line][0]
print(warning.split("MonkeyPatchWarning: ")[1].replace(". ", ".\n"))

# %% [markdown]
# With the early copy, `a` ends before `b` starts: the sleep blocked the thread. With
# `time.sleep` they overlap. The cure is the warning's advice: `patch_all()` as the first lines
# of the program's entry point, before anything else is imported.

# %% [markdown]
# ## What patching cannot fix: C code that blocks on its own
#
# Patching replaces Python names. A C function that blocks by itself — a C database driver,
# `os.system`, a long computation in a C library — never goes through those names, so it still
# freezes every greenlet. The way out is to run it in a real OS thread (`ThreadPool`) or, for a
# command, as a cooperative subprocess. In the patched child below, a ticker greenlet counts
# while three kinds of 0.1 s wait happen.

# %%
import subprocess
import sys

PROGRAM = """
from coopconc import monkey
monkey.patch_all()
import os
import time
import coopconc

def ticks_during(label, wait):
    ticks = []
    def ticker():
        while True:
            ticks.append(1); coopconc.sleep(0.01)
    g = coopconc.spawn(ticker)
    coopconc.sleep(0)           # let the ticker start
    before = len(ticks)
    wait()
    during = len(ticks) - before
    g.kill()
    print(f"{label:<32} ticker kept running: {during >= 3}")

ticks_during("os.system('sleep 0.1')", lambda: os.system("sleep 0.1"))
ticks_during("the same, in the thread pool", lambda: coopconc.get_hub().threadpool.apply(os.system, ("sleep 0.1",)))
ticks_during("subprocess.run (patched)", lambda: __import__("subprocess").run(["sleep", "0.1"]))
"""
done = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=60)
print(done.stdout.rstrip())
print(done.stderr, end="")  # empty unless the child failed

# %% [markdown]
# ## Errata and differences from gevent
#
# - The source says patching makes "most blocking system calls" cooperative. Only calls made
#   *through the patched Python names* become cooperative; C extensions that do their own I/O
#   (the section above) do not. The Redis example works because that client talks through
#   Python's `socket` module.
# - The source does not say *when* to patch; it matters (the late-import pitfall). gevent's own
#   documentation says: as early as possible, before other imports.
# - coopconc patches `socket`, `select`, `selectors`, `time`, `subprocess` and `threading` as
#   gevent does (`print(coopconc.monkey.report())` lists every name it replaced), but not `ssl`
#   (HTTPS clients keep working but block the thread, as shown above), and its `patch_thread`
#   keeps threads as real OS threads: `threading.local` becomes
#   greenlet-local and `threading.Lock`/`RLock` become locks a greenlet waits for in the hub,
#   while a plain thread still waits in the kernel. gevent instead turns new threads into
#   greenlets.
# - `unpatch_all()` and `patched()` are coopconc's additions. gevent has no public way to undo a
#   patch; what it does give back is every original: `gevent.monkey.get_original("time",
#   "sleep")` returns the blocking `time.sleep` even after `patch_all()`, and
#   `is_module_patched`/`is_object_patched` say what was replaced. coopconc has the same two.
# - "gevent的死角" is not a blind spot of gevent's: the phrase means "the dark corners of gevent",
#   and the dark corner is monkey patching itself — implicit, global, and order-dependent.

# %% [markdown]
# ## How coopconc does it
#
# A patch is an assignment with the original saved first — only the first time, so patching
# twice is harmless and `get_original` always finds the real thing:

# %%
# coopconc only: inspect.getsource of coopconc
import inspect

from coopconc import monkey

print(inspect.getsource(monkey._patch_item))
print(inspect.getsource(monkey.patch_socket))

# %% [markdown]
# And the late-import check: after patching, look through every imported module of user code
# for a name still bound to an original we just replaced.

# %%
# coopconc only: inspect.getsource of coopconc
import inspect

from coopconc import monkey

print(inspect.getsource(monkey._warn_late_imports))

# %% [markdown]
# Three things to notice:
#
# 1. `_patch_item` saves the original with "only if not saved yet": a second `patch_all()` can
#    never overwrite the real original with coopconc's own function.
# 2. `patch_socket` imports `coopconc.socket` *inside* the function: the monkey module loads
#    without the socket module, and nothing is imported before you ask for it.
# 3. The late-import check compares objects by identity (`value is originals[name]`): a module
#    that did `from socket import socket` has exactly the original class object under some name.

# %% [markdown]
# ## Exercises
#
# **1. Find the late copies.** Write `late_copies(modules, original)`: `modules` maps a module
# name to a module object; return the sorted list of `"module.attribute"` strings whose value is
# the very object `original`.

# %%
# coopconc only: the exercise checker
def late_copies(modules, original):
    raise NotImplementedError("write your answer here")


from coopconc.exercises import check

check("08.1", late_copies)

# %% [markdown]
# **2. Around the blind spot.** Write `cooperative_system(command)`: run the shell `command`
# like `os.system` and return its exit code, but without stopping other greenlets while it runs
# (no patching allowed).

# %%
# coopconc only: the exercise checker
import coopconc


def cooperative_system(command):
    raise NotImplementedError("write your answer here")


from coopconc.exercises import check

check("08.2", cooperative_system)
