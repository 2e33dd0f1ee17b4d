"""The one wait-until loop and the one conflict retry that every waiting and retrying caller shares."""

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core.errors import Conflict, KubeError, NotFound, TimedOut
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import waiting
from ansible_collections.bookkeeper.ops.tests.support.clock import FakeClock


def test_wait_until_pauses_between_looks_and_returns_the_first_true_look():
    clock = FakeClock(100.0)
    looks = iter([None, {}, "ready"])
    found = waiting.wait_until(lambda: next(looks), timeout=60, pause=clock.pause, timed_out=str, monotonic=clock)
    assert found == "ready"
    assert clock.pauses == [waiting.MAX_PAUSE, waiting.MAX_PAUSE]


def test_wait_until_asks_for_the_timeout_text_at_the_deadline_after_the_last_look():
    clock = FakeClock(100.0)
    seen = []

    def look():
        seen.append(clock.now)
        return False

    with pytest.raises(TimedOut) as late:
        waiting.wait_until(
            look, timeout=12, pause=clock.pause, timed_out=lambda: "never ready at %d" % seen[-1], monotonic=clock
        )
    assert (str(late.value), late.value.retryable) == ("never ready at 112", True)
    assert clock.pauses == [5.0, 5.0, 2.0]  # at most MAX_PAUSE, and never past the deadline


def test_wait_until_lets_the_timeout_raise_a_more_telling_error_and_passes_other_errors_on_at_once():
    clock = FakeClock(100.0)
    missing = NotFound("the type is not served (HTTP 404)")

    def still_missing():
        raise missing

    with pytest.raises(NotFound) as late:
        waiting.wait_until(lambda: False, timeout=1, pause=clock.pause, timed_out=still_missing, monotonic=clock)
    assert late.value is missing
    with pytest.raises(ZeroDivisionError):
        waiting.wait_until(lambda: 1 / 0, timeout=60, pause=clock.pause, timed_out=str, monotonic=clock)


def test_retry_conflicts_tries_again_after_each_conflict_and_returns_the_answer():
    conflicts = iter([True, True, False])

    def attempt():
        if next(conflicts):
            raise Conflict("changed since read")
        return "written"

    assert waiting.retry_conflicts(attempt, gave_up="gave up") == "written"


def test_retry_conflicts_gives_up_with_a_retryable_error_naming_the_write():
    attempts = []

    def attempt():
        attempts.append(1)
        raise Conflict("changed since read")

    with pytest.raises(KubeError) as failed:
        waiting.retry_conflicts(attempt, gave_up="gave up writing the thing; retryable", limit=3)
    assert (str(failed.value), failed.value.retryable, len(attempts)) == (
        "gave up writing the thing; retryable",
        True,
        4,
    )
    assert not isinstance(failed.value, Conflict)


def test_retry_conflicts_passes_other_errors_on_at_once():
    attempts = []

    def attempt():
        attempts.append(1)
        raise KubeError("forbidden (403)")

    with pytest.raises(KubeError, match="forbidden"):
        waiting.retry_conflicts(attempt, gave_up="gave up")
    assert len(attempts) == 1
