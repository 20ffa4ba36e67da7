"""Orderings at the edges: kills and joins crossing, links that kill, timeouts that race a
finishing greenlet, errors in rawlinks, SystemExit raised in a greenlet, and gets of killed
greenlets."""

import sys

import gevent
from gevent import GreenletExit, Timeout

log = []


def nap(name, seconds=0.01):
    try:
        gevent.sleep(seconds)
    except GreenletExit:
        log.append(f"{name} killed")
        raise
    log.append(f"{name} done")
    return name


# a greenlet waiting in join() of another is killed
target = gevent.spawn(nap, "target", 0.02)


def joiner():
    try:
        target.join()
        log.append("joiner saw target finish")
    except GreenletExit:
        log.append("joiner killed while joining")
        raise


j = gevent.spawn(joiner)
gevent.sleep(0)
j.kill()
target.join()
print(log, "target still linked:", target.has_links())
log.clear()

# a link that kills another greenlet
victim = gevent.spawn(nap, "victim", 0.05)
killer_source = gevent.spawn(nap, "source", 0.01)
killer_source.link(lambda g: victim.kill())
gevent.joinall([killer_source, victim])
print(log, "victim value:", type(victim.value).__name__)
log.clear()

# the value of a killed greenlet, and get() on it
k = gevent.spawn(nap, "k", 0.05)
gevent.sleep(0)
k.kill()
print("get() of a killed greenlet returns the GreenletExit:", type(k.get()).__name__)
print("started after death:", bool(k.started), "ready:", k.ready())
log.clear()

# the greenlet finishes in the same turn as a join timeout would fire: the sleep wins
g = gevent.spawn(nap, "race", 0.01)
gevent.sleep(0)
g.join(timeout=0.5)
print("joined in time:", g.value)


# a rawlink that raises: the error is reported, other links still run
def bad_link(g):
    raise ValueError("link failed")


src = gevent.spawn(nap, "src", 0)
src.rawlink(bad_link)
src.rawlink(lambda g: log.append("second link ran"))
src.join()
gevent.sleep(0)
print(log)
log.clear()


# SystemExit raised in a greenlet is raised in the main greenlet too
def exits():
    log.append("exits runs")
    sys.exit(3)


e = gevent.spawn(exits)
try:
    gevent.sleep(0.01)
    log.append("main slept through")
except SystemExit as ex:
    log.append(f"main got SystemExit {ex.code}")
gevent.sleep(0)
print(log, "exits dead:", e.dead, "successful:", e.successful(), "value:", type(e.value).__name__)
log.clear()

# Timeouts nested: the inner one fires first, the outer one still works
try:
    with Timeout(0.05) as outer:
        try:
            with Timeout(0.01) as inner:
                gevent.sleep(0.1)
        except Timeout as t:
            log.append(f"inner fired: {t is inner}")
        gevent.sleep(0.1)
except Timeout as t:
    log.append(f"outer fired: {t is outer}")
print(log)
log.clear()


# a timeout caught by the guarded code itself does not leak out
def swallow():
    try:
        gevent.sleep(0.1)
    except Timeout:
        log.append("swallowed")
    return "ok"


t = Timeout.start_new(0.01)
try:
    print("swallow returned", swallow())
finally:
    t.cancel()
print(log)
log.clear()

# kill while the greenlet waits in get() of another
slowpoke = gevent.spawn(nap, "slowpoke", 0.03)


def getter():
    try:
        return slowpoke.get()
    except GreenletExit:
        log.append("getter killed")
        raise


gg = gevent.spawn(getter)
gevent.sleep(0)
gg.kill(ValueError("stop"))
print("getter exception:", repr(gg.exception), "slowpoke links:", slowpoke.has_links())
slowpoke.join()
print(log)
log.clear()


# a greenlet that kills itself
def suicide():
    log.append("before")
    gevent.getcurrent().kill(block=False)
    log.append("after kill(block=False)")
    gevent.sleep(0.01)
    log.append("never")


s = gevent.spawn(suicide)
s.join()
print(log, type(s.value).__name__)
log.clear()

# spawn_later cancelled by kill before it fires
late = gevent.spawn_later(0.01, log.append, "late ran")
late.kill()
gevent.sleep(0.02)
print("killed spawn_later:", log, late.dead, type(late.value).__name__)

try:
    gevent.Greenlet.spawn_later(0.01)
except TypeError:
    print("Greenlet.spawn_later without a function: TypeError")
