"""The hub: sleep(0) vs sleep(t), idle(), getcurrent(), get_hub(), LoopExit, spawn_raw."""

import gevent
import greenlet
from gevent import getcurrent
from gevent.hub import get_hub

log = []


def step(name):
    log.append(f"{name} 1")
    gevent.sleep(0)
    log.append(f"{name} 2")


def idler():
    log.append("idler waits")
    gevent.idle()
    log.append("idler idle")


gevent.spawn(idler)
gevent.spawn(step, "a")
gevent.spawn(step, "b")
gevent.sleep(0.01)
print(log)

print("get_hub() is the same each time:", get_hub() is get_hub())
main = getcurrent()
print("main's parent is None:", main.parent is None)


def who():
    return getcurrent()


g = gevent.spawn(who)
print("getcurrent() inside is the greenlet:", g.get() is g)
print("greenlet's parent is the hub:", g.parent is get_hub())

try:
    get_hub().switch()
except gevent.hub.LoopExit:
    print("switching to the hub with nothing to do raises LoopExit")

ev = []
try:
    gevent.spawn(gevent.sleep, 0.01)
    waiter = gevent.hub.Waiter()
    waiter.get()
except gevent.hub.LoopExit:
    print("waiting for something that never comes: LoopExit")

raw_log = []


def raw_fn(a, b=0):
    raw_log.append(a + b)


r = gevent.spawn_raw(raw_fn, 1, b=2)
print(
    "spawn_raw gives a raw greenlet, not a Greenlet:",
    isinstance(r, greenlet.greenlet) and not isinstance(r, gevent.Greenlet),
    "dead:",
    r.dead,
)
gevent.sleep(0)
print("ran:", raw_log, "dead:", r.dead)

log.clear()
gevent.spawn(log.append, "spawned")
gevent.sleep(0)
log.append("main after sleep(0)")
print(log)

log.clear()
gevent.spawn(step, "x")
gevent.sleep(0)
log.append("main")
gevent.sleep(0)
log.append("main again")
print(log)

for arg in (object(), None, 42):
    try:
        gevent.spawn(arg)
    except TypeError:
        print("spawn of", type(arg).__name__, "-> TypeError")
