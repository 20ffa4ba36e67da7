"""Timers of different lengths fire in order of their deadlines, whatever order they were set."""

import gevent

order = []


def nap(name, seconds):
    gevent.sleep(seconds)
    order.append(name)


delays = [0.04, 0.01, 0.03, 0.02, 0.05, 0.015]
jobs = [gevent.spawn(nap, f"t{d}", d) for d in delays]
gevent.joinall(jobs)
print(order)

# sleeping zero vs a tiny timer: sleep(0) rounds come first
order.clear()
jobs = [gevent.spawn(nap, "timer", 0.001), gevent.spawn(nap, "zero", 0)]
gevent.joinall(jobs)
print(order)

# spawn_later runs in deadline order, interleaved with sleepers
order.clear()
jobs = [
    gevent.spawn_later(0.03, order.append, "later 0.03"),
    gevent.spawn(nap, "sleep 0.02", 0.02),
    gevent.spawn_later(0.01, order.append, "later 0.01"),
]
gevent.joinall(jobs)
print(order)

# a greenlet woken by a timer sees the ones spawned meanwhile run after it
order.clear()


def chain(n):
    order.append(f"chain {n}")
    if n:
        gevent.spawn(chain, n - 1)
        gevent.sleep(0.005)
        order.append(f"chain {n} woke")


gevent.spawn(chain, 3)
gevent.sleep(0.05)
print(order)
