"""A blocking call in a thread pool: the greenlets keep running while the thread sleeps."""

import time

import gevent
from gevent.threadpool import ThreadPool

pool = ThreadPool(3)
ticks = []


def ticker():
    while True:
        ticks.append(1)
        gevent.sleep(0.01)


g = gevent.spawn(ticker)
result = pool.spawn(time.sleep, 0.3)  # a real, blocking time.sleep, in a worker thread
print("result:", result.get())
g.kill()
print("the ticker ran while the thread slept:", len(ticks) >= 5)

print("map:", pool.map(lambda x: x * x, range(6)))
print("apply:", pool.apply(max, (3, 8)))
print("spawn with kwargs:", pool.spawn(int, "ff", base=16).get())


def boom():
    raise ValueError("raised in a worker thread")


r = pool.spawn(boom)
try:
    r.get()
except ValueError as exc:
    print("ValueError:", exc)
print("ready:", r.ready(), "successful:", r.successful())
print("maxsize:", pool.maxsize, "threads started:", 1 <= pool.size <= 3)
pool.join()
print("jobs left after join:", len(pool))
