"""Queues (coopconc/queue.py): hand-off order, bounds, timeouts, nothing lost, property tests."""

import collections

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import coopconc
from coopconc.exceptions import LoopExit
from coopconc.queue import (
    Channel,
    Empty,
    Full,
    JoinableQueue,
    LifoQueue,
    PriorityQueue,
    Queue,
    ShutDown,
    SimpleQueue,
    UnboundQueue,
)


def test_empty_and_full_are_the_standard_librarys():
    import queue

    assert Empty is queue.Empty and Full is queue.Full
    assert JoinableQueue is Queue


def test_fifo_and_nowait():
    q = Queue()
    for i in range(3):
        q.put_nowait(i)
    assert q.qsize() == len(q) == 3 and not q.empty() and not q.full()
    assert q.peek() == 0 and q.peek_nowait() == 0
    assert [q.get_nowait() for _ in range(3)] == [0, 1, 2]
    assert q.empty() and bool(q)  # an empty queue is still true
    with pytest.raises(Empty):
        q.get_nowait()
    with pytest.raises(Empty):
        q.peek_nowait()


def test_bounded_put_nowait_raises_full():
    q = Queue(2)
    q.put(1)
    q.put(2)
    assert q.full() and q.maxsize == 2
    with pytest.raises(Full):
        q.put_nowait(3)
    with pytest.raises(Full):
        q.put(3, block=False)
    assert repr(q) == "<Queue size=2/2 getters=0 putters=0 tasks=2>"


def test_queue_zero_is_unbounded_with_a_warning():
    with pytest.warns(DeprecationWarning, match="Channel"):
        q = Queue(0)
    assert q.maxsize is None
    for i in range(100):
        q.put_nowait(i)
    assert not q.full()


@pytest.mark.parametrize("cls", [Queue, SimpleQueue, PriorityQueue, LifoQueue])
def test_bad_maxsize_names_the_call(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}\(maxsize=-1\): maxsize must be"):
        cls(-1)
    with pytest.raises(TypeError, match=rf"{cls.__name__}\(maxsize='3'\)"):
        cls("3")


def test_bad_timeouts_name_the_call():
    q = Queue(1)
    with pytest.raises(ValueError, match=r"Queue.get\(timeout=-1\): timeout must be >= 0"):
        q.get(timeout=-1)
    with pytest.raises(TypeError, match=r"Queue.get\(timeout='soon'\)"):
        q.get(timeout="soon")
    q.put(1)
    with pytest.raises(TypeError, match=r"Queue.put\(timeout='soon'\)"):
        q.put(2, timeout="soon")
    with pytest.raises(TypeError, match=r"PriorityQueue.peek\(timeout="):
        PriorityQueue().peek(timeout=object())


def test_get_timeout_raises_empty_after_that_long():
    q = Queue()
    with coopconc.virtual_clock():
        with pytest.raises(Empty):
            q.get(timeout=1.5)
        assert coopconc.now() == 1.5
    assert not q.getters


def test_put_timeout_raises_full_and_item_never_enters():
    q = Queue(1)
    q.put("a")
    with coopconc.virtual_clock():
        with pytest.raises(Full):
            q.put("b", timeout=2)
        assert coopconc.now() == 2
    assert not q.putters
    assert list(q.queue) == ["a"]


def test_getters_served_in_the_order_they_waited():
    q = Queue()
    got = []

    def getter(name):
        got.append((name, q.get()))

    gs = [coopconc.spawn(getter, n) for n in "abc"]
    coopconc.sleep(0)
    assert repr(q) == "<Queue size=0 getters=3 putters=0>"
    for i in range(3):
        q.put(i)
    coopconc.joinall(gs)
    assert got == [("a", 0), ("b", 1), ("c", 2)]


def test_putters_served_in_the_order_they_waited():
    q = Queue(1)
    q.put("first")
    gs = [coopconc.spawn(q.put, n) for n in "abc"]
    coopconc.sleep(0)
    assert repr(q) == "<Queue size=1/1 getters=0 putters=3 tasks=1>"
    assert [q.get() for _ in range(4)] == ["first", "a", "b", "c"]
    coopconc.joinall(gs)


def test_boss_and_bounded_workers_handoff_order():
    q = Queue(maxsize=3)
    log = []

    def worker(name):
        while True:
            try:
                task = q.get(timeout=1)
            except Empty:
                log.append(f"{name} quits")
                return
            log.append(f"{name} got {task}")
            coopconc.sleep(0)

    def boss():
        for i in range(1, 7):
            q.put(i)
            log.append(f"boss put {i}")

    with coopconc.virtual_clock():
        coopconc.joinall([coopconc.spawn(boss)] + [coopconc.spawn(worker, n) for n in "xy"])
    assert log == [
        "boss put 1",
        "boss put 2",
        "boss put 3",
        "x got 1",
        "y got 2",
        "boss put 4",
        "boss put 5",
        "x got 3",
        "y got 4",
        "boss put 6",
        "x got 5",
        "y got 6",
        "x quits",
        "y quits",
    ]


