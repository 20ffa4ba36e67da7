"""The source's BoundedSemaphore(2) workers: two at a time; the order of acquire/release."""

import gevent
from gevent.lock import BoundedSemaphore, Semaphore

sem = BoundedSemaphore(2)


def worker1(n):
    sem.acquire()
    print(f"Worker {n} acquired semaphore")
    gevent.sleep(0)
    sem.release()
    print(f"Worker {n} released semaphore")


def worker2(n):
    with sem:
        print(f"Worker {n} acquired semaphore")
        gevent.sleep(0)
    print(f"Worker {n} released semaphore")


pool = [gevent.spawn(worker1, i) for i in range(0, 2)]
pool += [gevent.spawn(worker2, i) for i in range(3, 6)]
gevent.joinall(pool)
print("counter at the end:", sem.counter)
try:
    sem.release()
except ValueError:
    print("over-release refused with ValueError")


# A lock is a semaphore of one: the critical sections never overlap.
lock = BoundedSemaphore(1)
inside = []


def careful(name):
    for step in range(2):
        with lock:
            inside.append(name)
            print(name, "in, step", step, "- inside now:", inside)
            gevent.sleep(0)
            inside.remove(name)


gevent.joinall([gevent.spawn(careful, n) for n in ("a", "b", "c")])

# Semaphore(0) waiters are served in the order they came, one per release.

gate = Semaphore(0)


def queuer(n):
    gate.acquire()
    print("queuer", n, "passed")


qs = [gevent.spawn(queuer, i) for i in range(4)]
gevent.sleep(0)
for _ in range(4):
    gate.release()
    print("released one; counter", gate.counter)
gevent.joinall(qs)

# A timed-out acquire returns False.
print("acquire(timeout=0.01):", gate.acquire(timeout=0.01))
print("acquire(blocking=False):", gate.acquire(blocking=False))
