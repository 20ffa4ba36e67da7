"""Subprocesses that greenlets can wait for without freezing each other.

What it is
    The standard library's ``subprocess`` blocks the whole OS thread in three places: waiting
    for the child to exit (``wait``), reading and writing its pipes, and ``communicate``, which
    does both. ``coopconc.subprocess`` has the same names (``Popen``, ``run``, ``call``,
    ``check_call``, ``check_output``, ``PIPE``, ``DEVNULL``, ``STDOUT``, ``TimeoutExpired``...)
    and the same behaviour, except that those three waits park only the calling greenlet.

How it is built on the hub
    * ``Popen`` *is* the standard ``subprocess.Popen`` (a subclass): starting the child, the
      arguments, ``poll``, ``kill``, ``returncode`` are all the stdlib's. Only the waiting is
      replaced.
    * Pipes: after the child starts, each pipe (``stdin``, ``stdout``, ``stderr``) is put in
      non-blocking mode and re-wrapped in a small raw file (``GreenPipeIO``) whose reads and
      writes, when the kernel says "would block", call ``wait_read``/``wait_write`` and try
      again. Buffering and text decoding are the ordinary ``io`` classes on top of it, so
      ``p.stdout.readline()`` works as always -- cooperatively.
    * Waiting for the exit: on Linux (5.3+), ``os.pidfd_open(pid)`` gives a file descriptor
      that becomes *readable* when the child exits. So waiting for a child is just
      ``hub.wait_fd(pidfd, READ)``: no signal handler, no polling, and a ``timeout`` is the
      ordinary timer of ``wait_fd``. Then ``waitpid`` reaps it at once. Where pidfds do not
      exist, coopconc polls ``waitpid(WNOHANG)`` with a short, growing sleep instead (gevent
      installs a SIGCHLD watcher; a pidfd is simpler and touches no process-wide state).
    * ``communicate`` spawns one greenlet per pipe (write the input then close; read to the
      end) and joins them, as gevent does; a ``timeout`` leaves them running, so calling
      ``communicate`` again picks up where it stopped.

    A killed child has a negative ``returncode`` (``-9`` for SIGKILL), as in the stdlib.
    Under ``virtual_clock()`` a ``timeout=`` is virtual time, which passes instantly while the
    real child runs: use the real clock around subprocesses that must finish in time.

Taught in notebook 14 (subprocesses and multiprocessing).
"""

from __future__ import annotations

import errno
import io
import os
import subprocess as _stdlib
from subprocess import (
    DEVNULL,
    PIPE,
    STDOUT,
    CalledProcessError,
    CompletedProcess,
    SubprocessError,
    TimeoutExpired,
    list2cmdline,
)

from coopconc.greenlet import joinall, killall, spawn
from coopconc.hub import READ, check_timeout, get_hub, sleep, wait_read, wait_write

__all__ = [
    "Popen",
    "call",
    "check_call",
    "check_output",
    "run",
    "getoutput",
    "getstatusoutput",
    "CompletedProcess",
    "PIPE",
    "DEVNULL",
    "STDOUT",
    "CalledProcessError",
    "TimeoutExpired",
    "SubprocessError",
    "list2cmdline",
    "GreenPipeIO",
]

#: The standard library's Popen, which ours extends (kept even if the stdlib gets patched).
_StdlibPopen = getattr(_stdlib.Popen, "_coopconc_original", _stdlib.Popen)

_HAVE_PIDFD = hasattr(os, "pidfd_open")


# ---------------------------------------------------------------------------------------------
# Cooperative pipes


class GreenPipeIO(io.RawIOBase):
    """A raw, non-blocking pipe end whose reads and writes wait in the hub, not in the kernel."""

    def __init__(self, fileio: io.FileIO):
        super().__init__()
        self._file = fileio
        self._fd = fileio.fileno()
        self.name = self._fd
        os.set_blocking(self._fd, False)

    def fileno(self) -> int:
        return self._fd

    def readable(self) -> bool:
        return self._file.readable()

    def writable(self) -> bool:
        return self._file.writable()

    def readinto(self, buffer) -> int:
        while True:
            n = self._file.readinto(buffer)  # None means "would block"
            if n is not None:
                return n
            wait_read(self._fd)

    def write(self, data) -> int:
        while True:
            n = self._file.write(data)  # None means "would block"
            if n is not None:
                return n
            wait_write(self._fd)

    def close(self) -> None:
        if not self.closed:
            get_hub().cancel_wait(
                self._fd, OSError(errno.EBADF, "the pipe was closed by another greenlet")
            )
            self._file.close()
        super().close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"fd={self._fd}"
        return f"<GreenPipeIO {state}>"


