"""The tracer records who ran when and why each greenlet stopped; the timeline draws it."""

import matplotlib
import pytest

import coopconc
from coopconc.trace import Tracer

matplotlib.use("Agg")


def _two_sleepers():
    def worker(seconds):
        coopconc.sleep(seconds)
        coopconc.sleep(seconds)

    gs = [coopconc.Greenlet(worker, s) for s in (1, 2)]
    for i, g in enumerate(gs, 1):
        g.name = f"worker-{i}"
        g.start()
    coopconc.joinall(gs)


def test_log_names_each_wait_and_its_time_under_the_virtual_clock():
    with coopconc.virtual_clock(), Tracer() as t:
        _two_sleepers()
    log = t.log()
    assert log[0] == "t=0.000    main waits on joinall/wait"
    assert "t=1.000      worker-1 runs" in log
    assert "t=2.000    worker-1 finished" in log
    assert log[-1] == "t=4.000      main runs"


def test_segments_give_run_and_wait_bars_per_greenlet():
    with coopconc.virtual_clock(), Tracer() as t:
        _two_sleepers()
    waits = [(s.who, s.start, s.end, s.reason) for s in t.segments() if s.kind == "wait"]
    assert ("worker-2", 0.0, 2.0, "sleep") in waits
    assert ("worker-2", 2.0, 4.0, "sleep") in waits
    assert ("worker-1", 1.0, 2.0, "sleep") in waits
    assert t.who() == ["main", "worker-1", "worker-2"]


def test_sleep0_hand_overs_alternate_in_step_order():
    def worker():
        for _ in range(2):
            coopconc.sleep(0)

    with Tracer() as t:
        a, b = coopconc.Greenlet(worker), coopconc.Greenlet(worker)
        a.name, b.name = "a", "b"
        a.start()
        b.start()
        coopconc.joinall([a, b])
    runs = [s.who for s in sorted(t.segments(), key=lambda s: s.step_start) if s.kind == "run"]
    # joinall wakes main once per finished greenlet: a finishes first, then b
    assert runs == ["main", "a", "b", "a", "b", "a", "b", "main", "main"]


def test_timeline_draws_one_row_per_greenlet():
    with coopconc.virtual_clock(), Tracer() as t:
        _two_sleepers()
    ax = t.timeline()
    assert [label.get_text() for label in ax.get_yticklabels()] == ["main", "worker-1", "worker-2"]
    assert ax.get_xlabel() == "virtual time (s)"
    assert t.timeline(x="step").get_xlabel() == "hand-over number"
    keys = [text.get_text().split("\n")[0] for text in ax.get_legend().get_texts()]
    assert keys == ["running", "waiting"]  # the picture carries its own key
    with pytest.raises(ValueError, match="x must be 'time' or 'step'"):
        t.timeline(x="seconds")


def test_tracer_restores_the_previous_hook():
    import greenlet

    seen = []
    old = greenlet.settrace(lambda event, args: seen.append(event))
    try:
        with Tracer():
            coopconc.sleep(0)
        assert greenlet.gettrace() is not None
        assert seen, "the previous hook kept receiving switches while the tracer ran"
    finally:
        greenlet.settrace(old)


def test_real_clock_times_count_from_the_start_of_the_trace():
    with Tracer() as t:
        coopconc.sleep(0.01)
    first, second = t.log()
    assert first.startswith("t=0.000 ")
    resumed = float(second.split()[0][2:])
    assert 0.009 <= resumed < 5.0  # at least the sleep; generous upper bound on a busy machine
