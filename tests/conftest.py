"""Shared test set-up: every test starts with a fresh hub in a fresh state."""

import pytest

from coopconc.hub import get_hub_if_exists


@pytest.fixture(autouse=True)
def fresh_hub():
    """Give each test a new hub, and destroy whatever hub the test left behind."""
    old = get_hub_if_exists()
    if old is not None:
        old.destroy()
    yield
    hub = get_hub_if_exists()
    if hub is not None:
        hub.destroy()


def _fds_watched_by_epoll() -> set:
    """Every fd that some epoll instance of this process watches (from /proc/self/fdinfo):
    what the kernel is asked to watch, whatever the hub's own bookkeeping says."""
    import os

    watched = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") != "anon_inode:[eventpoll]":
                continue
            with open(f"/proc/self/fdinfo/{name}") as info:
                watched.update(int(line.split()[1]) for line in info if line.startswith("tfd:"))
        except OSError:
            continue  # closed meanwhile
    return watched


@pytest.fixture
def epoll_watched():
    """``epoll_watched()``: the set of fds the kernel watches for this process's epolls."""
    return _fds_watched_by_epoll
