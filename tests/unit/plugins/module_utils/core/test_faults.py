import datetime

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import faults
from ansible_collections.bookkeeper.ops.tests.support.factories import T0, at, pod


@pytest.mark.parametrize("reason", faults.FATAL_WAITING_REASONS)
def test_fatal_waiting_reasons_fail_at_once(reason):
    fault = faults.classify(pod("bk-bookie-0", "0.14.0", ready=False, waiting=reason), T0)
    assert fault.reason == reason
    assert fault.message == "pod bk-bookie-0 update failed because of %s" % reason


def test_any_container_counts_not_only_the_first():
    broken = pod("bk-bookie-1", "0.14.0", ready=False)
    broken["status"]["containerStatuses"].append(
        {"name": "sidecar", "restartCount": 0, "state": {"waiting": {"reason": "CreateContainerConfigError"}}}
    )
    fault = faults.classify(broken, T0)
    assert (fault.container, fault.reason) == ("sidecar", "CreateContainerConfigError")


def test_init_containers_are_examined_first():
    broken = pod("bk-bookie-1", "0.14.0", ready=False, waiting="ImagePullBackOff")
    broken["status"]["initContainerStatuses"] = [
        {"name": "init", "restartCount": 0, "state": {"waiting": {"reason": "InvalidImageName"}}}
    ]
    assert faults.classify(broken, T0).reason == "InvalidImageName"


def test_err_image_pull_counts_only_after_its_grace():
    pulling = pod("bk-bookie-0", "0.14.0", ready=False, waiting="ErrImagePull", created=T0)
    assert faults.classify(pulling, at(20)) is None
    assert faults.classify(pulling, at(30)).reason == "ErrImagePull"


def test_restart_growth_and_oom_kill():
    flapping = pod("bk-bookie-0", "0.14.0", ready=False, restarts=2)
    assert faults.classify(flapping, T0) is None
    flapping["status"]["containerStatuses"][0]["restartCount"] = 3
    assert faults.classify(flapping, T0).reason == "RepeatedRestarts"
    oom = pod("bk-bookie-0", "0.14.0", ready=False, restarts=1)
    oom["status"]["containerStatuses"][0]["lastState"] = {"terminated": {"reason": "OOMKilled", "exitCode": 137}}
    assert faults.classify(oom, T0).reason == "OOMKilled"


def unschedulable(since):
    stuck = pod("bk-bookie-2", "0.14.0", ready=False, phase="Pending", containerStatuses=[])
    stuck["status"]["conditions"] = [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "lastTransitionTime": since}
    ]
    return stuck


def test_unschedulable_fails_after_the_grace_period():
    stuck = unschedulable(cond.format_time(T0))
    assert faults.classify(stuck, at(59)) is None
    assert faults.classify(stuck, at(60)).message == "pod bk-bookie-2 update failed because of Unschedulable"
    limits = faults.DEFAULT_LIMITS._replace(unschedulable_grace=datetime.timedelta(0))
    assert faults.classify(unschedulable(""), T0, limits).reason == "Unschedulable"


def test_pods_that_may_still_start_are_not_faults():
    assert faults.classify(pod("bk-bookie-0", "0.14.0", ready=False, waiting="ContainerCreating"), at(600)) is None
    running = pod("bk-bookie-0", "0.14.0", ready=False, phase="Running")
    running["status"]["conditions"].append({"type": "PodScheduled", "status": "True"})
    assert faults.classify(running, at(600)) is None
    assert faults.classify({"metadata": {"name": "x"}}, T0) is None


def test_waiting_reason_for_display():
    assert faults.waiting_reason(pod("p", "1.0.0", ready=False, waiting="ContainerCreating")) == "ContainerCreating"
    assert faults.waiting_reason(pod("p", "1.0.0")) == ""
