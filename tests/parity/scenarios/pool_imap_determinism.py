"""Determinism (确定性): Pool.imap_unordered over the same inputs gives the same order every run."""

import gevent
from gevent.pool import Pool


def echo(i):
    gevent.sleep(0)
    if i % 3 == 0:
        gevent.sleep(0)
    return i


runs = []
for _ in range(4):
    p = Pool(10)
    runs.append(list(p.imap_unordered(echo, range(20))))
print(runs[0])
print("all runs equal:", all(run == runs[0] for run in runs))

p = Pool(3)
print("ordered imap  :", list(p.imap(echo, range(10))))
print("unordered imap:", list(p.imap_unordered(echo, range(10))))
print("unordered, maxsize=2:", list(p.imap_unordered(echo, range(10), maxsize=2)))


def trace(i):
    print("  task", i, "start, free", p.free_count())
    gevent.sleep(0)
    print("  task", i, "end")
    return i


for value in p.imap_unordered(trace, range(5)):
    print("got", value)
for value in p.imap(trace, range(5)):
    print("got in order", value)
