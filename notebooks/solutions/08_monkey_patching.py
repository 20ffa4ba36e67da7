"""Worked solutions of notebook 08's exercises, and plausible wrong answers the checker rejects."""

import os

import coopconc
import coopconc.subprocess


def late_copies(modules, original):
    return sorted(
        f"{name}.{attr}"
        for name, module in modules.items()
        for attr, value in vars(module).items()
        if value is original
    )


def late_copies_equal(modules, original):
    """Wrong: compares with == instead of `is`."""
    return sorted(
        f"{name}.{attr}"
        for name, module in modules.items()
        for attr, value in vars(module).items()
        if value == original
    )


def late_copies_unsorted(modules, original):
    """Wrong: forgets to sort."""
    return [
        f"{name}.{attr}"
        for name, module in reversed(list(modules.items()))
        for attr, value in vars(module).items()
        if value is original
    ]


def cooperative_system(command):
    return coopconc.subprocess.call(command, shell=True)


def cooperative_system_blocking(command):
    """Wrong: os.system blocks every greenlet while the command runs."""
    return os.waitstatus_to_exitcode(os.system(command))


def cooperative_system_faked(command):
    """Wrong: the example's answer, typed in: sleep 0.3 s and return 3."""
    coopconc.sleep(0.3)
    return 3


SOLUTIONS = {"08.1": late_copies, "08.2": cooperative_system}
WRONG = {
    "08.1": [late_copies_equal, late_copies_unsorted],
    "08.2": [cooperative_system_blocking, cooperative_system_faked],
}
