"""Tests of coopconc.signal: a real signal runs the handler in a greenlet, even while the hub
sleeps in a long wait."""

import os
import signal
import threading
import time

import pytest

import coopconc
from coopconc import signal_handler


def test_a_signal_wakes_a_hub_asleep_in_a_long_sleep():
    sleeper = coopconc.spawn(coopconc.sleep, 30)
    seen = []

    def on_usr1(tag):
        seen.append((tag, coopconc.getcurrent() is not coopconc.get_hub()))
        sleeper.kill()  # handlers run in a greenlet: they may block

    handler = signal_handler(signal.SIGUSR1, on_usr1, "usr1")
    sender = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGUSR1))
    started = time.monotonic()
    try:
        sender.start()
        sleeper.join()
    finally:
        handler.cancel()
        sender.join()
    assert seen == [("usr1", True)]
    assert time.monotonic() - started < 10  # generous: not the 30 s sleep


def test_cancel_restores_the_previous_handler():
    before = signal.getsignal(signal.SIGUSR2)
    handler = signal_handler(signal.SIGUSR2, print)
    assert signal.getsignal(signal.SIGUSR2) is not before
    assert repr(handler).startswith("<signal_handler SIGUSR2 -> ")
    handler.cancel()
    assert signal.getsignal(signal.SIGUSR2) is before
    handler.cancel()  # twice is fine


def test_handler_must_be_callable():
    with pytest.raises(TypeError, match="handler must be callable"):
        signal_handler(signal.SIGUSR1, "nope")
