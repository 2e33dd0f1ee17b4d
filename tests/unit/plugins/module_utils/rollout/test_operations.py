"""What each module's operation does over the fake adapter: refusals before any write, check mode, the Lease, and
the clocks it is given."""

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import errors
from ansible_collections.bookkeeper.ops.plugins.module_utils.core.errors import KubeError, TimedOut
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations, runner
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.support.factories import status_with
from ansible_collections.bookkeeper.ops.tests.support.fake_api import FakeAPI, drive


def test_operations_upgrade_refuses_a_downgrade_without_writing():
    api = FakeAPI("0.13.0")
    with pytest.raises(operations.Refused) as refused:
        operations.upgrade(api, version="0.12.0", options=RolloutOptions(wait=True, timeout=60))
    assert "downgrading the cluster from version 0.13.0 to 0.12.0 is not supported" in str(refused.value)
    assert api.writes == [] and api.lease == []


def test_a_pod_option_naming_no_bookie_is_refused_without_writing():
    api = FakeAPI("0.13.0")
    with pytest.raises(operations.Refused) as refused:
        operations.upgrade(api, version="0.14.0", options=RolloutOptions(wait=True, timeout=60, pod="nosuch-bookie-7"))
    assert str(refused.value) == (
        "pod nosuch-bookie-7 is not a bookie of cluster bk; its bookies are bk-bookie-0, bk-bookie-1, bk-bookie-2"
    )
    assert api.writes == [] and api.lease == []
    failed = FakeAPI("0.14.0", {"0.14.0": "pull"})
    with pytest.raises(runner.RunFailed):
        drive(failed)
    written = len(failed.writes)
    with pytest.raises(operations.Refused, match="pod bk-bookie-3 is not a bookie of cluster bk"):
        operations.rollback(failed, options=RolloutOptions(wait=True, timeout=60, pod="bk-bookie-3"))
    assert len(failed.writes) == written


def test_operations_upgrade_check_mode_returns_the_plan_and_writes_nothing():
    api = FakeAPI("0.13.0")
    result = operations.upgrade(api, version="0.14.0", options=RolloutOptions(wait=True, timeout=60, check_mode=True))
    assert [s["pod"] for s in result["plan"]] == ["bk-bookie-0", "bk-bookie-1", "bk-bookie-2"]
    assert result["changed"] is True and api.writes == []
    assert (
        operations.upgrade(
            FakeAPI("0.13.0"), version="0.13.0", options=RolloutOptions(wait=True, timeout=60, check_mode=True)
        )["plan"]
        == []
    )


def test_operations_upgrade_sets_the_version_under_the_lease():
    api = FakeAPI("0.13.0")
    result = operations.upgrade(
        api,
        version="0.14.0",
        options=RolloutOptions(wait=True, timeout=3600),
        clock=api.clock,
        monotonic=api.monotonic,
    )
    assert api.writes[0] == ("version", "0.14.0")
    assert api.lease[0] == "acquire" and api.lease[-1] == "release"
    assert result["cluster"]["current_version"] == "0.14.0"


def test_operations_run_on_the_clocks_they_are_given_so_their_time_rules_need_no_sleep():
    api = FakeAPI("0.13.0", {"0.14.0": "slow"})
    with pytest.raises(TimedOut) as late:
        operations.upgrade(
            api,
            version="0.14.0",
            options=RolloutOptions(wait=True, timeout=40),
            clock=api.clock,
            monotonic=api.monotonic,
        )
    assert api.seconds == 40, "the run ended on the fake clock's deadline"
    assert "timed out after 40 s while the cluster was at step 'wait'" in str(late.value)
    assert late.value.retryable and {step["time"] for step in late.value.result["steps"]} == {"2026-11-24T09:00:00Z"}
    assert api.lease[-1] == "release", "a run out of time still releases its Lease"


def test_operations_rollback_of_a_settled_cluster_answers_nothing_to_roll_back_and_writes_nothing():
    api = FakeAPI("0.13.0")
    drive(api, wait=False)  # the status as the core records it on a healthy cluster
    api.writes, api.lease = [], []
    result = operations.rollback(
        api, options=RolloutOptions(wait=True, timeout=60), clock=api.clock, monotonic=api.monotonic
    )
    assert (result["changed"], result["msg"]) == (False, "nothing to roll back: the cluster is healthy at 0.13.0")
    assert api.writes == [] and api.lease == [], "no write, no Lease"
    with pytest.raises(operations.Refused) as refused:
        operations.rollback(api, version="0.12.0", options=RolloutOptions(wait=True, timeout=60), clock=api.clock)
    assert "only allowed after a failed upgrade" in str(refused.value)


