"""What a reconcile run does next (admission.reconcile), as the reconcile playbook asks it through bk_status."""

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils import admission, summary
from ansible_collections.bookkeeper.ops.tests.unit.plugins.module_utils.factories import (
    cluster,
    healthy,
    snapshot,
    statefulset,
)
from ansible_collections.bookkeeper.ops.tests.unit.plugins.module_utils.test_admission import (
    IDLE,
    OTHER_ERROR,
    ROLLBACK_FAILED,
    ROLLING_BACK,
    UPGRADE_FAILED,
    UPGRADING,
)

CASES = [
    (IDLE, "0.13.0", admission.NOTHING, "", "the cluster is at version 0.13.0"),
    (IDLE, "0.14.0", admission.UPGRADE, "0.14.0", "spec.version 0.14.0 is newer than the current version 0.13.0"),
    (IDLE, "0.12.0", admission.NOTHING, "", "downgrading the cluster from version 0.13.0 to 0.12.0 is not supported"),
    (IDLE, "latest", admission.NOTHING, "", "spec.version 'latest' is not valid"),
    # A rollout in progress is carried on to its own target, whatever spec.version says meanwhile.
    (UPGRADING, "0.14.0", admission.UPGRADE, "0.14.0", "the upgrade to 0.14.0 is in progress"),
    (UPGRADING, "0.15.0", admission.UPGRADE, "0.14.0", "the upgrade to 0.14.0 is in progress"),
    (ROLLING_BACK, "0.13.0", admission.ROLLBACK, "0.13.0", "the rollback to 0.13.0 is in progress"),
    (UPGRADE_FAILED, "0.13.0", admission.ROLLBACK, "0.13.0", "the upgrade failed and spec.version is back at 0.13.0"),
    (UPGRADE_FAILED, "0.14.0", admission.NOTHING, "", "the upgrade failed (m); set spec.version back to 0.13.0"),
    (ROLLBACK_FAILED, "0.13.0", admission.NOTHING, "", "the rollback failed (m); once its cause is fixed"),
    (ROLLBACK_FAILED, "0.14.0", admission.UPGRADE, "0.14.0", "spec.version 0.14.0 is newer than the failed rollback"),
    (OTHER_ERROR, "0.14.0", admission.NOTHING, "", "the cluster is in error state (m)"),
    ({}, "0.13.0", admission.NOTHING, "", "the cluster is at version 0.13.0"),
]


@pytest.mark.parametrize("status, spec_version, rollout, version, reason", CASES)
def test_reconcile_says_what_to_do_and_why(status, spec_version, rollout, version, reason):
    decided = admission.reconcile(status, spec_version)
    assert (decided.rollout, decided.version) == (rollout, version)
    assert decided.reason.startswith(reason), decided.reason


@pytest.mark.parametrize("status, spec_version, rollout, version, reason", CASES)
def test_what_reconcile_asks_for_is_admitted(status, spec_version, rollout, version, reason):
    """The role a reconcile runs is never refused by the module it calls."""
    if rollout == admission.UPGRADE:
        assert admission.check_upgrade(status, version).allowed
    elif rollout == admission.ROLLBACK:
        assert admission.check_rollback(status).target == version


def test_bk_status_returns_the_reconcile_decision():
    summarized = summary.summarize(snapshot(cluster("0.14.0", IDLE), statefulset("0.13.0"), healthy("0.13.0")))
    assert summarized["reconcile"] == {
        "rollout": "upgrade",
        "version": "0.14.0",
        "reason": "spec.version 0.14.0 is newer than the current version 0.13.0",
    }
