# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""The two ways a run waits: until a look says done, and past write conflicts.

Plain Python over callables (no Kubernetes client): the runner, the operations
and the API edge share them, and the unit tests drive them with a fake clock.
"""

__metaclass__ = type

import time

from ansible_collections.bookkeeper.ops.plugins.module_utils.core.errors import Conflict, KubeError, TimedOut

# The longest pause between two looks: it bounds how late a deadline or a grace
# period is noticed and keeps the Lease renewed.
MAX_PAUSE = 5.0
# Write conflicts in a row that a write gets past; the next one gives up.
MAX_CONFLICTS = 20


def wait_until(look, *, timeout, pause, timed_out, monotonic=time.monotonic):
    """Call ``look()`` until it returns a true value, and return that value.

    Between two looks, call ``pause(seconds)`` with the seconds left (at most
    MAX_PAUSE). After ``timeout`` seconds, raise TimedOut with the text
    ``timed_out()`` gives: it is called then, so that it can tell what the last
    look saw (or raise an error of its own that says more: the last look's, or a
    TimedOut carrying what the run reached).
    """
    started = monotonic()
    while True:
        value = look()
        if value:
            return value
        remaining = timeout - (monotonic() - started)
        if remaining <= 0:
            raise TimedOut(timed_out())
        pause(min(remaining, MAX_PAUSE))


def retry_conflicts(attempt, *, gave_up, limit=MAX_CONFLICTS):
    """Return what ``attempt()`` returns, calling it again after each Conflict.

    The attempt reads the object afresh each time, so that it writes over the
    newest version. After ``limit`` conflicts in a row, the next one raises a
    retryable KubeError with the text ``gave_up``, which names what was written.
    """
    conflicts = 0
    while True:
        try:
            return attempt()
        except Conflict as conflict:
            conflicts += 1
            if conflicts > limit:
                raise KubeError(gave_up, retryable=True) from conflict