def test_getter_killed_as_item_arrives_does_not_lose_it():
    # The kill is on its way (a hub callback) when the item is put: the getter dies
    # before the hub would wake it, and the item must stay for the next getter.
    q = Queue()
    victim = coopconc.spawn(q.get)
    coopconc.sleep(0)
    victim.kill(block=False)
    q.put("precious")
    coopconc.sleep(0)
    assert victim.dead and isinstance(victim.value, coopconc.GreenletExit)
    assert q.get_nowait() == "precious"


def test_getter_woken_then_killed_keeps_the_item_it_took():
    # The other order: the getter is woken first, takes its item, and only then dies.
    q = Queue()
    victim = coopconc.spawn(q.get)
    coopconc.sleep(0)
    q.put("precious")
    victim.kill()
    assert victim.value == "precious" and q.empty()


def test_getter_timing_out_as_item_arrives_does_not_lose_it():
    q = Queue()
    results = []

    def impatient():
        try:
            results.append(q.get(timeout=1))
        except Empty:
            results.append("timed out")

    with coopconc.virtual_clock():
        g = coopconc.spawn(impatient)
        # The item arrives exactly when the timeout fires.
        coopconc.spawn_later(1, q.put, "item")
        coopconc.joinall([g])
        coopconc.sleep(0)
    assert results in (["item"], ["timed out"])
    if results == ["timed out"]:
        assert q.get_nowait() == "item"
    else:
        assert q.empty()


def test_putter_killed_while_waiting_never_enters_its_item():
    q = Queue(1)
    q.put(1)
    g = coopconc.spawn(q.put, 2)
    coopconc.sleep(0)
    assert len(q.putters) == 1
    g.kill()
    assert not q.putters
    assert q.get() == 1
    coopconc.sleep(0)
    assert q.empty()


def test_iteration_stops_at_stopiteration():
    q = Queue()
    for x in [1, 2, StopIteration]:
        q.put(x)
    assert list(q) == [1, 2]


def test_priority_and_lifo_order():
    pq = PriorityQueue()
    for x in [5, 1, 4, 2]:
        pq.put(x)
    assert [pq.get() for _ in range(4)] == [1, 2, 4, 5]
    lq = LifoQueue()
    for x in [1, 2, 3]:
        lq.put(x)
    assert lq.peek() == 3
    assert [lq.get() for _ in range(3)] == [3, 2, 1]


def test_unbound_queue_refuses_maxsize():
    with pytest.raises(ValueError, match="UnboundQueue"):
        UnboundQueue(3)
    assert UnboundQueue().maxsize is None


def test_task_done_and_join():
    q = JoinableQueue()
    done = []

    def worker():
        for item in q:
            coopconc.sleep(0.1)
            done.append(item)
            q.task_done()

    with coopconc.virtual_clock():
        w = coopconc.spawn(worker)
        for i in range(3):
            q.put(i)
        assert q.unfinished_tasks == 3
        assert q.join(timeout=0.15) is False
        assert q.join() is True
        assert coopconc.now() == pytest.approx(0.3)
    assert done == [0, 1, 2] and q.unfinished_tasks == 0
    with pytest.raises(ValueError, match=r"Queue.task_done\(\): called more times"):
        q.task_done()
    w.kill()


def test_blocked_get_appears_in_the_deadlock_report():
    q = Queue()
    with pytest.raises(LoopExit, match=r"Queue.get on <Queue size=0 getters=1 putters=0>"):
        q.get()


def test_shutdown_wakes_waiters():
    q = Queue()
    errors = []

    def getter():
        try:
            q.get()
        except ShutDown:
            errors.append("shut")

    g = coopconc.spawn(getter)
    coopconc.sleep(0)
    q.shutdown()
    g.join()
    assert errors == ["shut"]
    with pytest.raises(ShutDown):
        q.put(1)


def test_put_and_get_from_a_hub_callback():
    q = Queue(1)
    got = []
    g = coopconc.spawn(lambda: got.append(q.get()))
    coopconc.sleep(0)
    coopconc.get_hub().run_callback(q.put, "from hub")
    g.join()
    assert got == ["from hub"]


