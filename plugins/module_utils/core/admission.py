# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""Which version requests a cluster accepts in its current state.

The rules and refusal messages are the reference operator's validating
webhook, checked before anything is written. One rule differs on purpose: the
reference refuses every change in RollbackFailed, which leaves the cluster
stuck; here a repeated rollback to the last stable version and an upgrade to a
new version are accepted (see machine.py).
"""

__metaclass__ = type

import collections

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import versions

Verdict = collections.namedtuple("Verdict", "allowed message target")


def _allow(target):
    return Verdict(True, "", target)


def _refuse(message):
    return Verdict(False, message, "")


def _rollback_only(requested, status):
    refusal = versions.rollback_refusal(requested, versions.rollback_target(status))
    return _refuse(refusal) if refusal else _allow(requested)


def check_upgrade(status, requested):
    """Verdict on setting spec.version to ``requested`` for an upgrade."""
    status = status or {}
    conditions = status.get("conditions") or []
    current = status.get("currentVersion", "")
    last_stable = versions.rollback_target(status)
    try:
        versions.parse(requested)
    except versions.VersionError as error:
        return _refuse(str(error))
    if cond.is_true(conditions, cond.UPGRADING):
        if requested == status.get("targetVersion"):
            return _allow(requested)
        return _refuse(
            "failed to process the request, cluster is upgrading (to %s; a different version can be requested "
            "once it completes or fails)" % status.get("targetVersion")
        )
    if cond.is_true(conditions, cond.ROLLBACK_IN_PROGRESS):
        return _refuse("failed to process the request, rollback in progress.")
    if cond.is_true(conditions, cond.ERROR, cond.UPGRADE_FAILED):
        return _rollback_only(requested, status)
    if cond.is_true(conditions, cond.ERROR, cond.ROLLBACK_FAILED):
        if requested != current and versions.compare(requested, current) >= 0:
            return _allow(requested)
        return _refuse(
            "failed to process the request, cluster is in error state (RollbackFailed): request a version newer "
            "than %s, or roll back to %s again once the cause is fixed" % (current, last_stable)
        )
    if cond.is_true(conditions, cond.ERROR):
        return _refuse("failed to process the request, cluster is in error state.")
    if current and versions.compare(requested, current) < 0:
        return _refuse("downgrading the cluster from version %s to %s is not supported" % (current, requested))
    return _allow(requested)


def check_rollback(status, requested=None):
    """Verdict on a rollback to ``requested`` (default: the last stable version)."""
    status = status or {}
    conditions = status.get("conditions") or []
    last_stable = versions.rollback_target(status)
    if requested is not None:
        try:
            versions.parse(requested)
        except versions.VersionError as error:
            return _refuse(str(error))
    wanted = last_stable if requested is None else requested
    if (
        cond.is_true(conditions, cond.ROLLBACK_IN_PROGRESS)
        or cond.is_true(conditions, cond.ERROR, cond.UPGRADE_FAILED)
        or cond.is_true(conditions, cond.ERROR, cond.ROLLBACK_FAILED)
    ):
        return _rollback_only(wanted, status)
    if cond.is_true(conditions, cond.UPGRADING):
        state = "upgrading to %s" % status.get("targetVersion")
    elif cond.is_true(conditions, cond.ERROR):
        state = "in error state"
    else:
        state = "healthy at version %s" % (status.get("currentVersion") or "(unknown)")
    return _refuse(
        "rollback is only allowed after a failed upgrade (condition Error with reason UpgradeFailed); "
        "the cluster is %s" % state
    )
