"""The tutorial's timeout examples (times scaled down): a Timeout object passed as the
``timeout=`` of join() and get(), and with_timeout.

Note the quirk of the tutorial's code, which gevent and coopconc share: ``Timeout(1).start()``
returns None, so ``timer`` is None and ``join(timeout=timer)`` waits without a limit; the
Timeout started on the line before still fires in the main greenlet, inside join(), and that
is what prints "Thread 1 timed out". ``Timeout.start_new`` returns the Timeout, so ``get``
really gets it.
"""

import gevent
from gevent import Timeout


def wait():
    gevent.sleep(0.05)


timer = Timeout(0.01).start()
print("Timeout(...).start() returned:", timer)
thread1 = gevent.spawn(wait)
try:
    thread1.join(timeout=timer)
    print("Thread 1 join returned; ready:", thread1.ready())
except Timeout:
    print("Thread 1 timed out")

timer = Timeout.start_new(0.01)
thread2 = gevent.spawn(wait)
try:
    thread2.get(timeout=timer)
except Timeout as t:
    print("Thread 2 timed out; it was our timer:", t is timer)

try:
    gevent.with_timeout(0.01, wait)
except Timeout:
    print("Thread 3 timed out")

gevent.joinall([thread1, thread2])
print("both sleepers finished anyway:", thread1.ready(), thread2.ready())
