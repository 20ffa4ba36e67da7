"""Killing greenlets: before they start, while they sleep, while they run (in sleep(0)), with a
custom exception, without blocking, with a timeout, and several at once with killall."""

import gevent
from gevent import GreenletExit


def worker(name, log, pause=0.05):
    log.append(f"{name} start")
    try:
        gevent.sleep(pause)
        log.append(f"{name} woke")
    except GreenletExit:
        log.append(f"{name} got GreenletExit")
        raise
    except Exception as e:
        log.append(f"{name} got {type(e).__name__}")
        raise
    finally:
        log.append(f"{name} finally")
    return name


def states(g):
    return (
        f"ready={bool(g.ready())} successful={bool(g.successful())} dead={bool(g.dead)} "
        f"value={g.value!r} exception={g.exception!r}"
    )


# 1. kill before it ever ran: it never runs, its links still fire
log = []
g = gevent.spawn(worker, "early", log)
g.link(lambda source: log.append("link saw early"))
g.kill()
print("killed before start:", log, states(g))
gevent.sleep(0.01)
print("after a turn:", log)

# 2. kill while sleeping
log = []
g = gevent.spawn(worker, "sleeper", log)
gevent.sleep(0)
g.kill()
print("killed while sleeping:", log, states(g))

# 3. kill while it runs a loop of sleep(0)
log = []


def busy(log):
    try:
        for i in range(10):
            log.append(i)
            gevent.sleep(0)
    finally:
        log.append("busy finally")


g = gevent.spawn(busy, log)
gevent.sleep(0)
gevent.sleep(0)
g.kill()
print("killed while running:", log, states(g))

# 4. a custom exception class and instance
log = []
g = gevent.spawn(worker, "custom", log)
gevent.sleep(0)
g.kill(ValueError)
print("killed with ValueError:", log, "successful:", g.successful(), repr(g.exception))
log = []
g = gevent.spawn(worker, "instance", log)
gevent.sleep(0)
g.kill(KeyError("k"))
print("killed with KeyError('k'):", log, repr(g.exception))
g = gevent.Greenlet(worker, "never", [])
g.kill(RuntimeError("before start"))
print("unstarted killed with an instance:", repr(g.exception), g.dead)

# 5. block=False returns at once; the kill happens on the next turn
log = []
g = gevent.spawn(worker, "nonblock", log)
gevent.sleep(0)
g.kill(block=False)
print("kill(block=False) returned:", log, "dead:", g.dead)
gevent.sleep(0)
print("one turn later:", log, "dead:", g.dead)

# 6. a greenlet that refuses to die, and kill(timeout=...)
log = []


def stubborn(log):
    while True:
        try:
            gevent.sleep(0.5)
        except GreenletExit:
            log.append("ignored a kill")
            gevent.sleep(0.1)  # much longer than the kill timeout below
            log.append("gave up")
            return "survived"


g = gevent.spawn(stubborn, log)
gevent.sleep(0)
g.kill(timeout=0.005)
print("kill with timeout returned:", log, "dead:", g.dead)
g.join()
print("later:", log, "value:", g.value)

# 7. kill a dead greenlet: nothing happens
g.kill()
print("killing a dead one changes nothing:", g.value)

# 8. killall: some started, some not
log = []
gs = [gevent.spawn(worker, f"k{i}", log) for i in range(3)]
gevent.sleep(0)
gs.append(gevent.spawn(worker, "k3", log))
gevent.killall(gs)
print("killall:", log, [bool(x.dead) for x in gs])
log = []
gs = [gevent.spawn(worker, f"n{i}", log) for i in range(2)]
gevent.sleep(0)
gevent.killall(gs, block=False)
print("killall(block=False):", log, [bool(x.dead) for x in gs])
gevent.sleep(0)
print("one turn later:", log, [bool(x.dead) for x in gs])
gs = [gevent.spawn(worker, f"e{i}", []) for i in range(2)]
gevent.sleep(0)
gevent.killall(gs, exception=ValueError)
print("killall(ValueError):", [type(x.exception).__name__ for x in gs])

# 9. gevent.kill does not block
log = []
g = gevent.spawn(worker, "modkill", log)
gevent.sleep(0)
gevent.kill(g)
print("gevent.kill returned:", log, "dead:", g.dead)
g.join()
print("joined:", log, "dead:", g.dead)
raw_log = []
raw = gevent.spawn_raw(worker, "raw", raw_log)
gevent.sleep(0)
gevent.kill(raw)
gevent.sleep(0)
print("raw greenlet killed:", raw_log, raw.dead)

# 10. with-statement: the body's error kills it
log = []
try:
    with gevent.spawn(worker, "ctx", log) as g:
        gevent.sleep(0)
        raise KeyError("body")
except KeyError:
    pass
print("with-block error:", log, "dead:", g.dead, "value:", type(g.value).__name__)
