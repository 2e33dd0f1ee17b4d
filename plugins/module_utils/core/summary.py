# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""A readable, structured summary of a snapshot, as bk_status returns it."""

__metaclass__ = type

import copy
import datetime

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import (
    faults,
    pods,
    reconcile,
    resource,
    versions,
)


def status_of(cluster):
    return copy.deepcopy(cluster.get("status") or {})


def _pod(pod, now):
    """One pod as bk_status shows it, its fault judged as a run judges it (faults.DEFAULT_LIMITS): ``fault`` is
    what would fail a rollout now; ``fault_in_grace`` is a fault the pod shows that fails it only if it lasts."""
    fault = in_grace = None
    if not pods.is_ready(pod):
        fault = faults.classify(pod, now)
        in_grace = None if fault else faults.classify(pod, now, faults.NO_GRACE)
    return {
        "name": pods.name(pod),
        "version": pods.version(pod),
        "image": pods.image(pod),
        "ready": pods.is_ready(pod),
        "terminating": pods.is_terminating(pod),
        "waiting_reason": faults.waiting_reason(pod),
        "fault": fault.reason if fault else "",
        "fault_in_grace": in_grace.reason if in_grace else "",
    }


def summarize(snapshot, now=None):
    """Versions, conditions, and each component with its pods in ordinal order."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    cluster = snapshot["cluster"]
    status = cluster.get("status") or {}
    components = []
    for component in snapshot["components"]:
        workload = component.get("workload")
        components.append(
            {
                "name": component["name"],
                "workload": resource.workload_name(cluster["metadata"]["name"], component["name"]),
                "exists": workload is not None,
                "template_version": resource.template_version(workload) if workload else "",
                "template_image": resource.template_image(workload) if workload else "",
                "pods": [_pod(pod, now) for pod in pods.by_ordinal(component.get("pods") or ())],
            }
        )
    return {
        "name": cluster["metadata"]["name"],
        "namespace": cluster["metadata"].get("namespace", ""),
        "spec_version": resource.spec_version(cluster),
        "current_version": status.get("currentVersion") or "",
        "target_version": status.get("targetVersion") or "",
        "version_history": list(status.get("versionHistory") or []),
        "last_stable_version": versions.rollback_target(status),
        "replicas": resource.spec_replicas(cluster),
        "ready_replicas": status.get("readyReplicas") or 0,
        "conditions": [cond.complete(condition) for condition in status.get("conditions") or ()],
        "rollout": copy.deepcopy(status.get("rollout") or {}),
        "last_rollout": copy.deepcopy(status.get("lastRollout") or {}),
        "data_plane": copy.deepcopy(status.get("dataPlane") or {}),
        "components": components,
        "reconcile": dict(reconcile.next_rollout(snapshot, now)._asdict()),
    }
