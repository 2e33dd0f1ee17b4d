"""The request door: each attempt's timeout, the retries a request gets, and what it says when it gives up.

Driven by a fake clock: every attempt "takes" the time its timeout allows, so the arithmetic is checked without
waiting.
"""

import pytest
from kubernetes.client.rest import ApiException
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import errors
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import http_door as door_rules
from ansible_collections.bookkeeper.ops.tests.support.clock import FakeClock

SERVER = "https://10.0.0.1:6443"


class Silent:
    """An API server that accepts and never answers: each attempt lasts its read timeout, then fails."""

    def __init__(self, clock, answer_after=None):
        self.clock = clock
        self.timeouts = []
        self.answer_after = answer_after  # an answer comes once the clock passes this

    def __call__(self, *args, _request_timeout, **kwargs):
        self.timeouts.append(_request_timeout)
        if self.answer_after is not None and self.clock.now >= self.answer_after:
            return "answer"
        self.clock.now += _request_timeout[1]
        raise ReadTimeoutError(None, "/apis", "Read timed out. (read timeout=%s)" % _request_timeout[1])


def door(clock, seconds=None):
    return door_rules.Door(SERVER, seconds=seconds, monotonic=clock, sleep=clock.sleep)


def test_an_attempt_is_bounded_by_its_ceiling_the_window_and_the_run_with_its_grace():
    timeout = door_rules.attempt_timeout(now=0, window_ends=45, run_ends=None)
    assert timeout == (door_rules.CONNECT_SECONDS, door_rules.ATTEMPT_SECONDS)
    assert door_rules.attempt_timeout(now=40, window_ends=45, run_ends=None) == (5.0, 5.0)
    assert door_rules.attempt_timeout(now=43, window_ends=45, run_ends=None) == (2.0, 2.0), "connect within the read"
    assert door_rules.attempt_timeout(now=45, window_ends=45, run_ends=None) is None
    # Past the run's end, its closing requests share one attempt's length.
    assert door_rules.attempt_timeout(now=100, window_ends=None, run_ends=95) == (5.0, door_rules.GRACE_SECONDS - 5)
    assert door_rules.attempt_timeout(now=95 + door_rules.GRACE_SECONDS, window_ends=None, run_ends=95) is None
    # A watch's own ceiling: the server's timeoutSeconds plus the margin.
    assert (
        door_rules.attempt_timeout(now=0, window_ends=None, run_ends=None, ceiling=3 + door_rules.WATCH_MARGIN_SECONDS)[
            1
        ]
        == 8
    )


def test_retries_stop_at_the_window_or_the_run_s_end_whichever_is_first():
    assert door_rules.retry_allowed(now=10, delay=8, window_ends=45, run_ends=None)
    assert not door_rules.retry_allowed(now=40, delay=8, window_ends=45, run_ends=None)
    assert not door_rules.retry_allowed(now=10, delay=8, window_ends=None, run_ends=15)
    assert door_rules.retry_allowed(now=500, delay=8, window_ends=None, run_ends=1800), (
        "an answering server: the run's time"
    )
    assert not door_rules.retry_allowed(now=0, delay=0.2, window_ends=None, run_ends=None), (
        "nothing bounds it: no retry"
    )


def test_a_server_that_never_answers_fails_within_the_window_naming_itself_and_what_was_done():
    clock = FakeClock(1000.0)
    silent = Silent(clock)
    with pytest.raises(errors.KubeError) as failed:
        door(clock).request("reading BookkeeperCluster ns/bk", silent)
    took = clock.now - 1000.0
    assert door_rules.WINDOW_SECONDS - 1 <= took <= door_rules.WINDOW_SECONDS
    assert [timeout[1] for timeout in silent.timeouts] == pytest.approx([20, 9.8])
    message = str(failed.value)
    assert message.startswith("reading BookkeeperCluster ns/bk: the API server at %s did not answer in 30 s" % SERVER)
    assert "2 attempts" in message and "Read timed out" in message and message.endswith("retryable, run again")
    assert failed.value.retryable and failed.value.status is None
    assert isinstance(failed.value.__cause__, ReadTimeoutError), "the cause is chained"


def test_a_run_s_requests_wait_for_a_server_that_answered_before_until_the_run_ends_then_its_grace():
    clock = FakeClock(1000.0)
    requests = door(clock, seconds=120)
    assert requests.request("reading", lambda **timeout: "first") == "first"
    silent = Silent(clock)
    with pytest.raises(errors.KubeError):
        requests.request("reading", silent)
    took = clock.now - 1000.0
    assert 120 <= took <= 120 + door_rules.GRACE_SECONDS, "retried past the window while the run has time, no further"
    # After the run's end no retry: a closing request gets what is left of the grace, then nothing.
    closing = Silent(clock)
    with pytest.raises(errors.KubeError):
        requests.request("releasing Lease ns/bk", closing)
    assert len(closing.timeouts) <= 1 and clock.now - 1000.0 <= 120 + door_rules.GRACE_SECONDS
    assert requests.seconds_left() == 0
    with pytest.raises(errors.KubeError) as too_late:
        requests.request("releasing Lease ns/bk", Silent(clock))
    assert str(too_late.value) == (
        "releasing Lease ns/bk: no time was left in the run to ask the API server at %s; retryable, run again" % SERVER
    )


def test_a_paused_server_that_comes_back_is_answered_by_a_retry():
    clock = FakeClock(1000.0)
    requests = door(clock, seconds=300)
    requests.request("reading", lambda **timeout: "first")
    silent = Silent(clock, answer_after=1000.0 + 60)  # paused for a minute, longer than the window
    assert requests.request("reading", silent) == "answer"
    assert len(silent.timeouts) >= 4


def test_an_address_that_never_answered_is_not_waited_for_a_whole_run():
    clock = FakeClock(1000.0)
    with pytest.raises(errors.KubeError):
        door(clock, seconds=1800).request("reading", Silent(clock))
    assert clock.now - 1000.0 <= door_rules.WINDOW_SECONDS


def test_transient_answers_and_resets_are_retried_and_others_are_not():
    clock = FakeClock(1000.0)
    answers = [ApiException(status=503, reason="busy"), ProtocolError("reset"), "ok"]

    def flaky(**_timeout):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert door(clock).request("reading", flaky) == "ok"
    assert clock.pauses == [0.2, 0.5]

    def busy(**_timeout):
        raise ApiException(status=503, reason="busy")

    with pytest.raises(errors.KubeError) as unavailable:
        door(clock).request("reading", busy)
    assert "HTTP 503" in str(unavailable.value) and isinstance(unavailable.value.__cause__, ApiException)

    def missing(**_timeout):
        raise ApiException(status=404, reason="Not Found")

    calls = []
    with pytest.raises(errors.NotFound):
        door(clock).request("reading", lambda **timeout: calls.append(1) or missing())
    assert calls == [1]


def test_an_unretried_request_is_sent_once():
    clock = FakeClock(1000.0)
    silent = Silent(clock)
    with pytest.raises(errors.KubeError) as failed:
        door(clock, seconds=600).request("evicting pod ns/bk-0", silent, retry=False, ceiling=3)
    assert silent.timeouts == [(3, 3)] and "1 attempt;" in str(failed.value)
