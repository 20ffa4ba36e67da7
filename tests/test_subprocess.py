"""Tests for coopconc.subprocess: real child processes, waited for cooperatively."""

import multiprocessing
import signal
import subprocess as stdlib_subprocess
import sys

import pytest

import coopconc
import coopconc.subprocess as csub
from coopconc.hub import wait_read, wait_write
from coopconc.subprocess import (
    PIPE,
    STDOUT,
    CalledProcessError,
    Popen,
    TimeoutExpired,
    call,
    check_call,
    check_output,
    run,
)

PY = sys.executable


def ticking():
    """A greenlet that counts ticks every 10 ms, and its list of ticks."""
    ticks = []

    def tick():
        while True:
            ticks.append(coopconc.now())
            coopconc.sleep(0.01)

    return coopconc.spawn(tick), ticks


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "polling"])
def test_wait_is_cooperative(monkeypatch, pidfd):
    if pidfd and not csub._HAVE_PIDFD:
        pytest.skip("no os.pidfd_open on this system")
    monkeypatch.setattr(csub, "_HAVE_PIDFD", pidfd)
    g, ticks = ticking()
    p = Popen(["sleep", "0.3"])
    assert p.wait() == 0
    g.kill()
    assert len(ticks) >= 5  # a blocking wait would have allowed one tick
    assert p.returncode == 0


def test_source_example_communicate_while_cron_ticks():
    crons = []

    def cron():
        while True:
            crons.append("cron")
            coopconc.sleep(0.05)

    g = coopconc.spawn(cron)
    sub = Popen(["sleep 0.3; echo done"], stdout=PIPE, shell=True)
    out, err = sub.communicate()
    g.kill()
    assert out.rstrip() == b"done" and err is None
    assert len(crons) >= 3


def test_killed_child_has_negative_returncode():
    p = Popen(["sleep", "30"])
    p.kill()
    assert p.wait() == -signal.SIGKILL
    assert "killed by signal 9" in repr(p)
    p = Popen(["sleep", "30"])
    p.terminate()
    assert p.wait() == -signal.SIGTERM


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "polling"])
def test_wait_timeout(monkeypatch, pidfd):
    if pidfd and not csub._HAVE_PIDFD:
        pytest.skip("no os.pidfd_open on this system")
    monkeypatch.setattr(csub, "_HAVE_PIDFD", pidfd)
    p = Popen(["sleep", "30"])
    with pytest.raises(TimeoutExpired) as info:
        p.wait(timeout=0.05)
    assert info.value.timeout == 0.05
    assert p.returncode is None
    p.kill()
    assert p.wait() == -signal.SIGKILL


def test_communicate_timeout_then_resume():
    p = Popen(
        [PY, "-c", "import sys,time; print('early', flush=True); time.sleep(0.3); print('late')"],
        stdout=PIPE,
        text=True,
    )
    with pytest.raises(TimeoutExpired):
        p.communicate(timeout=0.05)
    out, err = p.communicate()  # the readers went on: nothing is lost
    assert out == "early\nlate\n"
    assert p.returncode == 0


def test_run_timeout_kills_the_child():
    with pytest.raises(TimeoutExpired) as info:
        run(["sh", "-c", "echo partial; exec sleep 30"], stdout=PIPE, timeout=0.2)
    assert info.value.output == b"partial\n"


def test_called_process_error():
    with pytest.raises(CalledProcessError) as info:
        check_call(["sh", "-c", "exit 3"])
    assert info.value.returncode == 3
    with pytest.raises(CalledProcessError) as info:
        check_output(["sh", "-c", "echo oops; exit 2"])
    assert info.value.output == b"oops\n"
    with pytest.raises(CalledProcessError):
        run(["false"], check=True)
    assert call(["sh", "-c", "exit 5"]) == 5


def test_run_with_input_and_text():
    done = run(["cat"], input="hello\nworld\n", capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout == "hello\nworld\n" and done.stderr == ""
    merged = check_output("echo out; echo err >&2", shell=True, stderr=STDOUT)
    assert sorted(merged.split()) == [b"err", b"out"]
    assert csub.getstatusoutput("echo hi; exit 4") == (4, "hi")
    assert csub.getoutput("echo hello") == "hello"


def test_large_input_and_output_do_not_deadlock():
    data = bytes(range(256)) * 8192  # 2 MiB, far more than a pipe buffer holds
    assert run(["cat"], input=data, stdout=PIPE).stdout == data


def test_two_children_stream_lines_concurrently():
    script = (
        "import time\nfor i in range(3):\n    print('{0}', i, flush=True)\n    time.sleep(0.05)"
    )
    seen = []

    def read(name):
        p = Popen([PY, "-c", script.format(name)], stdout=PIPE, text=True)
        for line in p.stdout:
            seen.append(line.split()[0])
        p.wait()

    coopconc.joinall([coopconc.spawn(read, "a"), coopconc.spawn(read, "b")])
    assert sorted(seen) == ["a"] * 3 + ["b"] * 3
    # the reads interleave: neither child's output came all in one block
    assert seen != ["a"] * 3 + ["b"] * 3 and seen != ["b"] * 3 + ["a"] * 3


def test_popen_is_a_stdlib_popen_and_a_context_manager():
    with Popen(["echo", "hi"], stdout=PIPE) as p:
        assert isinstance(p, stdlib_subprocess.Popen)
        assert p.stdout.read() == b"hi\n"
    assert p.returncode == 0
    assert p.stdout.closed


def _relay(inbox, outbox):
    for i in range(10):
        msg = inbox.recv()
        outbox.send(f"{msg} in {i}")


def test_multiprocessing_child_through_pipes():
    # the source's example: put_msg/get_msg talk to a multiprocessing child, waiting on the
    # pipes' file descriptors in the hub, so both greenlets make progress
    ctx = multiprocessing.get_context("fork")
    to_child_a, to_child_b = ctx.Pipe()
    from_child_c, from_child_d = ctx.Pipe()
    proc = ctx.Process(target=_relay, args=(to_child_b, from_child_c))
    proc.start()
    got = []

    def put_msg():
        for _ in range(10):
            wait_write(to_child_a.fileno())
            to_child_a.send("hi")

    def get_msg():
        for _ in range(10):
            wait_read(from_child_d.fileno())
            got.append(from_child_d.recv())

    g1, g2 = coopconc.spawn(get_msg), coopconc.spawn(put_msg)
    coopconc.joinall([g1, g2], timeout=10)
    proc.join(5)
    assert got == [f"hi in {i}" for i in range(10)]
    assert proc.exitcode == 0
