"""Tests of coopconc.timeout: Timeout's life (start, cancel, close), its text, its errors, the
silent form, custom exceptions, with_timeout, and timeouts as ``timeout=`` arguments."""

import pytest

import coopconc
from coopconc import Timeout, now, sleep, virtual_clock, with_timeout


def test_str_and_repr():
    assert str(Timeout(1)) == "1 second"
    assert str(Timeout(2.5)) == "2.5 seconds"
    assert str(Timeout(3, False)) == "3 seconds (silent)"
    assert str(Timeout(3, "too slow")) == "3 seconds: too slow"
    assert str(Timeout()) == ""
    t = Timeout(2, KeyError)
    assert repr(t) == "<Timeout seconds=2 exception=<class 'KeyError'>>"
    t.start()
    assert repr(t).endswith(" pending>")
    t.close()


def test_bad_seconds_name_the_call():
    with pytest.raises(
        TypeError, match=r"Timeout\(seconds='x'\): seconds must be a number or None"
    ):
        Timeout("x")


def test_fires_in_the_greenlet_that_started_it():
    with virtual_clock():
        t = Timeout(2)
        t.start()
        assert t.pending
        with pytest.raises(Timeout) as info:
            sleep(10)
        assert info.value is t and now() == 2.0 and not t.pending


def test_cancel_then_start_again_but_not_twice():
    with virtual_clock():
        t = Timeout(1)
        t.start()
        with pytest.raises(AssertionError, match="already started"):
            t.start()
        t.cancel()
        sleep(2)  # nothing fires
        t.start()
        with pytest.raises(Timeout):
            sleep(2)
        assert now() == 3.0
        t.close()
        with pytest.raises(AssertionError, match="was closed"):
            t.start()


def test_with_block_silent_custom_class_and_instance():
    with virtual_clock():
        with Timeout(1, False):
            sleep(5)
        assert now() == 1.0
        with pytest.raises(KeyError):
            with Timeout(1, KeyError):
                sleep(5)
        err = ValueError("mine")
        with pytest.raises(ValueError) as info:
            with Timeout(1, err):
                sleep(5)
        assert info.value is err
        with Timeout(5) as t:
            sleep(1)
        assert not t.pending and now() == 4.0


def test_timeout_none_never_fires():
    with virtual_clock():
        with Timeout(None) as t:
            sleep(100)
        assert not t.pending


def test_start_new_accepts_a_timeout():
    t = Timeout(5)
    assert Timeout.start_new(t) is t and t.pending
    t.cancel()
    u = Timeout.start_new(5, KeyError)
    assert u.exception is KeyError and u.pending
    u.cancel()


def test_with_timeout_value_or_raise():
    def slow(x):
        sleep(10)
        return x

    with virtual_clock():
        assert with_timeout(1, slow, 1, timeout_value="late") == "late"
        assert with_timeout(20, slow, 2) == 2
        with pytest.raises(Timeout):
            with_timeout(1, slow, 3)
        assert now() == 12.0


def test_an_inner_timeout_is_not_mistaken_for_an_outer_one():
    with virtual_clock():
        with pytest.raises(Timeout) as info:
            with Timeout(5) as outer:
                with Timeout(1, False):
                    sleep(3)
                sleep(10)
        assert info.value is outer and now() == 5.0


def test_timeout_interrupts_join_of_another_greenlet():
    with virtual_clock():
        g = coopconc.spawn(sleep, 10)
        with pytest.raises(Timeout):
            with Timeout(1):
                g.join()
        assert not g.has_links()  # join cleaned up after itself
        g.kill()


def test_comparisons():
    assert Timeout(1) < 2
    assert Timeout(1) < Timeout(2)
    assert not Timeout(3) < 2
