"""Shared test set-up: every test starts with a fresh hub in a fresh state."""

import pytest

from coopconc.hub import _local


@pytest.fixture(autouse=True)
def fresh_hub():
    """Give each test a new hub, and destroy whatever hub the test left behind."""
    old = getattr(_local, "hub", None)
    if old is not None:
        old.destroy()
    yield
    hub = getattr(_local, "hub", None)
    if hub is not None:
        hub.destroy()
