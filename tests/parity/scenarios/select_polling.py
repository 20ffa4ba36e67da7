"""The tutorial's polling example: two greenlets "poll" with select while a third works.

select.select([], [], [], t) with nothing to watch is a cooperative sleep: both pollers wait
at the same time and the third greenlet runs meanwhile. Times are floored to tenths.
"""

import time

import gevent
from gevent import select

start = time.time()


def tic():
    return "at %.1f seconds" % (int((time.time() - start + 0.03) * 10) / 10)


def gr1():
    print("Started Polling:", tic())
    select.select([], [], [], 0.5)
    print("Ended Polling:", tic())


def gr2():
    print("Started Polling:", tic())
    select.select([], [], [], 0.5)
    print("Ended Polling:", tic())


def gr3():
    print("Hey lets do some stuff while the greenlets poll,", tic())
    gevent.sleep(0.2)
    print("gr3 done", tic())


gevent.joinall([gevent.spawn(gr1), gevent.spawn(gr2), gevent.spawn(gr3)])
