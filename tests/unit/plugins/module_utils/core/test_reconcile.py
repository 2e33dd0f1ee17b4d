"""What a reconcile run does next (reconcile.next_rollout), as the reconcile playbook asks it through bk_status."""

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import admission, machine, reconcile, summary
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.tests.support.factories import (
    IDLE,
    OTHER_ERROR,
    ROLLBACK_FAILED,
    ROLLING_BACK,
    UPGRADE_FAILED,
    UPGRADING,
    at,
    cluster,
    healthy,
    pod,
    snapshot,
    statefulset,
    status_with,
)

# As the Pravega operator may leave it: Upgrading True with no targetVersion, which no run carries on.
UPGRADING_WITHOUT_TARGET = status_with(cond.UPGRADING, target="")

CASES = [
    (IDLE, "0.13.0", reconcile.NOTHING, "", "cluster is at version 0.13.0"),
    (IDLE, "0.14.0", reconcile.UPGRADE, "0.14.0", "spec.version 0.14.0 is newer than the current version 0.13.0"),
    (IDLE, "0.12.0", reconcile.NOTHING, "", "downgrading the cluster from version 0.13.0 to 0.12.0 is not supported"),
    (IDLE, "latest", reconcile.NOTHING, "", "spec.version 'latest' is not valid"),
    # A rollout in progress is carried on to its own target, whatever spec.version says meanwhile.
    (UPGRADING, "0.14.0", reconcile.UPGRADE, "0.14.0", "the upgrade to 0.14.0 is in progress"),
    (UPGRADING, "0.15.0", reconcile.UPGRADE, "0.14.0", "the upgrade to 0.14.0 is in progress"),
    (UPGRADING_WITHOUT_TARGET, "0.13.0", reconcile.NOTHING, "", "cluster is at version 0.13.0"),
    (UPGRADING_WITHOUT_TARGET, "0.14.0", reconcile.UPGRADE, "0.14.0", "spec.version 0.14.0 is newer"),
    (ROLLING_BACK, "0.13.0", reconcile.ROLLBACK, "0.13.0", "the rollback to 0.13.0 is in progress"),
    (UPGRADE_FAILED, "0.13.0", reconcile.ROLLBACK, "0.13.0", "the upgrade failed and spec.version is back at 0.13.0"),
    (UPGRADE_FAILED, "0.14.0", reconcile.NOTHING, "", "upgrade failed: m; set spec.version back to 0.13.0"),
    (ROLLBACK_FAILED, "0.13.0", reconcile.NOTHING, "", "rollback failed: m; fix the cause"),
    (ROLLBACK_FAILED, "0.14.0", reconcile.UPGRADE, "0.14.0", "spec.version 0.14.0 is newer than the current"),
    (OTHER_ERROR, "0.14.0", reconcile.NOTHING, "", "cluster is in error state: m"),
    ({}, "0.13.0", reconcile.NOTHING, "", "cluster is at version 0.13.0"),
]


def bookies(status, spec_version, ready=True):
    """The cluster with ``status`` asking for ``spec_version``, its bookies at the current version."""
    current = status.get("currentVersion") or spec_version
    pods = healthy(current) if ready else [pod("bk-bookie-%d" % i, current, ready=i != 1) for i in range(3)]
    return snapshot(cluster(spec_version, status), statefulset(current), pods)


@pytest.mark.parametrize("status, spec_version, rollout, version, reason", CASES)
def test_reconcile_says_what_to_do_and_why(status, spec_version, rollout, version, reason):
    decided = reconcile.next_rollout(bookies(status, spec_version), at(0))
    assert (decided.rollout, decided.version) == (rollout, version)
    assert decided.reason.startswith(reason), decided.reason


@pytest.mark.parametrize("status, spec_version, rollout, version, reason", CASES)
def test_what_reconcile_asks_for_is_admitted(status, spec_version, rollout, version, reason):
    """The role a reconcile runs is never refused by the module it calls."""
    read = machine.refreshed(bookies(status, spec_version), at(0))  # as the module admits requests
    if rollout == reconcile.UPGRADE:
        assert admission.check_upgrade(read, version).allowed
    elif rollout == reconcile.ROLLBACK:
        assert admission.check_rollback(read).target == version


@pytest.mark.parametrize("status, spec_version, rollout, version, reason", CASES)
def test_reconcile_is_the_state_machines_own_next_decision(status, spec_version, rollout, version, reason):
    """What reconcile asks for is what the run it starts does first: it never decides otherwise."""
    decision = machine.decide(bookies(status, spec_version), at(0))
    if rollout == reconcile.NOTHING:
        assert decision.kind in (machine.IDLE, machine.HOLD, machine.INITIALIZE)
    else:
        assert decision.kind not in (machine.IDLE, machine.HOLD, machine.INITIALIZE)


def test_reconcile_waits_with_the_upgrade_for_unready_bookies():
    decided = reconcile.next_rollout(bookies(IDLE, "0.14.0", ready=False), at(0))
    assert (decided.rollout, decided.version) == (reconcile.UPGRADE, "0.14.0")


def test_bk_status_returns_the_reconcile_decision():
    summarized = summary.summarize(snapshot(cluster("0.14.0", IDLE), statefulset("0.13.0"), healthy("0.13.0")))
    assert summarized["reconcile"] == {
        "rollout": "upgrade",
        "version": "0.14.0",
        "reason": "spec.version 0.14.0 is newer than the current version 0.13.0",
    }
