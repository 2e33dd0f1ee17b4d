# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""Classification of a replaced pod that will not become Ready on its own.

The reference operator looks at the first container's waiting reason only
(ImagePullBackOff, CrashLoopBackOff) and leaves every other fault to its
timeout. Here every init container and container is examined, repeated
terminations count, and a pod that stays unschedulable fails too. Each fault
yields the reason and the reference's message ``pod <pod> update failed
because of <Reason>``.
"""

__metaclass__ = type

import collections
import datetime

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions

# Waiting reasons the kubelet only leaves after a human changes something.
FATAL_WAITING_REASONS = (
    "ImagePullBackOff",
    "InvalidImageName",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
)
# The first failed pull: a real kubelet shows ErrImagePull about 2 s after the pod
# starts and ImagePullBackOff some 13 s later, so ErrImagePull alone only counts
# once it outlasts a grace longer than that (tests/support/fixtures/kubelet-statuses.json).
PULL_ERROR = "ErrImagePull"
OOM_KILLED = "OOMKilled"
REPEATED_RESTARTS = "RepeatedRestarts"
UNSCHEDULABLE = "Unschedulable"

Fault = collections.namedtuple("Fault", "pod container reason message")


class Limits(collections.namedtuple("Limits", "restart_threshold unschedulable_grace pull_error_grace")):
    """How long or how often a fault may show before the pod counts as failed."""


DEFAULT_LIMITS = Limits(
    restart_threshold=3,
    unschedulable_grace=datetime.timedelta(seconds=60),
    pull_error_grace=datetime.timedelta(seconds=30),
)

# The same faults without their graces: what a pod shows that fails a run if it lasts (bk_status reports it).
NO_GRACE = DEFAULT_LIMITS._replace(unschedulable_grace=datetime.timedelta(0), pull_error_grace=datetime.timedelta(0))


def failure_message(pod_name, reason):
    return "pod %s update failed because of %s" % (pod_name, reason)


def _age(pod, now):
    created = conditions.parse_time((pod.get("metadata") or {}).get("creationTimestamp"))
    return now - created if created else datetime.timedelta(0)


def _container_fault(container_status, pod, now, limits):
    state = container_status.get("state") or {}
    waiting_reason = (state.get("waiting") or {}).get("reason", "")
    if waiting_reason in FATAL_WAITING_REASONS:
        return waiting_reason
    if waiting_reason == PULL_ERROR and _age(pod, now) >= limits.pull_error_grace:
        return PULL_ERROR
    restarts = container_status.get("restartCount") or 0
    last_terminated = (container_status.get("lastState") or {}).get("terminated") or {}
    terminated = state.get("terminated") or {}
    if OOM_KILLED in (terminated.get("reason"), last_terminated.get("reason")):
        return OOM_KILLED
    if restarts >= limits.restart_threshold:
        return REPEATED_RESTARTS
    return None


def _unschedulable_for(pod, now):
    status = pod.get("status") or {}
    if status.get("phase", "Pending") != "Pending":
        return None
    for condition in status.get("conditions") or ():
        if (
            condition.get("type") == "PodScheduled"
            and condition.get("status") == conditions.FALSE
            and condition.get("reason") == UNSCHEDULABLE
        ):
            since = conditions.parse_time(condition.get("lastTransitionTime"))
            return now - since if since else datetime.timedelta(0)
    return None


def classify(pod, now, limits=DEFAULT_LIMITS):
    """The Fault of ``pod`` at ``now``, or None when it may still become Ready."""
    name = (pod.get("metadata") or {}).get("name", "")
    status = pod.get("status") or {}
    for key in ("initContainerStatuses", "containerStatuses"):
        for container_status in status.get(key) or ():
            reason = _container_fault(container_status, pod, now, limits)
            if reason:
                return Fault(name, container_status.get("name", ""), reason, failure_message(name, reason))
    pending_for = _unschedulable_for(pod, now)
    if pending_for is not None and pending_for >= limits.unschedulable_grace:
        return Fault(name, "", UNSCHEDULABLE, failure_message(name, UNSCHEDULABLE))
    return None


def waiting_reason(pod):
    """The first waiting reason among the pod's containers, for progress displays."""
    status = pod.get("status") or {}
    for key in ("initContainerStatuses", "containerStatuses"):
        for container_status in status.get(key) or ():
            reason = ((container_status.get("state") or {}).get("waiting") or {}).get("reason")
            if reason:
                return reason
    return ""
