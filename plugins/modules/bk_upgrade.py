#!/usr/bin/python
# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)


__metaclass__ = type

DOCUMENTATION = r"""
module: bk_upgrade
short_description: Upgrade a BookKeeper cluster one pod at a time
version_added: 1.0.0
author: bookkeeper.ops maintainers (@bookkeeper-ops)
description:
  - Sets C(spec.version) of a BookkeeperCluster to O(version), as a user of the Pravega BookKeeper operator would, and
    drives the upgrade; a cluster whose C(spec.version) already differs from its current version is taken as it is.
  - Bookies are replaced one at a time, lowest ordinal first, through the Eviction API so that PodDisruptionBudgets
    are honoured. The next bookie is touched only when every other bookie is Ready.
  - A replaced pod that cannot start (image pull errors, crash loops, container configuration errors, repeated
    restarts, OOM kills, unschedulable) fails the upgrade at once. The cluster's status then shows C(Error) with
    reason C(UpgradeFailed) and the message C(pod <pod> update failed because of <Reason>), a Warning event is
    recorded, the pod template goes back to the current version and the task fails with that message.
  - Requests the cluster's state does not allow (a downgrade, another version while upgrading, anything but the last
    stable version after a failed upgrade) are refused before anything is written.
  - Two runs cannot drive one cluster at once; the second fails naming the first.
  - With O(abort=true), stops the upgrade in progress instead, before its next pod (see O(abort)).
options:
  version:
    description:
      - The version to upgrade to, C(X.Y.Z) with an optional leading C(v) and suffix, such as C(0.14.0).
      - The image is C(<spec.image.imageSpec.repository>:<version>).
      - Required unless O(abort=true).
    type: str
  auto_rollback:
    description:
      - When the upgrade fails, roll back to the last stable version at once, in the same run, one pod at a time.
      - The rollback is recorded in C(status.lastRollout) with trigger C(automatic) and in a Warning event with reason
        C(Automatic Rollback). The task still fails, with the upgrade's failure and the rollback's outcome in its
        message, and RV(rolled_back) true when the cluster is back on the stable version.
    type: bool
    default: false
  abort:
    description:
      - Stop the upgrade in progress. No further pod is replaced; pods already replaced stay until a rollback.
      - The request is the annotation C(bookkeeper.ops/abort) on the cluster, which a run driving the upgrade elsewhere
        sees before its next step (within seconds). The abort is then recorded as C(Error) with reason
        C(UpgradeFailed), so that the rollback to the last stable version is allowed; bk_rollback removes the
        annotation.
      - While the annotation stays, no new upgrade starts.
      - With O(wait=true), returns once the abort is recorded. A cluster that is not upgrading is refused; one whose
        upgrade was already aborted is left as it is.
    type: bool
    default: false
  reason:
    description: With O(abort=true), why; recorded in the annotation and in the C(Error) message.
    type: str
extends_documentation_fragment:
  - bookkeeper.ops.auth
  - bookkeeper.ops.cluster
  - bookkeeper.ops.cluster.wait
  - bookkeeper.ops.cluster.health
  - bookkeeper.ops.cluster.data_plane
  - ansible.builtin.action_common_attributes
attributes:
  platform:
    support: full
    platforms: posix
  check_mode:
    support: full
    details: Reads only, and returns in RV(plan) the pods that would be replaced, in order, with their images.
  diff_mode:
    support: full
    details: Shows the cluster's status before and after.
seealso:
  - module: bookkeeper.ops.bk_rollback
  - module: bookkeeper.ops.bk_status
requirements:
  - kubernetes >= 24.2.0
"""

EXAMPLES = r"""
- name: Upgrade the bookies to 0.14.0 and wait for the end
  bookkeeper.ops.bk_upgrade:
    name: bookkeeper
    namespace: pravega
    version: 0.14.0
    timeout: 3600

- name: See which pods an upgrade would replace, without changing anything
  bookkeeper.ops.bk_upgrade:
    name: bookkeeper
    version: 0.14.0
  check_mode: true
  register: upgrade_plan

- name: Upgrade, waiting after each bookie until no ledger is under-replicated; roll back by itself on failure
  bookkeeper.ops.bk_upgrade:
    name: bookkeeper
    version: 0.14.0
    auto_rollback: true
    health_check:
      type: bookkeeper

- name: Stop an upgrade in progress (run from another job, for example)
  bookkeeper.ops.bk_upgrade:
    name: bookkeeper
    abort: true
    reason: change freeze

- name: Make one step only (roles use this to show each pod as a task)
  bookkeeper.ops.bk_upgrade:
    name: bookkeeper
    version: 0.14.0
    wait: false
"""

RETURN = r"""
cluster:
  description: The cluster after the run, as bk_status returns it.
  returned: always
  type: dict
  sample:
    name: bookkeeper
    namespace: default
    spec_version: 0.14.0
    current_version: 0.14.0
    target_version: ""
    version_history: [0.13.0, 0.14.0]
    last_stable_version: 0.14.0
    replicas: 3
    ready_replicas: 3
    conditions: []
    rollout: {}
    components: []
steps:
  description:
    - Each step the run took, with its time (RFC3339, UTC) and what it did or waited for.
    - C(pod) names the bookie the step concerns (a wait, the bookie replaced before it), empty for the
      cluster's own steps; the upgrade and rollback roles show the steps bookie by bookie with it.
  returned: always
  type: list
  elements: dict
  sample:
    - {time: "2026-11-24T09:00:01Z", step: replace_pod, pod: bookkeeper-bookie-0,
       message: "replacing pod bookkeeper-bookie-0 (0.13.0 -> 0.14.0)"}
plan:
  description: In check mode, the pods that would be replaced, in order.
  returned: in check mode
  type: list
  elements: dict
  sample:
    - {component: bookie, pod: bookkeeper-bookie-0, from_version: 0.13.0, to_version: 0.14.0,
       from_image: "pravega/bookkeeper:0.13.0", to_image: "pravega/bookkeeper:0.14.0"}
refused:
  description: True when the request was refused because of the cluster's state; nothing was written.
  returned: on refusal
  type: bool
rolled_back:
  description: With O(auto_rollback=true) after a failed upgrade, whether the cluster is back on the stable version.
  returned: when an automatic rollback ran
  type: bool
aborted:
  description: With O(abort=true), whether the abort is recorded in the status.
  returned: with O(abort=true)
  type: bool
retryable:
  description: True when the failure was transient (API unreachable, timeout, lease held) and a rerun may succeed.
  returned: on connection or timeout failures
  type: bool
"""

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import args, versions
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge import module
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions

OPTIONS = {
    "version": {"type": "str"},
    "auto_rollback": {"type": "bool", "default": False},
    "abort": {"type": "bool", "default": False},
    "reason": {"type": "str"},
}


def upgrade_or_abort(api, params, check_mode):
    options = RolloutOptions.from_params(params, check_mode)
    if params["abort"]:
        return operations.abort(api, reason=params["reason"], options=options)
    return operations.upgrade(api, version=versions.check_requested(params["version"]), options=options)


def main():
    module.run(
        args.argspec(args.WAIT_ARG_SPEC, args.HEALTH_ARG_SPEC, args.DATA_PLANE_ARG_SPEC, OPTIONS),
        upgrade_or_abort,
        required_if=[("abort", False, ["version"])],
        mutually_exclusive=[("abort", "version"), ("abort", "auto_rollback")],
    )


if __name__ == "__main__":
    main()