def _cooperative(stream, bufsize: int):
    """Rebuild a pipe file made by the stdlib Popen on top of a GreenPipeIO."""
    text = None
    if isinstance(stream, io.TextIOWrapper):
        text = dict(
            encoding=stream.encoding,
            errors=stream.errors,
            line_buffering=stream.line_buffering,
            write_through=stream.write_through,
        )
        stream = stream.detach()
    raw = stream.detach() if isinstance(stream, io.BufferedIOBase) else stream
    green = GreenPipeIO(raw)
    if bufsize == 0:
        result = green
    else:
        size = bufsize if bufsize > 1 else io.DEFAULT_BUFFER_SIZE
        buffered = io.BufferedWriter if green.writable() else io.BufferedReader
        result = buffered(green, size)
    if text is not None:
        result = io.TextIOWrapper(result, **text)
    return result


# ---------------------------------------------------------------------------------------------
# Popen


class Popen(_StdlibPopen):
    """``subprocess.Popen`` whose ``wait``, ``communicate`` and pipes are cooperative."""

    _coopconc_original = _StdlibPopen

    def __init__(self, args, bufsize: int = -1, *more, **kwargs):
        self._communicating = None
        super().__init__(args, bufsize, *more, **kwargs)
        for name in ("stdin", "stdout", "stderr"):
            stream = getattr(self, name)
            if stream is not None:
                setattr(self, name, _cooperative(stream, bufsize))

    def __repr__(self) -> str:
        code = self.returncode
        if code is None:
            state = "running"
        elif code < 0:
            state = f"killed by signal {-code}"
        else:
            state = f"exited {code}"
        return f"<Popen pid={self.pid} {state} args={self.args!r}>"

    # -- waiting for the exit -------------------------------------------------------------------

    def _wait(self, timeout):
        """Called by ``wait()``: wait in the hub until the child exits, then reap it."""
        timeout = check_timeout("Popen.wait", timeout)
        if self.returncode is not None:
            return self.returncode
        if _HAVE_PIDFD:
            self._wait_pidfd(timeout)
        else:
            self._wait_polling(timeout)
        return super()._wait(None)  # it has exited: waitpid returns at once

    def _wait_pidfd(self, timeout) -> None:
        try:
            pidfd = os.pidfd_open(self.pid)
        except ProcessLookupError:
            return  # already reaped (by poll() in another greenlet)
        try:
            get_hub().wait_fd(
                pidfd, READ, timeout, TimeoutExpired(self.args, timeout), reason="Popen.wait"
            )
        finally:
            os.close(pidfd)

    def _wait_polling(self, timeout) -> None:
        hub = get_hub()
        deadline = None if timeout is None else hub.now() + timeout
        delay = 0.0005
        while self.poll() is None:
            if deadline is not None:
                remaining = deadline - hub.now()
                if remaining <= 0:
                    raise TimeoutExpired(self.args, timeout)
                delay = min(delay, remaining)
            sleep(delay)
            delay = min(delay * 2, 0.05)

    # -- talking to it ----------------------------------------------------------------------

    def communicate(self, input=None, timeout=None):
        """Send ``input``, read stdout and stderr to the end, wait for the exit.

        Returns ``(stdout, stderr)``. After ``timeout`` seconds raise TimeoutExpired; the
        child and the reading go on, and a later ``communicate()`` collects the rest.
        """
        if self._communicating is None:
            self._communicating = _Communication(self, input)
        talk = self._communicating
        greenlets = talk.greenlets
        if not greenlets and timeout is not None:
            self.wait(timeout)
        done = joinall(greenlets, timeout=timeout)
        for g in done:
            g.get()  # re-raise a failure of the writer or a reader
        if len(done) != len(greenlets):
            raise TimeoutExpired(self.args, timeout)
        self.wait()
        return talk.result()

    def __exit__(self, *exc_info):
        talk = self._communicating
        if talk is not None:
            killall([g for g in talk.greenlets if not g.dead])
        return super().__exit__(*exc_info)


