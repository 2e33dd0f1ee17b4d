"""Each step of a run names the bookie it concerns, so that roles show a run's steps bookie by bookie."""

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import machine
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import runner
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.support.fake_api import FakeAPI


def test_the_steps_of_an_upgrade_name_their_bookie():
    api = FakeAPI("0.14.0")
    steps = runner.drive(
        api, options=RolloutOptions(wait=True, timeout=3600), clock=api.clock, monotonic=api.monotonic
    )["steps"]
    by_pod = {}
    for step in steps:
        by_pod.setdefault(step["pod"], []).append(step["step"])
    # The cluster's own steps name no bookie; a wait belongs to the bookie replaced before it.
    assert set(by_pod) == {"", "bk-bookie-0", "bk-bookie-1", "bk-bookie-2"}
    assert machine.START_UPGRADE in by_pod[""] and machine.UPDATE_TEMPLATE in by_pod[""]
    for ordinal in range(3):
        mine = [step for step in steps if step["pod"] == "bk-bookie-%d" % ordinal]
        assert mine[0]["step"] == machine.REPLACE_POD
        assert {step["step"] for step in mine[1:]} <= {machine.WAIT}
        assert all("bk-bookie-%d" % ordinal in step["message"] for step in mine)
