"""Tests for coopconc.monkey.

Whole programs that patch everything run in child processes (patching pytest's own process
would change the modules pytest uses); small, undoable patches run here and are undone by the
``undo`` fixture.
"""

import http.server
import json
import subprocess
import sys
import textwrap
import threading
import time
import types
import warnings

import pytest

import coopconc
import coopconc.lock
from coopconc import monkey


@pytest.fixture(autouse=True)
def undo():
    yield
    monkey.unpatch_all()


def run_child(code: str, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done


# -- bookkeeping ---------------------------------------------------------------------------------


def test_patch_time_and_bookkeeping():
    original = time.sleep
    assert not monkey.is_module_patched("time")
    monkey.patch_time()
    assert time.sleep is coopconc.sleep
    assert monkey.is_module_patched("time")
    assert monkey.is_object_patched("time", "sleep")
    assert not monkey.is_object_patched("time", "monotonic")
    assert monkey.get_original("time", "sleep") is original
    assert monkey.get_original("time", ["sleep", "monotonic"]) == [original, time.monotonic]
    assert monkey.get_original(("no_such_module_xyz", "time"), "sleep") is original
    monkey.patch_time()  # twice is harmless: the saved original stays the real one
    assert monkey.get_original("time", "sleep") is original
    hub_module = sys.modules["coopconc.hub.clocks"]
    assert hub_module.time is not time  # the hub's clock keeps a frozen copy with the real sleep
    assert hub_module.time.sleep is original
    monkey.unpatch_all()
    assert time.sleep is original
    assert hub_module.time is time
    assert not monkey.is_anything_patched()


def test_patched_time_sleep_is_cooperative_and_the_hub_still_sleeps():
    # the hub waits for timers in its poller, never in time.sleep: patching time.sleep
    # must not turn the hub's wait into a greenlet switch inside the hub
    monkey.patch_time()
    order = []

    def worker(name):
        for i in range(2):
            order.append(f"{name}{i}")
            time.sleep(0.01)

    coopconc.joinall([coopconc.spawn(worker, "a"), coopconc.spawn(worker, "b")])
    assert order == ["a0", "b0", "a1", "b1"]


def test_patched_context_manager_undoes_everything():
    original = time.sleep
    with monkey.patched(socket=False, select=False, thread=False, subprocess=False):
        assert time.sleep is coopconc.sleep
    assert time.sleep is original
    monkey.patch_time()
    with pytest.raises(RuntimeError, match="patched already"):
        with monkey.patched():
            pass


def test_late_import_warns_and_says_what_to_do():
    holder = types.ModuleType("early_importer")
    holder.__file__ = "early_importer.py"
    holder.sleep = time.sleep  # what `from time import sleep` leaves in a module
    sys.modules["early_importer"] = holder
    try:
        with pytest.warns(monkey.MonkeyPatchWarning, match="early_importer.sleep") as record:
            monkey.patch_time()
        assert "patch_all() first thing" in str(record[0].message)
        assert record[0].filename == __file__  # the warning points at the caller
    finally:
        del sys.modules["early_importer"]


def test_no_warning_when_nothing_kept_an_original():
    with warnings.catch_warnings():
        warnings.simplefilter("error", monkey.MonkeyPatchWarning)
        monkey.patch_time()


@pytest.mark.filterwarnings("ignore::coopconc.monkey.MonkeyPatchWarning")  # pytest's own imports
def test_patch_subprocess():
    import coopconc.subprocess

    monkey.patch_subprocess()
    assert subprocess.Popen is coopconc.subprocess.Popen
    assert subprocess.run(["echo", "hi"], capture_output=True).stdout == b"hi\n"
    monkey.unpatch_all()
    assert subprocess.Popen is monkey.get_original("subprocess", "Popen")
    assert subprocess.Popen.__module__ == "subprocess"


# -- the hybrid locks ------------------------------------------------------------------------------


def test_lock_between_greenlets_waits_in_the_hub():
    lock = monkey.Lock()
    order = []

    def worker(name):
        with lock:
            order.append(f"{name} in")
            coopconc.sleep(0.01)
            order.append(f"{name} out")

    def ticker():
        order.append("tick")

    coopconc.joinall([coopconc.spawn(worker, "a"), coopconc.spawn(worker, "b")])
    assert order == ["a in", "a out", "b in", "b out"]
    lock.acquire()
    g = coopconc.spawn(lock.acquire)
    coopconc.spawn(ticker).join()  # the blocked acquire did not freeze the thread
    assert order[-1] == "tick"
    lock.release()
    assert g.get() is True
    assert lock.locked()


def test_lock_released_by_another_thread_wakes_a_greenlet():
    lock = monkey.Lock()
    lock.acquire()
    threading.Timer(0.05, lock.release).start()
    ticks = []

    def ticker():
        while True:
            ticks.append(1)
            coopconc.sleep(0.005)

    g = coopconc.spawn(ticker)
    assert lock.acquire(timeout=10) is True
    g.kill()
    assert len(ticks) >= 2


def test_lock_timeout_and_nonblocking():
    lock = monkey.Lock()
    lock.acquire()
    assert lock.acquire(False) is False
    assert lock.acquire(timeout=0.01) is False
    with pytest.raises(ValueError):
        lock.acquire(False, 1)
    lock.release()
    with pytest.raises(RuntimeError):
        lock.release()


def test_rlock_is_reentrant_per_greenlet():
    rlock = monkey.RLock()
    order = []

    def worker(name):
        with rlock:
            with rlock:
                order.append(name)
                coopconc.sleep(0.01)
            order.append(name)

    coopconc.joinall([coopconc.spawn(worker, "a"), coopconc.spawn(worker, "b")])
    assert order == ["a", "a", "b", "b"]
    with pytest.raises(RuntimeError):
        rlock.release()


@pytest.mark.filterwarnings("ignore::coopconc.monkey.MonkeyPatchWarning")  # pytest's own imports
@pytest.mark.parametrize("rlock", [monkey.RLock, coopconc.lock.RLock])
def test_condition_on_an_rlock_held_twice_releases_it_fully_while_waiting(rlock):
    # threading.Condition takes an RLock's _is_owned/_release_save/_acquire_restore: waiting
    # must free the lock however deep it is held (or the notifier could never take it), and
    # give the waiter back every level afterwards. (patch_thread: the lock Condition.wait
    # parks on is a threading lock, which must wait in the hub.)
    monkey.patch_thread()
    cond = threading.Condition(rlock())
    items, free_for_others = [], []

    def probe():
        if cond.acquire(blocking=False):
            cond.release()
            return True
        return False

    def consumer():
        with cond, cond:  # held twice
            while not items:
                assert cond.wait(timeout=5), "never notified: the notifier could not get in"
            free_for_others.append(coopconc.spawn(probe).get())
            cond.release()
            free_for_others.append(coopconc.spawn(probe).get())  # still held once
            cond.acquire()
            return items.pop()

    def producer():
        with cond:  # free although the consumer "holds" it twice: it waits
            items.append("item")
            cond.notify()

    c = coopconc.spawn(consumer)
    coopconc.sleep(0)
    p = coopconc.spawn(producer)
    assert c.get(timeout=10) == "item" and p.get(timeout=10) is None
    assert free_for_others == [False, False]
    assert probe()  # nobody holds it any more


@pytest.mark.filterwarnings("ignore::coopconc.monkey.MonkeyPatchWarning")  # pytest's own imports
def test_patch_thread_keeps_real_threads_working():
    monkey.patch_thread()
    from coopconc.local import local

    assert threading.local is local
    assert isinstance(threading.Lock(), monkey.Lock)
    event = threading.Event()
    results = []

    def in_thread():
        results.append(threading.get_ident())
        event.set()

    t = threading.Thread(target=in_thread)
    t.start()  # Thread.start waits on an Event made of patched locks
    assert event.wait(10)
    t.join()
    assert results and results[0] != threading.get_ident()


@pytest.mark.filterwarnings("ignore::coopconc.monkey.MonkeyPatchWarning")  # pytest's own imports
def test_patch_thread_queue_between_greenlets():
    monkey.patch_thread()
    import queue

    q = queue.Queue()

    def consumer():
        return [q.get() for _ in range(3)]

    def producer():
        for i in range(3):
            q.put(i)
            coopconc.sleep(0.001)

    c = coopconc.spawn(consumer)
    coopconc.spawn(producer)
    assert c.get(timeout=5) == [0, 1, 2]


# -- whole programs, patched in a child process -------------------------------------------------


class _SlowHandler(http.server.BaseHTTPRequestHandler):
    """Each request takes 0.2 s; the server counts how many are in flight at once."""

    lock = threading.Lock()
    in_flight = 0
    most = 0

    def do_GET(self):
        cls = type(self)
        with cls.lock:
            cls.in_flight += 1
            cls.most = max(cls.most, cls.in_flight)
        time.sleep(0.2)
        with cls.lock:
            cls.in_flight -= 1
        body = self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_server():
    _SlowHandler.in_flight = _SlowHandler.most = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


CLIENT = """
    import sys
    if sys.argv[1] == "patch":
        from coopconc import monkey
        monkey.patch_all()
    import json
    import time
    import urllib.request
    import coopconc

    def fetch(i):
        with urllib.request.urlopen(f"{sys.argv[2]}/page{i}", timeout=30) as reply:
            return reply.read().decode()

    started = time.monotonic()
    pages = [g.get() for g in [coopconc.spawn(fetch, i) for i in range(5)]]
    print(json.dumps({"pages": pages, "seconds": time.monotonic() - started}))
"""


def test_patch_all_makes_urllib_cooperative(slow_server):
    done = run_child(CLIENT, "patch", slow_server)
    result = json.loads(done.stdout)
    assert result["pages"] == [f"/page{i}" for i in range(5)]
    # all five requests were on the server at the same time: they overlapped
    assert _SlowHandler.most == 5
    assert "MonkeyPatchWarning" not in done.stderr


def test_without_patching_urllib_blocks_everyone(slow_server):
    done = run_child(CLIENT, "no-patch", slow_server)
    assert json.loads(done.stdout)["pages"] == [f"/page{i}" for i in range(5)]
    assert _SlowHandler.most == 1  # one request at a time: each blocked the whole thread


def test_patch_all_reports_what_changed():
    done = run_child(
        """
        import selectors, socket, select, time, threading, subprocess
        before = (socket.socket, select.select, time.sleep, subprocess.Popen)
        poll_selector = (selectors.PollSelector._selector_cls, selectors.DefaultSelector)
        from coopconc import monkey
        print(monkey.report())
        print(monkey.patch_all())  # True, as gevent's
        print(monkey.patch_all())  # twice is harmless
        import coopconc, coopconc.socket, coopconc.select
        print(socket.socket is coopconc.socket.socket, socket.socket is not before[0])
        print(time.sleep is coopconc.sleep, subprocess.Popen is not before[3])
        print(monkey.get_original("socket", "socket") is before[0])
        print(monkey.is_module_patched("socket"), monkey.is_object_patched("socket", "socket"))
        print(type(threading.Lock()).__name__)
        print(selectors.PollSelector._selector_cls is coopconc.select.poll)
        print(monkey.report())
        monkey.unpatch_all()
        print(socket.socket is before[0], time.sleep is before[2], select.select is before[1])
        print(poll_selector == (selectors.PollSelector._selector_cls, selectors.DefaultSelector))
        print(hasattr(selectors, "EpollSelector"), monkey.report())
        """
    )
    lines = done.stdout.splitlines()
    assert lines[0] == "nothing is patched"
    assert lines[1:8] == ["True", "True", "True True", "True True", "True", "True True", "Lock"]
    assert lines[8] == "True"
    report = dict(line.split(": ", 1) for line in lines[9:-3])
    assert report["select"] == "replaced poll, select; removed epoll"  # (Linux has no kqueue)
    assert report["selectors"] == (
        "replaced DefaultSelector, PollSelector._selector_cls, SelectSelector._select; "
        "removed EpollSelector"
    )
    assert report["time"] == "replaced sleep"
    assert set(report) == {"_thread", "_threading_local", "select", "selectors", "socket"} | {
        "subprocess",
        "threading",
        "time",
    }
    assert lines[-3:] == ["True True True", "True", "True nothing is patched"]
    assert "MonkeyPatchWarning" not in done.stderr


def test_patch_all_warns_about_a_late_from_import():
    done = run_child(
        """
        from socket import socket as early_socket
        from coopconc import monkey
        monkey.patch_all(select=False)
        """
    )
    assert "MonkeyPatchWarning" in done.stderr
    assert "__main__.early_socket" in done.stderr
    assert "patch_all() first thing" in done.stderr


def test_patch_select():
    import select

    import coopconc.select

    original = select.select
    monkey.patch_select()
    assert select.select is coopconc.select.select
    assert not hasattr(select, "epoll")
    monkey.unpatch_all()
    assert select.select is original
    assert hasattr(select, "epoll")


# -- selectors: the stdlib's servers and multiprocessing wait in the hub -------------------------

HTTP_SERVER = """
    import faulthandler
    faulthandler.dump_traceback_later(20, exit=True)  # a frozen hub must end the child, not hang
    import http.client
    import http.server  # imported before patching: socketserver has taken selectors.PollSelector
    import json
    import time
    from coopconc import monkey
    monkey.patch_all()
    import coopconc

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(0.3)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(self.path.encode())  # (HTTP/1.0: the body ends at the close)

        def log_message(self, *args):
            pass

    ticks = []

    def ticker():
        while True:
            ticks.append(time.monotonic())
            coopconc.sleep(0.01)

    def fetch(port, i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", f"/page{i}")
        return conn.getresponse().read().decode()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    coopconc.spawn(ticker)
    serving = coopconc.spawn(server.serve_forever, 0.05)
    started = time.monotonic()
    clients = [coopconc.spawn(fetch, server.server_address[1], i) for i in range(4)]
    pages = [c.get(timeout=15) for c in clients]
    seconds = time.monotonic() - started
    server.shutdown()
    serving.join(timeout=5)
    server.server_close()
    ticked = sum(started <= t <= started + seconds for t in ticks)
    print(json.dumps({"pages": pages, "seconds": seconds, "ticks": ticked, "stopped": serving.dead}))
"""


def test_patch_all_lets_http_server_serve_while_other_greenlets_run():
    result = json.loads(run_child(HTTP_SERVER).stdout)
    assert result["pages"] == ["/page0", "/page1", "/page2", "/page3"]
    # The four 0.3 s requests overlapped (one after the other would take 1.2 s)...
    assert result["seconds"] < 1.0
    # ...and the ticker greenlet kept ticking (every 10 ms) while serve_forever waited.
    assert result["ticks"] >= 5  # (a blocked thread: none at all)
    assert result["stopped"]  # shutdown() from a greenlet ended serve_forever


MULTIPROCESSING_WAIT = """
    import json
    import time
    from multiprocessing import Pipe
    from multiprocessing.connection import wait  # imported before patching, too
    from coopconc import monkey
    monkey.patch_all()
    import coopconc

    reader, writer = Pipe(duplex=False)
    ticks = []

    def ticker():
        while True:
            ticks.append(1)
            coopconc.sleep(0.01)

    def send_later():
        coopconc.sleep(0.2)
        writer.send("hello")

    coopconc.spawn(ticker)
    coopconc.spawn(send_later)
    started = time.monotonic()
    ready = wait([reader], timeout=10)
    seconds = time.monotonic() - started
    print(json.dumps({"ready": ready == [reader], "got": reader.recv(), "seconds": seconds,
                      "ticks": len(ticks)}))
"""


def test_patch_all_makes_multiprocessing_connection_wait_cooperative():
    result = json.loads(run_child(MULTIPROCESSING_WAIT).stdout)
    # Woken by the greenlet that sent, after its 0.2 s (a blocked thread would wait 10 s for a
    # sender that never gets to run).
    assert result["ready"] and result["got"] == "hello"
    assert 0.15 < result["seconds"] < 5
    assert result["ticks"] >= 5  # (a blocked thread: none at all)
