"""Determinism: the same greenlets with the same inputs give the same output, every time.

A run is a list of greenlets that interleave with sleep(0) and short sleeps and record the order
of their steps; it is run several times and every trace is the same.
"""

import gevent


def run_once():
    trace = []

    def worker(name, steps, pause):
        for i in range(steps):
            trace.append(f"{name}{i}")
            if pause:
                gevent.sleep(pause)
            else:
                gevent.sleep(0)
        return name

    jobs = [
        gevent.spawn(worker, "a", 3, 0),
        gevent.spawn(worker, "b", 2, 0.01),
        gevent.spawn(worker, "c", 4, 0),
    ]
    gevent.joinall(jobs)
    return trace


first = run_once()
print(" ".join(first))
print("same every time:", all(run_once() == first for _ in range(5)))
