"""The tutorial's first examples: explicit switches with sleep(0), and blocking calls that yield.

Two functions take turns: each sleep(0) hands control to the other one. Then three tasks that
each "wait on I/O" (here: a short sleep of a different length) finish in the order their waits
end, not in the order they started.
"""

import gevent


def foo():
    print("Running in foo")
    gevent.sleep(0)
    print("Explicit context switch to foo again")


def bar():
    print("Explicit context to bar")
    gevent.sleep(0)
    print("Implicit context switch back to bar")


gevent.joinall([gevent.spawn(foo), gevent.spawn(bar)])

order = []


def waits(name, seconds):
    print(name, "starts waiting")
    gevent.sleep(seconds)
    order.append(name)
    print(name, "done waiting")


gevent.joinall(
    [
        gevent.spawn(waits, "gr1", 0.06),
        gevent.spawn(waits, "gr2", 0.02),
        gevent.spawn(waits, "gr3", 0.04),
    ]
)
print("finish order:", order)
