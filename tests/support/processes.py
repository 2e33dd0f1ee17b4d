"""Processes on this machine, read from /proc: for the tests and the drills that kill runs."""

import os
import pathlib
import signal


def descendants(pid):
    """The processes below ``pid``; Ansible's workers start sessions of their own, so a group kill misses them."""
    children = {}
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill(pids):
    """SIGKILL each of ``pids`` that still runs."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def kill_tree(pid):
    """kill -9 of a playbook run and every process it started, as when its machine or container dies."""
    kill([pid, *descendants(pid)])
