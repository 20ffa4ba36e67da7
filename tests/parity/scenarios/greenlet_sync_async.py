"""Synchronous vs asynchronous: the same tasks run one after another, then all at once.

Each task waits a different (short) time. Run synchronously they finish in call order; spawned
together they finish in the order their waits end.
"""

import gevent

DELAYS = {0: 0.05, 1: 0.01, 2: 0.03, 3: 0.0, 4: 0.02}


def task(pid):
    gevent.sleep(DELAYS[pid])
    print("Task", pid, "done")
    return pid


def synchronous():
    for i in range(5):
        task(i)


def asynchronous():
    threads = [gevent.spawn(task, i) for i in range(5)]
    done = gevent.joinall(threads)
    print("joinall returned them in finishing order:", [g.value for g in done])


print("Synchronous:")
synchronous()
print("Asynchronous:")
asynchronous()
