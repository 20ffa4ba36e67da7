"""Greenlet locals (coopconc/local.py): private attributes, __init__ per greenlet, no leaks."""

import gc
import weakref

import greenlet
import pytest

import coopconc
from coopconc.local import local


def test_attributes_are_private_to_each_greenlet():
    data = local()
    data.who = "main"
    seen = {}

    def task(name):
        assert not hasattr(data, "who")
        data.who = name
        coopconc.sleep(0)
        seen[name] = data.who

    coopconc.joinall([coopconc.spawn(task, n) for n in "abc"])
    assert seen == {"a": "a", "b": "b", "c": "c"}
    assert data.who == "main"


def test_subclass_init_runs_again_in_each_greenlet():
    calls = []

    class Counter(local):
        initial = "class attribute"

        def __init__(self, start):
            calls.append(start)
            self.count = start

        def bump(self):
            self.count += 1
            return self.count

    c = Counter(10)
    assert c.bump() == 11
    results = [coopconc.spawn(lambda: (c.bump(), c.bump())).get() for _ in range(2)]
    assert results == [(11, 12), (11, 12)]
    assert calls == [10, 10, 10]
    assert c.count == 11 and c.initial == "class attribute"


def test_arguments_need_an_init():
    with pytest.raises(TypeError, match="arguments are only accepted"):
        local(1)


def test_descriptors_and_dict():
    class WithProperty(local):
        def __init__(self):
            self._x = 0

        @property
        def x(self):
            return self._x * 2

        @x.setter
        def x(self, value):
            self._x = value

    w = WithProperty()
    w.x = 5
    assert w.x == 10 and w.__dict__ == {"_x": 5}
    assert coopconc.spawn(lambda: w.x).get() == 0
    with pytest.raises(AttributeError, match="read-only"):
        w.__dict__ = {}
    del w._x
    with pytest.raises(AttributeError, match="has no attribute '_x' in this greenlet"):
        _ = w._x
    with pytest.raises(AttributeError):
        del w._x


def test_getattr_hook_is_used():
    class Defaulting(local):
        def __getattr__(self, name):
            return f"default {name}"

    d = Defaulting()
    d.a = 1
    assert d.a == 1 and d.b == "default b"


def test_data_freed_when_the_greenlet_dies():
    data = local()

    class Payload:
        pass

    refs = []

    def task():
        p = Payload()
        refs.append(weakref.ref(p))
        data.payload = p

    g = coopconc.spawn(task)
    g.join()
    coopconc.sleep(0)  # the greenlet's links run: its dict is dropped
    assert refs[0]() is None  # freed even though the Greenlet object is still referenced
    assert repr(data) == "<local greenlets=1>"  # only main's dict is left
    assert g.dead


def test_data_of_a_bare_greenlet_freed_when_it_is_freed():
    data = local()

    class Payload:
        pass

    refs = []

    def task():
        p = Payload()
        refs.append(weakref.ref(p))
        data.payload = p

    g = greenlet.greenlet(task)
    g.switch()
    del g
    gc.collect()
    assert refs[0]() is None


def test_local_itself_freed_with_its_data():
    data = local()

    class Payload:
        pass

    p = Payload()
    ref = weakref.ref(p)
    data.p = p
    del p
    g = coopconc.spawn(setattr, data, "x", 1)
    g.join()
    wr = weakref.ref(data)
    del data
    gc.collect()
    assert wr() is None and ref() is None


def test_request_proxy_pattern():
    ctx = local()

    class RequestProxy:
        def __getattr__(self, name):
            return getattr(ctx.request, name)

    request = RequestProxy()

    class Request:
        def __init__(self, path):
            self.path = path

    def handle(path):
        ctx.request = Request(path)
        coopconc.sleep(0)
        return request.path

    gs = [coopconc.spawn(handle, p) for p in ["/a", "/b", "/c"]]
    coopconc.joinall(gs)
    assert [g.value for g in gs] == ["/a", "/b", "/c"]
