"""bk_status judges pod faults as a run does: a fault now, or one within its grace."""

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import faults, summary
from ansible_collections.bookkeeper.ops.tests.support.factories import at, pod


def shown(replaced, seconds):
    return summary._pod(replaced, at(seconds))


def test_a_first_pull_error_is_in_grace_until_the_run_would_fail_on_it():
    pulling = pod("bk-bookie-0", "0.14.0", ready=False, waiting="ErrImagePull", created=at(0))
    grace = faults.DEFAULT_LIMITS.pull_error_grace.total_seconds()
    assert (shown(pulling, 2)["fault"], shown(pulling, 2)["fault_in_grace"]) == ("", "ErrImagePull")
    assert (shown(pulling, grace)["fault"], shown(pulling, grace)["fault_in_grace"]) == ("ErrImagePull", "")


def test_a_crash_loop_is_a_fault_at_once_and_a_ready_or_starting_pod_shows_none():
    crashing = pod("bk-bookie-0", "0.14.0", ready=False, waiting="CrashLoopBackOff")
    assert (shown(crashing, 0)["fault"], shown(crashing, 0)["fault_in_grace"]) == ("CrashLoopBackOff", "")
    for quiet in (pod("bk-bookie-1", "0.14.0"), pod("bk-bookie-2", "0.14.0", ready=False, waiting="ContainerCreating")):
        assert (shown(quiet, 100)["fault"], shown(quiet, 100)["fault_in_grace"]) == ("", "")


def test_every_fault_bk_status_shows_is_one_the_run_fails_on():
    for waiting in ("ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff", "ContainerCreating"):
        for seconds in (0, 5, 9, 10, 30):
            replaced = pod("bk-bookie-0", "0.14.0", ready=False, waiting=waiting, created=at(0))
            run_fault = faults.classify(replaced, at(seconds))
            assert shown(replaced, seconds)["fault"] == (run_fault.reason if run_fault else "")
