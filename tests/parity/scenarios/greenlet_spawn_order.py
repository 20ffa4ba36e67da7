"""Spawned greenlets start in spawn order; sleep(0) lets each of the others run once."""

import gevent


def task(name, rounds):
    for i in range(rounds):
        print(name, "round", i)
        gevent.sleep(0)
    return name


jobs = [gevent.spawn(task, name, n) for name, n in [("a", 3), ("b", 1), ("c", 2)]]
print("spawned, nothing ran yet")
done = gevent.joinall(jobs)
print("finished in order:", [g.value for g in done])
