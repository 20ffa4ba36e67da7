"""signal_handler: a signal runs the handler in a greenlet, waking a hub that sleeps."""

import os
import signal

import gevent

got = []


def handler(tag):
    got.append(tag)
    print("handler ran with", tag, "in a greenlet:", gevent.getcurrent() is not main)


main = gevent.getcurrent()
h = gevent.signal_handler(signal.SIGUSR1, handler, "usr1")


def send():
    gevent.sleep(0.01)
    os.kill(os.getpid(), signal.SIGUSR1)


gevent.spawn(send)
gevent.sleep(0.1)
print("after sleep:", got)
h.cancel()
print("cancelled")
