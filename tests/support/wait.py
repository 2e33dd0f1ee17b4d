"""Polling until something holds: for what the tests cannot watch for."""

import time


def wait_for(what, predicate, timeout=60, interval=0.2):
    """Wait until ``predicate()`` returns something true, and return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %d s waiting for %s" % (timeout, what))
        time.sleep(interval)
