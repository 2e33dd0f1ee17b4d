"""The fault rules against the statuses a real kubelet wrote (bench/kubelet_statuses.py on a BK_NODES=real node).

Each case is replayed as it was seen: every status at the time it was seen, judged as a rollout judges a
replaced pod.
"""

import collections
import datetime
import json

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions, faults
from ansible_collections.bookkeeper.ops.tests.support.paths import REPO

Seen = collections.namedtuple("Seen", "at status fault")
RECORDED = json.loads((REPO / "tests" / "support" / "fixtures" / "kubelet-statuses.json").read_text())
CASES = RECORDED["cases"]


def replay(case, after=datetime.timedelta(0)):
    """A Seen (seconds since creation, status, fault) for each status of ``case``, judged ``after`` it was seen."""
    recorded = CASES[case]
    meta = {"name": case, "creationTimestamp": recorded["creationTimestamp"]}
    for entry in recorded["timeline"]:
        pod = {"metadata": meta, "status": entry["status"]}
        yield Seen(entry["at"], entry["status"], faults.classify(pod, conditions.parse_time(entry["now"]) + after))


def first_fault(case, after=datetime.timedelta(0)):
    return next(((seen.at, seen.fault.reason) for seen in replay(case, after) if seen.fault), None)


def container(status):
    return (status.get("containerStatuses") or [{}])[0]


def waiting_reason(status):
    return container(status).get("state", {}).get("waiting", {}).get("reason")


def test_a_missing_image_fails_as_image_pull_back_off_the_reference_s_reason():
    at, reason = first_fault("image-missing")
    assert reason == "ImagePullBackOff"
    shown = [waiting_reason(seen.status) for seen in replay("image-missing")]
    assert "ErrImagePull" in shown[: shown.index("ImagePullBackOff")], "the kubelet shows ErrImagePull first"
    assert at < faults.DEFAULT_LIMITS.pull_error_grace.total_seconds()


def test_a_crash_fails_as_crash_loop_back_off_not_while_the_kubelet_shows_it_terminated():
    failed_at, reason = first_fault("crash")
    assert reason == "CrashLoopBackOff"
    terminated = [seen for seen in replay("crash") if "terminated" in container(seen.status).get("state", {})]
    assert terminated and terminated[0].at < failed_at, "the recording holds the terminated window before the loop"
    assert all(seen.fault is None for seen in terminated if seen.at < failed_at), terminated


def test_a_jvm_over_its_memory_limit_fails_as_oom_killed():
    assert first_fault("oom-killed")[1] == "OOMKilled"
    reasons = {
        container(seen.status).get(key, {}).get("terminated", {}).get("reason")
        for seen in replay("oom-killed")
        for key in ("state", "lastState")
    }
    assert "OOMKilled" in reasons, "the kernel killed the JVM for its memory limit"


def test_a_pod_on_a_cordoned_node_fails_as_unschedulable_once_its_grace_is_over():
    pending = [seen.status for seen in replay("unschedulable-cordoned") if seen.status.get("phase") == "Pending"]
    assert any(c.get("reason") == "Unschedulable" for s in pending for c in s.get("conditions") or ())
    assert first_fault("unschedulable-cordoned") is None, "within its grace"
    assert first_fault("unschedulable-cordoned", after=faults.DEFAULT_LIMITS.unschedulable_grace)[1] == "Unschedulable"


@pytest.mark.parametrize("case", ["probe-never-passes", "bookie-ready"])
def test_a_running_container_is_no_fault_whatever_its_probe_says(case):
    assert first_fault(case) is None
    ready = [container(seen.status).get("ready") for seen in replay(case)]
    assert any(ready) is (case == "bookie-ready")
