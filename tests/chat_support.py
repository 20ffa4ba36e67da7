"""Helpers for the websocket and chat tests: a WSGI server in a thread, fds, free ports.

The server runs in its own OS thread with its own hub, so a test can drive it with ordinary
blocking clients (websocket-client, http.client, selenium) from the test's thread.
"""

from __future__ import annotations

import os
import threading


def open_fds() -> int:
    """How many file descriptors this process has open right now."""
    return len(os.listdir("/proc/self/fd"))


class ServedInThread:
    """``with ServedInThread(app) as served:`` -- ``served.port``; stopped on exit."""

    def __init__(self, app, on_stop=None, **server_options):
        self.app = app
        self.on_stop = on_stop  # called in the server's thread before it stops
        self.server_options = server_options
        self.ready = threading.Event()
        self.port = None
        self.error = None
        self.thread = threading.Thread(target=self._run, name="wsgi-server", daemon=True)

    def _run(self) -> None:
        import coopconc
        from coopconc.event import Event
        from coopconc.pywsgi import WSGIServer

        try:
            self.server = WSGIServer(("127.0.0.1", 0), self.app, log=None, **self.server_options)
            self.server.start()
            self.port = self.server.server_port
            self.hub = coopconc.get_hub()
            self.stopping = Event()
        except BaseException as exc:
            self.error = exc
            self.ready.set()
            raise
        self.ready.set()
        self.stopping.wait()
        if self.on_stop is not None:
            self.on_stop()
        self.server.stop(timeout=1)
        coopconc.sleep(0.05)  # let the killed greenlets finish: none is left blocked
        self.hub.destroy()

    def __enter__(self):
        self.thread.start()
        assert self.ready.wait(10), "the server thread did not start within 10 s"
        if self.error is not None:
            raise self.error
        return self

    def call(self, fn, *args) -> None:
        """Run ``fn(*args)`` in the server's hub (from the test's thread)."""
        self.hub.run_callback_threadsafe(fn, *args)

    def __exit__(self, *exc_info) -> None:
        self.call(self.stopping.set)
        self.thread.join(10)
        assert not self.thread.is_alive(), "the server thread did not stop within 10 s"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


class ChatProcess:
    """``with ChatProcess("--poll-timeout", "1") as chat:`` -- ``python -m coopconc.examples.chat``
    on a free port; ``chat.port``, ``chat.url``, ``chat.process``. On exit: SIGTERM, and it
    must exit with status 0 within 5 s (whatever clients are still connected)."""

    def __init__(self, *args: str):
        self.args = args

    def __enter__(self):
        import re
        import subprocess
        import sys

        self.process = subprocess.Popen(
            [sys.executable, "-m", "coopconc.examples.chat", "--port", "0", *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not found:
            self.process.kill()
            self.close_pipes()
            raise AssertionError(f"the chat printed {line!r} instead of its URL")
        self.url = found.group(0)
        self.port = int(found.group(1))
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        return self

    def stop(self, signum=None) -> int:
        """Send ``signum`` (SIGTERM) and return the exit status (within 10 s)."""
        import signal

        if self.process.poll() is None:
            self.process.send_signal(signum or signal.SIGTERM)
        return self.process.wait(timeout=10)

    def close_pipes(self) -> None:
        self.process.stdout.close()
        self.process.stderr.close()

    def __exit__(self, exc_type, *exc_info) -> None:
        import time

        start = time.monotonic()
        try:
            status = self.stop()
            took = time.monotonic() - start
        except BaseException:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            self.close_pipes()
        if exc_type is None:
            assert status == 0, f"the chat exited with status {status} on SIGTERM"
            assert took < 5, f"the chat took {took:.1f} s to exit on SIGTERM (at most 5 s)"