def test_operations_rollback_refuses_a_healthy_cluster_and_accepts_a_failed_one():
    with pytest.raises(operations.Refused):
        operations.rollback(FakeAPI("0.13.0"), options=RolloutOptions(wait=True, timeout=60))
    api = FakeAPI("0.14.0", {"0.14.0": "pull"})
    with pytest.raises(runner.RunFailed):
        drive(api)
    plan = operations.rollback(api, options=RolloutOptions(wait=True, timeout=60, check_mode=True))
    assert [s["pod"] for s in plan["plan"]] == ["bk-bookie-0"]
    with pytest.raises(operations.Refused) as refused:
        operations.rollback(api, version="0.12.0", options=RolloutOptions(wait=True, timeout=60))
    assert "Only rollback to version 0.13.0 is supported." in str(refused.value)


def test_operations_status_sets_a_condition_once():
    api = FakeAPI("0.13.0")
    drive(api)
    wanted = {"type": "Error", "status": "True", "reason": "UpgradeFailed", "text": "manual"}
    assert operations.status(api, condition=wanted, check_mode=True)["changed"] is True and len(api.writes) == 1
    api.conflicts = 1
    first = operations.status(api, condition=wanted)
    assert first["changed"] is True
    assert cond.is_true(first["cluster"]["conditions"], "Error", "UpgradeFailed")
    assert cond.find(first["cluster"]["conditions"], "Error")["message"] == "manual"
    assert cond.find(api.fake.cr["status"]["conditions"], "Error")["message"] == "manual"
    assert operations.status(api, condition=wanted)["changed"] is False
    assert operations.status(api)["changed"] is False


def test_rollout_options_are_given_by_keyword_and_copied_on_change():
    with pytest.raises(TypeError):
        RolloutOptions(True, 60)  # pylint: disable=missing-kwoa,too-many-function-args
    with pytest.raises(TypeError):
        operations.rollback(  # pylint: disable=missing-kwoa,too-many-function-args
            FakeAPI("0.13.0"), None, RolloutOptions(wait=True, timeout=60)
        )
    asked = RolloutOptions(wait=True, timeout=60, pod="bk-bookie-1", auto_rollback=True)
    changed = asked.replace(timeout=5, pod=None)
    assert (changed.wait, changed.timeout, changed.pod, changed.auto_rollback) == (True, 5, None, True)
    assert (asked.timeout, asked.pod) == (60, "bk-bookie-1")
    params = {"wait": False, "timeout": 30, "pod": "bk-bookie-0", "health_check": {"type": "bookkeeper"}}
    given = RolloutOptions.from_params(params, True)
    assert (given.wait, given.timeout, given.check_mode, given.pod) == (False, 30, True, "bk-bookie-0")
    assert (given.health, given.auto_rollback) == ({"type": "bookkeeper"}, False)


def test_operations_give_up_on_endless_write_conflicts_naming_what_they_wrote():
    api = FakeAPI("0.13.0")
    api.conflicts = 1000
    with pytest.raises(KubeError) as failed:
        operations.status(api, condition={"type": "Error", "status": "True", "reason": "UpgradeFailed"})
    assert str(failed.value) == "gave up writing the condition after repeated write conflicts; retryable"
    assert failed.value.retryable

    def conflicting(cluster, version):
        raise errors.Conflict("spec changed")

    api.set_version = conflicting
    with pytest.raises(KubeError) as failed:
        operations.upgrade(api, version="0.14.0", options=RolloutOptions(wait=False, timeout=60))
    assert str(failed.value) == "gave up setting spec.version after repeated write conflicts; retryable"
    assert failed.value.retryable and api.lease[-1] == "release"


def test_an_upgrading_condition_without_a_target_version_is_no_upgrade_to_admission_either():
    """As the Pravega operator may leave a status: the core cancels such a rollout, so a new upgrade is admitted."""
    api = FakeAPI("0.13.0", status=status_with(cond.UPGRADING, target=""))
    result = operations.upgrade(api, version="0.14.0", options=RolloutOptions(wait=False, timeout=60, check_mode=True))
    assert result["plan"] and not api.writes
    with pytest.raises(errors.Refused, match="there is no upgrade to abort"):
        operations.abort(api, options=RolloutOptions(wait=False, timeout=60))


def test_an_upgrade_to_the_version_the_cluster_is_settled_at_writes_nothing_not_even_the_lease():
    api = FakeAPI("0.13.0")
    runner.drive(api, options=RolloutOptions(wait=False, timeout=60), clock=api.clock)  # records the observed counts
    api.writes.clear()
    api.lease.clear()
    result = operations.upgrade(api, version="0.13.0", options=RolloutOptions(wait=True, timeout=60))
    assert not result["changed"] and result["steps"] == [] and "plan" not in result
    assert api.writes == [] and api.lease == []
    planned = operations.upgrade(api, version="0.13.0", options=RolloutOptions(wait=True, timeout=60, check_mode=True))
    assert not planned["changed"] and planned["plan"] == []