class _Communication:
    """The greenlets of one ``communicate``: a writer for stdin, a reader per output pipe."""

    def __init__(self, popen: Popen, data):
        self.stdin = self.stdout = self.stderr = None
        if popen.stdin is not None:
            self.stdin = spawn(_write_and_close, popen.stdin, data)
        if popen.stdout is not None:
            self.stdout = spawn(_read_and_close, popen.stdout)
        if popen.stderr is not None:
            self.stderr = spawn(_read_and_close, popen.stderr)
        self.greenlets = [g for g in (self.stdin, self.stdout, self.stderr) if g is not None]

    def result(self) -> tuple:
        return (
            None if self.stdout is None else self.stdout.value,
            None if self.stderr is None else self.stderr.value,
        )


def _write_and_close(stream, data) -> None:
    try:
        if data:
            stream.write(data)
            stream.flush()
    except (BrokenPipeError, OSError) as exc:
        # the child exited without reading everything: the stdlib ignores that too
        if not isinstance(exc, BrokenPipeError) and exc.errno != errno.EINVAL:
            raise
    finally:
        try:
            stream.close()
        except OSError:
            pass


def _read_and_close(stream):
    try:
        return stream.read()
    finally:
        stream.close()


# ---------------------------------------------------------------------------------------------
# The convenience functions (same signatures as the stdlib's)


def _command(popenargs, kwargs):
    return kwargs.get("args", popenargs[0] if popenargs else None)


def call(*popenargs, timeout=None, **kwargs) -> int:
    """Run the command, wait for it, return its exit code."""
    with Popen(*popenargs, **kwargs) as p:
        try:
            return p.wait(timeout=timeout)
        except BaseException:
            p.kill()
            raise


def check_call(*popenargs, **kwargs) -> int:
    """Like ``call``, but raise CalledProcessError if the exit code is not 0."""
    code = call(*popenargs, **kwargs)
    if code:
        raise CalledProcessError(code, _command(popenargs, kwargs))
    return 0


def check_output(*popenargs, timeout=None, **kwargs):
    """Run the command and return its standard output; CalledProcessError if it fails."""
    for name in ("stdout", "check"):
        if name in kwargs:
            raise ValueError(f"check_output({name}=...): not allowed, it sets {name} itself")
    if "input" in kwargs and kwargs["input"] is None:
        textual = any(kwargs.get(k) for k in ("text", "universal_newlines", "encoding", "errors"))
        kwargs["input"] = "" if textual else b""
    return run(*popenargs, stdout=PIPE, timeout=timeout, check=True, **kwargs).stdout


def run(
    *popenargs,
    input=None,
    capture_output=False,
    timeout=None,
    check=False,
    **kwargs,
) -> CompletedProcess:
    """Run the command, wait for it, return a CompletedProcess (the stdlib's ``run``)."""
    if input is not None:
        if kwargs.get("stdin") is not None:
            raise ValueError("run(): stdin and input arguments may not both be used")
        kwargs["stdin"] = PIPE
    if capture_output:
        if kwargs.get("stdout") is not None or kwargs.get("stderr") is not None:
            raise ValueError("run(): stdout and stderr may not be used with capture_output")
        kwargs["stdout"] = kwargs["stderr"] = PIPE
    with Popen(*popenargs, **kwargs) as process:
        try:
            stdout, stderr = process.communicate(input, timeout=timeout)
        except TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
            raise TimeoutExpired(process.args, timeout, output=stdout, stderr=stderr) from None
        except BaseException:
            process.kill()
            process.wait()
            raise
        code = process.poll()
        if check and code:
            raise CalledProcessError(code, process.args, output=stdout, stderr=stderr)
    return CompletedProcess(process.args, code, stdout, stderr)


def getstatusoutput(cmd, *, encoding=None, errors=None) -> tuple:
    """Run ``cmd`` in a shell; return ``(exit code, output)`` with the last newline cut."""
    try:
        data = check_output(
            cmd, shell=True, text=True, stderr=STDOUT, encoding=encoding, errors=errors
        )
        code = 0
    except CalledProcessError as ex:
        data, code = ex.output, ex.returncode
    if data[-1:] == "\n":
        data = data[:-1]
    return code, data


def getoutput(cmd, *, encoding=None, errors=None) -> str:
    """Run ``cmd`` in a shell; return its output (stdout and stderr) as text."""
    return getstatusoutput(cmd, encoding=encoding, errors=errors)[1]
