"""The blocking monitor reports a greenlet that keeps the thread to itself, once per stall.

Thresholds and durations are generous (the machine is shared and loaded): a stall of ~0.6 s
against a threshold of 0.1 s, and "no report" checked with a threshold of 0.5 s.
"""

import io
import sys
import time

import greenlet
import pytest

import coopconc
from coopconc.monitor import BlockingMonitor, BlockingReport, start_monitor
from coopconc.trace import Tracer


def spin_cpu(seconds):
    """Burn CPU without ever giving the hub a turn."""
    end = time.perf_counter() + seconds
    total = 0
    while time.perf_counter() < end:
        total += 1
    return total


def polite_cpu(seconds):
    """The same work, with a sleep(0) every 100 iterations."""
    end = time.perf_counter() + seconds
    total = 0
    while time.perf_counter() < end:
        total += 1
        if total % 100 == 0:
            coopconc.sleep(0)
    return total


def wait_until(condition, seconds=10.0):
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.01)
    return True


def ticker(counts):
    for _ in range(3):
        counts.append(1)
        coopconc.sleep(0.01)


def test_a_spinning_greenlet_is_reported_once_with_its_name_and_function():
    out = io.StringIO()
    with BlockingMonitor(threshold=0.1, stream=out) as m:
        g = coopconc.Greenlet(spin_cpu, 0.6)
        g.name = "spinner"
        g.start()
        t = coopconc.spawn(ticker, [])
        coopconc.joinall([g, t])
    assert len(m.reports) == 1, m.reports
    report = m.reports[0]
    assert isinstance(report, BlockingReport)
    assert report.greenlet == 'greenlet "spinner"'
    assert report.function == "spin_cpu"
    assert report.filename == __file__
    assert report.ended
    assert 0.1 <= report.duration <= 5.0
    text = out.getvalue()
    assert text.count("coopconc.monitor:") == 1
    assert 'greenlet "spinner" has run for' in text
    assert "in spin_cpu" in text


def test_a_blocking_call_in_the_main_greenlet_is_reported():
    real_sleep = time.sleep
    with BlockingMonitor(threshold=0.1, stream=io.StringIO()) as m:
        real_sleep(0.5)
    assert [(r.greenlet, r.function) for r in m.reports] == [
        ("the main greenlet", "test_a_blocking_call_in_the_main_greenlet_is_reported")
    ]
    assert not m.reports[0].ended  # still "blocked" when the monitor stopped


def test_two_stalls_give_two_reports():
    with BlockingMonitor(threshold=0.1, stream=io.StringIO()) as m:
        a = coopconc.Greenlet(spin_cpu, 0.5)
        b = coopconc.Greenlet(spin_cpu, 0.5)
        a.name, b.name = "a", "b"
        a.start()
        b.start()
        coopconc.joinall([a, b])
    assert [r.greenlet for r in m.reports] == ['greenlet "a"', 'greenlet "b"']


def test_a_well_behaved_program_is_not_reported():
    counts = []
    with BlockingMonitor(threshold=0.5, stream=io.StringIO()) as m:
        g = coopconc.spawn(polite_cpu, 0.6)
        t = coopconc.spawn(ticker, counts)
        coopconc.joinall([g, t])
    assert m.reports == []
    assert len(counts) == 3


def test_the_hub_waiting_for_a_timer_is_idle_not_blocked():
    with BlockingMonitor(threshold=0.05, stream=io.StringIO()) as m:
        coopconc.sleep(0.4)  # the hub sits in _poll for 0.4 s: nothing is blocked
    assert m.reports == []


def test_stop_restores_the_previous_hook_and_ends_the_thread():
    def previous(event, args):
        pass

    old = greenlet.settrace(previous)
    try:
        m = start_monitor(0.1, stream=io.StringIO())
        assert greenlet.gettrace() == m._on_switch
        ident = m.watchdog_ident
        assert wait_until(lambda: ident in sys._current_frames())
        m.stop()
        assert greenlet.gettrace() is previous
        # stop() returns once the watchdog has left its loop; the OS thread ends right after
        assert wait_until(lambda: ident not in sys._current_frames())
        assert m.watchdog_ident is None
        m.stop()  # twice is harmless
    finally:
        greenlet.settrace(old)
    assert "stopped" in repr(m)


def test_the_previous_hook_still_sees_every_switch():
    with Tracer() as t, BlockingMonitor(threshold=1.0, stream=io.StringIO()):
        with coopconc.virtual_clock():
            g = coopconc.spawn(coopconc.sleep, 1)
            g.name = "sleeper"
            g.join()
    assert "sleeper" in t.who()


def test_a_bad_threshold_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="threshold must be a positive"):
        BlockingMonitor(threshold=0)


def test_report_text_names_greenlet_place_and_remedy():
    r = BlockingReport('greenlet "x"', 0.25, "/a/b.py", 12, "work", ["/a/b.py:12 in work"])
    text = str(r)
    assert 'greenlet "x" has run for 0.25s' in text
    assert "at /a/b.py:12 in work" in text
    assert "sleep(0)" in text