def in_hub(call, *args):
    """Run ``call(*args)`` as a hub callback (where nothing may wait); return what it returned
    or the name of what it raised."""
    outcome = []

    def callback():
        try:
            outcome.append(call(*args))
        except Exception as exc:
            outcome.append(type(exc).__name__)

    coopconc.get_hub().run_callback(callback)
    coopconc.sleep(0)
    return outcome[0]


def test_put_from_a_hub_callback_on_a_full_queue_makes_room_by_waking_a_getter():
    q = Queue(1)
    got = []
    getter = coopconc.spawn(lambda: got.append(q.get()))
    coopconc.sleep(0)  # the getter waits on the empty queue
    hub = coopconc.get_hub()
    outcome = []
    hub.run_callback(lambda: outcome.append(q.put("from hub")))
    q.put("a")  # fills the queue; the getter is only woken later, by the hub
    coopconc.sleep(0)  # the callback's put finds the queue full: it wakes the getter first
    assert got == ["a"] and getter.dead
    assert outcome == [None] and q.get_nowait() == "from hub"


def test_put_from_a_hub_callback_on_a_full_queue_with_no_getter_raises_full():
    q = Queue(1)
    q.put("a")
    assert in_hub(q.put, "b") == "Full"
    assert in_hub(q.put_nowait, "b") == "Full"
    assert list(q.queue) == ["a"]


def test_get_from_a_hub_callback_admits_a_waiting_putter():
    q = Queue(1)
    q.put("a")
    putter = coopconc.spawn(q.put, "b")
    coopconc.sleep(0)  # the putter waits on the full queue
    hub = coopconc.get_hub()
    outcome = []
    hub.run_callback(lambda: outcome.append((q.get(), q.qsize())))
    assert q.get() == "a"  # makes room; the putter is only let in later, by the hub
    coopconc.sleep(0)  # the callback's get finds the queue empty: it lets the putter put
    assert outcome == [("b", 0)]
    putter.join(timeout=5)
    assert putter.successful() and q.unfinished_tasks == 2


@pytest.mark.parametrize("method", ["get", "get_nowait", "peek"])
def test_get_from_a_hub_callback_on_an_empty_queue_raises_empty(method):
    q = Queue()
    assert in_hub(getattr(q, method)) == "Empty"
    q.put("x")
    assert in_hub(getattr(q, method)) == "x"


def test_channel_from_a_hub_callback_never_waits():
    ch = Channel()
    assert in_hub(ch.put, "x") == "Full"
    assert in_hub(ch.get) == "Empty"
    getter = coopconc.spawn(ch.get)
    coopconc.sleep(0)
    assert in_hub(ch.put, "to the getter") is None
    assert getter.get(timeout=5) == "to the getter"
    putter = coopconc.spawn(ch.put, "from a putter")
    coopconc.sleep(0)
    assert in_hub(ch.get) == "from a putter"
    putter.join(timeout=5)
    assert putter.successful()


def test_shutdown_immediate_drops_the_items_and_releases_join():
    q = Queue()
    for i in range(3):
        q.put(i)
    joiner = coopconc.spawn(q.join)
    coopconc.sleep(0)
    assert not joiner.dead  # three tasks unfinished
    q.shutdown(immediate=True)
    assert joiner.get(timeout=5) is True
    assert q.qsize() == 0 and q.unfinished_tasks == 0
    with pytest.raises(ShutDown):
        q.get()
    with pytest.raises(ShutDown):
        q.put(3)


def test_shutdown_without_immediate_lets_the_items_be_taken_first():
    q = Queue()
    q.put("last")
    q.shutdown()
    assert q.get() == "last"
    with pytest.raises(ShutDown):
        q.get()


def test_shutdown_immediate_wakes_every_waiting_getter_and_putter():
    empty, full = Queue(), Queue(1)
    full.put("x")
    waiting = [coopconc.spawn(empty.get) for _ in range(3)]
    waiting += [coopconc.spawn(full.put, i) for i in range(2)]
    coopconc.sleep(0)
    empty.shutdown(immediate=True)
    full.shutdown(immediate=True)
    coopconc.joinall(waiting, timeout=5)
    assert [type(g.exception).__name__ for g in waiting] == ["ShutDown"] * 5
    assert full.qsize() == 0  # the putters' items never went in


# -- Channel --------------------------------------------------------------------------------


def test_channel_put_waits_for_a_getter():
    ch = Channel()
    log = []

    def putter():
        ch.put("x")
        log.append("put returned")

    g = coopconc.spawn(putter)
    coopconc.sleep(0)
    assert log == [] and ch.balance == 1
    assert repr(ch) == "<Channel getters=0 putters=1>"
    assert ch.get() == "x"
    g.join()
    assert log == ["put returned"]
    assert ch.qsize() == 0 and ch.empty() and ch.full()


