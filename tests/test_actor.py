"""Actor: a greenlet with an inbox; stop() ends it cleanly; Supervisor notices and restarts crashes."""

import pytest

import coopconc
from coopconc.actor import Actor, Supervisor
from coopconc.hub import get_hub
from coopconc.queue import Queue


class Recorder(Actor):
    def __init__(self, name=None, inbox=None, delay=0):
        Actor.__init__(self, name, inbox)
        self.seen = []
        self.delay = delay

    def receive(self, message):
        if self.delay:
            coopconc.sleep(self.delay)
        self.seen.append(message)


class Fragile(Actor):
    """Crashes on the message "crash"."""

    log: list = []

    def receive(self, message):
        if message == "crash":
            raise RuntimeError(f"{self.name} crashed")
        Fragile.log.append((self.name, message))


class _Sink:
    def write(self, text):
        pass


@pytest.fixture
def quiet_errors():
    get_hub().exception_stream = _Sink()  # crashes print a traceback; not in test output


def test_an_actor_is_a_greenlet_with_an_inbox():
    a = Recorder(name="rec")
    assert isinstance(a, coopconc.Greenlet) and isinstance(a.inbox, Queue)
    assert a.name == "rec"
    a.start()
    a.send(1)
    a.inbox.put(2)
    coopconc.sleep(0)
    assert a.seen == [1, 2] and a.handled == 2
    assert repr(a) == '<Recorder "rec" blocked on Queue.get inbox=0>'
    a.stop()
    assert a.dead and a.successful()


def test_messages_sent_before_start_wait_in_the_inbox():
    a = Recorder()
    a.send("early")
    assert a.inbox.qsize() == 1
    a.start()
    coopconc.sleep(0)
    assert a.seen == ["early"]
    a.stop()


def test_receive_must_be_overridden(quiet_errors):
    a = Actor(name="bare")
    a.start()
    a.send("x")
    a.join()
    assert isinstance(a.exception, NotImplementedError)
    assert "must override receive()" in str(a.exception)


def test_stop_finishes_the_current_message_and_leaves_the_rest():
    with coopconc.virtual_clock():
        a = Recorder(delay=1)
        a.start()
        for m in "abc":
            a.send(m)
        coopconc.sleep(0.5)  # "a" is being handled
        a.stop()
        assert coopconc.now() == 1.0
        assert a.seen == ["a"] and a.dead and a.successful()
        assert a.inbox.qsize() == 2  # b and c were not handled


def test_stop_an_idle_actor_wakes_it_and_ends_it():
    a = Recorder()
    a.start()
    coopconc.sleep(0)
    a.stop()
    assert a.dead and a.successful() and a.inbox.qsize() == 0


def test_stop_without_blocking_then_join():
    a = Recorder()
    a.start()
    coopconc.sleep(0)
    a.stop(block=False)
    assert not a.dead
    a.join()
    assert a.dead


def test_stop_before_start_means_it_never_runs():
    a = Recorder()
    a.send("never handled")
    a.stop()
    assert a.dead and a.seen == []
    b = Recorder()
    b.start()  # pending start: stop() lets it end as soon as it runs
    b.send("x")
    b.stop()
    assert b.dead and b.seen == []


def test_an_actor_may_stop_itself():
    class Once(Actor):
        def receive(self, message):
            self.got = message
            self.stop()  # does not wait for itself

    a = Once()
    a.start()
    a.send("only")
    a.send("ignored")
    a.join()
    assert a.got == "only" and a.dead and a.inbox.qsize() == 1


def test_stop_on_a_dead_actor_does_nothing():
    a = Recorder()
    a.start()
    coopconc.sleep(0)
    a.stop()
    a.stop()
    assert a.dead


def test_ping_pong():
    log = []

    class Player(Actor):
        def receive(self, message):
            word, n = message
            log.append(f"{self.name} got {word} {n}")
            if n < 4:
                self.partner.send(("pong" if word == "ping" else "ping", n + 1))
            else:
                self.partner.stop(block=False)
                self.stop()

    ping, pong = Player(name="ping"), Player(name="pong")
    ping.partner, pong.partner = pong, ping
    ping.start()
    pong.start()
    ping.send(("ping", 0))
    coopconc.joinall([ping, pong])
    assert log == [
        "ping got ping 0",
        "pong got pong 1",
        "ping got ping 2",
        "pong got pong 3",
        "ping got ping 4",
    ]


def test_link_exception_tells_who_crashed(quiet_errors):
    crashed = []
    a = Fragile(name="f")
    a.link_exception(lambda g: crashed.append((g.name, str(g.exception))))
    a.start()
    a.send("crash")
    a.join()
    coopconc.sleep(0)
    assert crashed == [("f", "f crashed")]


def test_supervisor_restarts_a_crashed_actor_with_the_same_inbox(quiet_errors):
    Fragile.log = []
    reports = []
    sup = Supervisor(max_restarts=2, on_crash=lambda a, e: reports.append(str(e)))
    first = sup.spawn(Fragile, name="worker")
    assert sup["worker"] is first
    for m in ["a", "crash", "b", "c"]:
        first.send(m)
    coopconc.sleep(0.01)
    second = sup["worker"]
    assert second is not first and first.dead and not second.dead
    assert second.inbox is first.inbox
    assert Fragile.log == [("worker", "a"), ("worker", "b"), ("worker", "c")]
    assert sup.crashes[0][0] == "worker" and isinstance(sup.crashes[0][1], RuntimeError)
    assert reports == ["worker crashed"] and sup.restarts == {"worker": 1}
    assert repr(sup) == "<Supervisor actors=1 alive=1 crashes=1>"
    sup.stop_all()
    assert second.dead and second.successful()


def test_supervisor_gives_up_after_max_restarts(quiet_errors):
    sup = Supervisor(max_restarts=1)
    a = sup.spawn(Fragile, name="w")
    for _ in range(3):
        a.send("crash")
    coopconc.sleep(0.01)
    assert len(sup.crashes) == 2 and sup.restarts["w"] == 1
    assert sup["w"].dead and sup["w"].inbox.qsize() == 1
    assert repr(sup) == "<Supervisor actors=1 alive=0 crashes=2>"
    assert [a.name for a in sup.actors] == ["w"]


def test_supervisor_does_not_restart_a_stopped_actor():
    sup = Supervisor()
    a = sup.spawn(Recorder, name="r")
    coopconc.sleep(0)
    a.stop()
    coopconc.sleep(0)
    assert sup.crashes == [] and sup["r"] is a


def test_supervisor_bad_arguments():
    with pytest.raises(ValueError, match=r"Supervisor\(max_restarts=-1\)"):
        Supervisor(max_restarts=-1)
    with pytest.raises(TypeError, match="on_crash must be callable"):
        Supervisor(on_crash=3)
    sup = Supervisor()
    with pytest.raises(TypeError, match="factory must be callable"):
        sup.spawn(None)
    with pytest.raises(TypeError, match="not an Actor"):
        sup.spawn(coopconc.Greenlet)
    sup.spawn(Recorder, name="same")
    with pytest.raises(ValueError, match="already supervised"):
        sup.spawn(Recorder, name="same")
    sup.stop_all()
