"""Worked solutions of notebook 14's exercises, and plausible wrong answers the checker rejects."""

import subprocess

from coopconc.subprocess import PIPE, Popen, TimeoutExpired


def run_all(commands):
    children = [Popen(command, stdout=PIPE) for command in commands]  # all start now
    return [child.communicate()[0] for child in children]


def run_all_serial(commands):
    """Wrong: each child is waited on before the next starts."""
    return [Popen(command, stdout=PIPE).communicate()[0] for command in commands]


def run_all_blocking(commands):
    """Wrong: the standard library's Popen: the children overlap, but waiting blocks the hub."""
    children = [subprocess.Popen(command, stdout=subprocess.PIPE) for command in commands]
    return [child.communicate()[0] for child in children]


def output_or_none(command, seconds):
    child = Popen(command, stdout=PIPE)
    try:
        return child.communicate(timeout=seconds)[0]
    except TimeoutExpired:
        child.kill()
        child.wait()
        return None


def output_or_none_abandons(command, seconds):
    """Wrong: gives up in time but leaves the child running."""
    child = Popen(command, stdout=PIPE)
    try:
        return child.communicate(timeout=seconds)[0]
    except TimeoutExpired:
        return None


def output_or_none_waits(command, seconds):
    """Wrong: waits for the child whatever the limit, then judges."""
    child = Popen(command, stdout=PIPE)
    out = child.communicate()[0]
    return out if seconds > 1 else None


SOLUTIONS = {"14.1": run_all, "14.2": output_or_none}
WRONG = {
    "14.1": [run_all_serial, run_all_blocking],
    "14.2": [output_or_none_abandons, output_or_none_waits],
}