def test_channel_nowait_and_timeouts():
    ch = Channel()
    with pytest.raises(Full):
        ch.put_nowait(1)
    with pytest.raises(Empty):
        ch.get_nowait()
    with coopconc.virtual_clock():
        with pytest.raises(Empty):
            ch.get(timeout=1)
        with pytest.raises(Full):
            ch.put(1, timeout=1)
    assert ch.balance == 0
    with pytest.raises(ValueError, match="Channel"):
        Channel(0)


def test_channel_iteration():
    ch = Channel()

    def feed():
        for x in [1, 2, StopIteration]:
            ch.put(x)

    coopconc.spawn(feed)
    assert list(ch) == [1, 2]


# -- Property tests against a reference model -----------------------------------------------


sequential_ops = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.integers(0, 99)),
        st.tuples(st.just("get")),
        st.tuples(st.just("peek")),
        st.tuples(st.just("task_done")),
    ),
    max_size=40,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(maxsize=st.one_of(st.none(), st.integers(1, 4)), ops=sequential_ops)
def test_queue_nowait_matches_a_deque_model(maxsize, ops):
    q = Queue(maxsize)
    model: collections.deque = collections.deque()
    unfinished = 0
    for op in ops:
        if op[0] == "put":
            if maxsize is not None and len(model) >= maxsize:
                with pytest.raises(Full):
                    q.put_nowait(op[1])
            else:
                q.put_nowait(op[1])
                model.append(op[1])
                unfinished += 1
        elif op[0] == "get":
            if model:
                assert q.get_nowait() == model.popleft()
            else:
                with pytest.raises(Empty):
                    q.get_nowait()
        elif op[0] == "peek":
            if model:
                assert q.peek_nowait() == model[0]
            else:
                with pytest.raises(Empty):
                    q.peek_nowait()
        else:
            if unfinished:
                q.task_done()
                unfinished -= 1
            else:
                with pytest.raises(ValueError):
                    q.task_done()
        assert q.qsize() == len(model)
        assert q.full() == (maxsize is not None and len(model) >= maxsize)
        assert q.empty() == (not model)
        assert q.unfinished_tasks == unfinished


concurrent_ops = st.lists(
    st.one_of(
        # a producer greenlet putting several items, each put with this timeout
        st.tuples(st.just("producer"), st.integers(1, 6), st.sampled_from([None, 0.5, 2])),
        # a consumer greenlet getting several items
        st.tuples(st.just("consumer"), st.integers(1, 4), st.sampled_from([None, 0.5, 2])),
        st.tuples(st.just("sleep"), st.sampled_from([0, 0.25, 0.5, 1])),
        st.tuples(st.just("kill"), st.integers(0, 20)),
    ),
    max_size=25,
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(maxsize=st.one_of(st.none(), st.integers(1, 3)), ops=concurrent_ops)
def test_concurrent_queue_loses_nothing_and_keeps_order(maxsize, ops):
    """Producers, consumers, timeouts and kills: every item that was put is got exactly once
    or is still in the queue; no item of a failed put shows up; each producer's items come
    out in the order it put them; the queue never holds more than maxsize."""
    q = Queue(maxsize)
    put_ok, put_failed, got = [], [], []
    greenlets = []
    counter = iter(range(10_000))
    biggest = [0]

    def producer(n, timeout):
        me = next(counter)
        for i in range(n):
            item = (me, i)
            try:
                q.put(item, timeout=timeout)
            except Full:
                put_failed.append(item)
                return
            except BaseException:
                put_failed.append(item)
                raise
            put_ok.append(item)
            biggest[0] = max(biggest[0], q.qsize())

    def consumer(n, timeout):
        for _ in range(n):
            try:
                got.append(q.get(timeout=timeout))
            except Empty:
                return

    with coopconc.virtual_clock():
        for op in ops:
            if op[0] == "producer":
                greenlets.append(coopconc.spawn(producer, op[1], op[2]))
            elif op[0] == "consumer":
                greenlets.append(coopconc.spawn(consumer, op[1], op[2]))
            elif op[0] == "sleep":
                coopconc.sleep(op[1])
            elif greenlets:
                greenlets[op[1] % len(greenlets)].kill()
            assert maxsize is None or q.qsize() <= maxsize
        coopconc.killall(greenlets)
    remaining = []
    while not q.empty():
        remaining.append(q.get_nowait())
    assert sorted(got + remaining) == sorted(put_ok)
    assert not set(put_failed) & set(got + remaining)
    assert not q.getters and not q.putters
    assert maxsize is None or biggest[0] <= maxsize
    out = got + remaining
    for producer_id in {p for p, _ in out}:
        seq = [i for p, i in out if p == producer_id]
        assert seq == sorted(seq)
