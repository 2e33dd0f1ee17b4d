# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""What a reconcile run does next: the state machine's next decision, read as the rollout to run.

ansible-operator runs playbooks/reconcile.yml on every change of a BookkeeperCluster. The playbook reads the
answer from bk_status (``cluster.reconcile``) and runs the upgrade or the rollback role, or nothing. The answer is
machine.decide's, for a run nobody asked for explicitly, so a reconcile never decides otherwise than the run it
starts: a rollout in progress is carried on, a failed upgrade is rolled back once spec.version is set back to the
last stable version, and after a failed rollback only a newer version starts anything.
"""

__metaclass__ = type

import collections

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import machine, resource

Reconcile = collections.namedtuple("Reconcile", "rollout version reason")
UPGRADE = machine.UPGRADE
ROLLBACK = machine.ROLLBACK
NOTHING = "none"


def next_rollout(snapshot, now):
    """The Reconcile for the cluster in ``snapshot`` at ``now``; reads only."""
    status = machine.refreshed(snapshot, now)
    active = machine.rollout_in_progress(status)
    if active:
        return Reconcile(
            active, status["targetVersion"], "the %s to %s is in progress" % (active, status["targetVersion"])
        )
    decision = machine.decide(snapshot, now)
    spec_version = resource.spec_version(snapshot["cluster"])
    if decision.kind == machine.START_ROLLBACK:
        return Reconcile(ROLLBACK, spec_version, "the upgrade failed and spec.version is back at %s" % spec_version)
    # A start, or a wait for unready bookies before it: the upgrade role waits for them as the module does.
    if decision.kind in (machine.START_UPGRADE, machine.WAIT):
        return Reconcile(
            UPGRADE,
            spec_version,
            "spec.version %s is newer than the current version %s" % (spec_version, status["currentVersion"]),
        )
    if decision.kind == machine.INITIALIZE:
        return Reconcile(NOTHING, "", "cluster is at version %s" % spec_version)
    return Reconcile(NOTHING, "", decision.message)
