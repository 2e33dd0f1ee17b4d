# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""The one door of every HTTP request to the API server: each attempt bounded, transient failures retried, every
failure raised typed.

An API server that accepts the connection and never answers (a half-open link, a stuck proxy, a paused process)
would otherwise hold a request until the kernel gives up on the socket, far past any timeout the user set. So each
attempt carries a connect timeout (which covers the TLS handshake) and a read timeout, and the attempts of one
request stop when its time is up:

* a door that bounds a run (``seconds``, the module's ``timeout``) retries while the run has time, and leaves the
  requests that close a run (its result, the Lease's release) one attempt's length past the run's end (GRACE);
* an address that has not answered yet, and every request of a door without a run, stop after WINDOW_SECONDS, so
  that a mistyped or dead address fails in under a minute rather than at the end of a long run.

Transient means a timeout, a reset connection, or an answer in errors.TRANSIENT_STATUSES; what remains becomes the
error errors.api_error builds, named by what was being done. The time rules are the pure functions ``attempt_timeout``
and ``retry_allowed``.
"""

__metaclass__ = type

import collections
import json
import time

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import errors

try:
    import urllib3
    from kubernetes.client.rest import ApiException
except ImportError:  # connection.KUBERNETES_IMPORT_ERROR reports it
    pass

# A TCP connection and TLS handshake that take longer than this are not coming.
CONNECT_SECONDS = 5.0
# The longest one attempt waits for its answer: reads, writes and the Lease (a Lease lasts 30 s, renewed each 10 s).
ATTEMPT_SECONDS = 20.0
# How long a request is retried when no run bounds it, or while its address has never answered.
WINDOW_SECONDS = 30.0
# What a run's closing requests may take past the run's end: one attempt.
GRACE_SECONDS = ATTEMPT_SECONDS
# A watch's read waits this much longer than its server-side timeoutSeconds: a stream silent past that is dead.
WATCH_MARGIN_SECONDS = 5.0
# Pauses between attempts; the last repeats while there is time.
RETRY_DELAYS = (0.2, 0.5, 1, 2, 4, 8)
# Below this, an attempt is not worth sending.
SHORTEST_ATTEMPT = 0.1

Timeout = collections.namedtuple("Timeout", "connect read")


def attempt_timeout(*, now, window_ends, run_ends, ceiling=ATTEMPT_SECONDS):
    """The Timeout of an attempt sent at ``now``, or None when no time is left for one.

    ``window_ends``: when the request stops being retried without a run (None: no window); ``run_ends``: when the
    run's time is up (None: no run), past which GRACE_SECONDS remain; ``ceiling``: the longest one attempt may wait.
    """
    limits = [ceiling]
    if window_ends is not None:
        limits.append(window_ends - now)
    if run_ends is not None:
        limits.append(run_ends + GRACE_SECONDS - now)
    read = round(min(limits), 1)  # tenths: urllib3 quotes the timeout in its message
    if read < SHORTEST_ATTEMPT:
        return None
    return Timeout(min(CONNECT_SECONDS, read), read)


def retry_allowed(*, now, delay, window_ends, run_ends):
    """Whether an attempt may follow after ``delay`` seconds: only while the window and the run both have time."""
    ends = [end for end in (window_ends, run_ends) if end is not None]
    return bool(ends) and now + delay < min(ends)


def delays():
    """The pauses between attempts: RETRY_DELAYS, then its last for ever."""
    yield from RETRY_DELAYS
    while True:
        yield RETRY_DELAYS[-1]


class Door:
    """The requests of one connection to ``server`` (its address, for messages), bounded by a run of ``seconds``.

    ``monotonic`` and ``sleep`` are the clock, so that the unit tests run the time rules without waiting.
    """

    def __init__(self, server, *, seconds=None, monotonic=time.monotonic, sleep=time.sleep):
        self.server = server
        self.monotonic = monotonic
        self.sleep = sleep
        self.run_ends = None if seconds is None else monotonic() + seconds
        self.answered = False  # whether the API server has answered this door once

    def seconds_left(self):
        """The run's seconds left (0 once it is over), or None when no run bounds this door."""
        return None if self.run_ends is None else max(0.0, self.run_ends - self.monotonic())

    def _window_ends(self, started):
        if self.run_ends is not None and self.answered:
            return None
        return started + WINDOW_SECONDS

    def request(self, what, call, *args, retry=True, ceiling=ATTEMPT_SECONDS, **kwargs):
        """``call(*args, **kwargs)`` with each attempt's timeout, tried again while it fails transiently and there
        is time (only once with ``retry=False``); ``ceiling`` bounds one attempt."""
        started = self.monotonic()
        window_ends = self._window_ends(started)
        attempts, pauses, failure = 0, delays(), None
        while True:
            now = self.monotonic()
            timeout = attempt_timeout(now=now, window_ends=window_ends, run_ends=self.run_ends, ceiling=ceiling)
            if timeout is None:
                raise self.unanswered(what, attempts, now - started, failure)
            attempts += 1
            try:
                answer = call(*args, _request_timeout=tuple(timeout), **kwargs)
                self.answered = True
                return answer
            except ApiException as error:
                self.answered = self.answered or bool(error.status)
                if not retry or not errors.is_transient(error):
                    raise errors.api_error(error, what) from error
                failure = error
            except (OSError, urllib3.exceptions.HTTPError) as error:
                failure = error
            delay = next(pauses)
            now = self.monotonic()
            if not retry or not retry_allowed(now=now, delay=delay, window_ends=window_ends, run_ends=self.run_ends):
                if isinstance(failure, ApiException):
                    raise errors.api_error(failure, what) from failure
                raise self.unanswered(what, attempts, now - started, failure) from failure
            self.sleep(delay)

    def unanswered(self, what, attempts, seconds, failure):
        """The error for ``what``, unanswered after ``attempts`` over ``seconds`` (``failure``: the last one)."""
        return errors.unanswered(what, server=self.server, attempts=attempts, seconds=seconds, failure=failure)

    def read(self, what, call, *args, **kwargs):
        """``request`` of a read whose answer comes back as the plain dict the API server sent."""
        return decode(self.request(what, call, *args, _preload_content=False, **kwargs))

    def watch_timeout(self, seconds):
        """The client-side Timeout of a watch asked to last ``seconds`` on the server, or None without time left."""
        return attempt_timeout(
            now=self.monotonic(),
            window_ends=None,
            run_ends=self.run_ends,
            ceiling=seconds + WATCH_MARGIN_SECONDS,
        )


def decode(response):
    return json.loads(response.data)
