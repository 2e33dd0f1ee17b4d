import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import errors, machine, versions
from ansible_collections.bookkeeper.ops.plugins.module_utils.core.errors import KubeError, TimedOut
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import runner
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.support.fake_api import FakeAPI, drive


def test_drive_completes_an_upgrade_waking_only_between_pods():
    api = FakeAPI("0.14.0")
    result = drive(api)
    assert result["changed"] is True
    assert [w for w in api.writes if w[0] == "evict"] == [("evict", "bk-bookie-%d" % i) for i in range(3)]
    assert result["cluster"]["current_version"] == "0.14.0"
    assert result["cluster"]["version_history"] == ["0.13.0", "0.14.0"]
    assert result["steps"][-1]["step"] == machine.IDLE
    assert api.waits == 3
    assert result["diff"]["before"]["currentVersion"] == "0.13.0"
    assert result["diff"]["after"]["currentVersion"] == "0.14.0"


def test_a_run_for_one_pod_stops_once_that_pod_is_ready_on_the_target():
    api = FakeAPI("0.14.0")
    result = runner.drive(
        api,
        options=RolloutOptions(wait=True, timeout=3600, pod="bk-bookie-1"),
        clock=api.clock,
        monotonic=api.monotonic,
    )
    assert [w[1] for w in api.writes if w[0] == "evict"] == ["bk-bookie-0", "bk-bookie-1"]
    assert result["cluster"]["target_version"] == "0.14.0"
    assert runner.pod_done("bk-bookie-9")(api.observe()) is False
    assert runner.pod_done("bk-bookie-0")(FakeAPI("0.13.0").observe()) is False


def test_one_step_without_wait():
    api = FakeAPI("0.14.0")
    result = drive(api, wait=False)
    assert [s["step"] for s in result["steps"]] == [machine.START_UPGRADE]
    assert api.waits == 0


def test_a_failed_upgrade_raises_with_the_condition_message_and_records_an_event():
    api = FakeAPI("0.14.0", {"0.14.0": "pull"})
    with pytest.raises(runner.RunFailed) as failed:
        drive(api)
    assert str(failed.value) == "pod bk-bookie-0 update failed because of ImagePullBackOff"
    assert ("event", "Upgrade Error") in api.writes
    assert failed.value.result["cluster"]["current_version"] == "0.13.0"
    assert ("template", "0.13.0") in api.writes


def test_write_conflicts_are_retried_from_a_fresh_observation():
    api = FakeAPI("0.14.0")
    api.conflicts = 2
    assert drive(api)["cluster"]["current_version"] == "0.14.0"


def test_endless_conflicts_give_a_retryable_error():
    api = FakeAPI("0.14.0")
    api.conflicts = 1000
    with pytest.raises(KubeError) as failed:
        drive(api)
    assert failed.value.retryable
    assert str(failed.value) == "gave up after 21 write conflicts on bk; retryable"


def test_an_eviction_blocked_by_a_budget_is_the_reason_for_waiting():
    api = FakeAPI("0.14.0")
    api.blocked = "eviction of pod bk-bookie-0 is blocked by a PodDisruptionBudget: Cannot evict pod"
    with pytest.raises(TimedOut) as failed:
        drive(api, timeout=12)
    assert not isinstance(failed.value, KubeError), "running out of time is no API failure"
    reached = failed.value.result
    assert reached["steps"][-1]["step"] == "replace_pod" and reached["cluster"]["target_version"] == "0.14.0"
    assert str(failed.value) == (
        "timed out after 12 s while the cluster was at step 'replace_pod': eviction of pod bk-bookie-0 is blocked by "
        "a PodDisruptionBudget: Cannot evict pod; the run can be resumed by running it again"
    )
    assert failed.value.retryable
    # The Lease is renewed after every look (start, template, three blocked evictions); the watch waits only while
    # blocked: 5 s, 5 s, then the 2 s left.
    assert (api.waits, api.lease.count("renew")) == (3, 5)
    assert not [w for w in api.writes if w[0] == "evict"]


def test_a_malformed_version_is_a_refusal():
    assert versions.check_requested("0.14.0") == "0.14.0"
    with pytest.raises(errors.Refused):
        versions.check_requested("fourteen")
