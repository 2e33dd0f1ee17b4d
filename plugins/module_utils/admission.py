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

from ansible_collections.bookkeeper.ops.plugins.module_utils import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils import versions

Verdict = collections.namedtuple("Verdict", "allowed message target")


def _allow(target):
    return Verdict(True, "", target)


def _refuse(message):
    return Verdict(False, message, "")


def _rollback_only(requested, last_stable):
    if requested == last_stable:
        return _allow(requested)
    return _refuse(
        "Rollback to version %s not supported. Only rollback to version %s is supported." % (requested, last_stable)
    )


def check_upgrade(status, requested):
    """Verdict on setting spec.version to ``requested`` for an upgrade."""
    status = status or {}
    conditions = status.get("conditions") or []
    current = status.get("currentVersion", "")
    last_stable = versions.last_stable(versions.history(status))
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
        return _rollback_only(requested, last_stable)
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
    last_stable = versions.last_stable(versions.history(status))
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
        return _rollback_only(wanted, last_stable)
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


Reconcile = collections.namedtuple("Reconcile", "rollout version reason")
UPGRADE = "upgrade"
ROLLBACK = "rollback"
NOTHING = "none"


def _error_text(conditions):
    error = cond.find(conditions, cond.ERROR) or {}
    return error.get("message") or error.get("reason") or "no message recorded"


def reconcile(status, spec_version):
    """What a reconcile run (ansible-operator's, on every change) does next for a cluster asking for ``spec_version``.

    The dispatch of machine.decide for a run nobody asked for explicitly: a rollout in progress is carried on; a
    failed upgrade is rolled back once spec.version is set back to the last stable version; after a failed rollback
    only a newer version starts anything, since repeating the rollback is a person's decision.
    """
    status = status or {}
    conditions = status.get("conditions") or []
    current = status.get("currentVersion") or ""
    last_stable = versions.last_stable(versions.history(status))
    newer = bool(current) and versions.is_valid(spec_version) and versions.compare(spec_version, current) > 0
    if cond.is_true(conditions, cond.ROLLBACK_IN_PROGRESS):
        return Reconcile(ROLLBACK, last_stable, "the rollback to %s is in progress" % last_stable)
    if cond.is_true(conditions, cond.UPGRADING):
        target = status.get("targetVersion") or spec_version
        return Reconcile(UPGRADE, target, "the upgrade to %s is in progress" % target)
    if cond.is_true(conditions, cond.ERROR, cond.UPGRADE_FAILED):
        if spec_version == last_stable:
            return Reconcile(ROLLBACK, last_stable, "the upgrade failed and spec.version is back at %s" % last_stable)
        return Reconcile(
            NOTHING,
            "",
            "the upgrade failed (%s); set spec.version back to %s to roll back"
            % (_error_text(conditions), last_stable),
        )
    if cond.is_true(conditions, cond.ERROR, cond.ROLLBACK_FAILED):
        if newer:
            return Reconcile(UPGRADE, spec_version, "spec.version %s is newer than the failed rollback" % spec_version)
        return Reconcile(
            NOTHING,
            "",
            "the rollback failed (%s); once its cause is fixed, roll back to %s again or set a newer spec.version"
            % (_error_text(conditions), last_stable),
        )
    if cond.is_true(conditions, cond.ERROR):
        return Reconcile(NOTHING, "", "the cluster is in error state (%s)" % _error_text(conditions))
    if not current or spec_version == current:
        return Reconcile(NOTHING, "", "the cluster is at version %s" % (current or spec_version))
    if not versions.is_valid(spec_version):
        return Reconcile(NOTHING, "", "spec.version %r is not valid (%s)" % (spec_version, versions.VERSION_FORM))
    if not newer:
        return Reconcile(
            NOTHING, "", "downgrading the cluster from version %s to %s is not supported" % (current, spec_version)
        )
    return Reconcile(
        UPGRADE, spec_version, "spec.version %s is newer than the current version %s" % (spec_version, current)
    )
