#!/usr/bin/python
# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)


__metaclass__ = type

DOCUMENTATION = r"""
module: bk_status
short_description: Read a BookKeeper cluster's versions and conditions, or set one condition
version_added: 1.0.0
author: bookkeeper.ops maintainers (@bookkeeper-ops)
description:
  - Returns a structured summary of a BookkeeperCluster, its spec and current versions, version history, conditions,
    and each component with its pods, their versions, readiness and fault reason if any.
  - With O(condition), sets that one condition in the status subresource, following the Pravega BookKeeper
    operator's timestamp rules. C(lastTransitionTime) changes only when the status flips. C(lastUpdateTime) changes
    when the status, reason or message changes. A condition that is added has both empty.
options:
  condition:
    description:
      - A condition to set. Leave out to only read.
    type: dict
    suboptions:
      type:
        description: The condition type.
        type: str
        required: true
        choices: [Upgrading, PodsReady, Error, RollbackInProgress, HealthCheckFailing]
      status:
        description: The condition status.
        type: str
        required: true
        choices: ["True", "False", "Unknown"]
      reason:
        description: The reason, such as C(UpgradeFailed), C(RollbackFailed) or C(Updating Bookkeeper).
        type: str
        default: ""
      text:
        description: The condition's message (C(message) is a name Ansible keeps for itself).
        type: str
        default: ""
extends_documentation_fragment:
  - bookkeeper.ops.auth
  - bookkeeper.ops.cluster
  - ansible.builtin.action_common_attributes
attributes:
  platform:
    support: full
    platforms: posix
  check_mode:
    support: full
    details: Reports whether the condition would change, without writing.
  diff_mode:
    support: full
    details: Shows the status before and after.
seealso:
  - module: bookkeeper.ops.bk_upgrade
  - module: bookkeeper.ops.bk_rollback
requirements:
  - kubernetes >= 24.2.0
"""

EXAMPLES = r"""
- name: Read the cluster
  bookkeeper.ops.bk_status:
    name: bookkeeper
    namespace: pravega
  register: bk

- name: Show whether the last upgrade failed
  ansible.builtin.debug:
    msg: "{{ bk.cluster.conditions | selectattr('type', 'equalto', 'Error') | first }}"

- name: Clear the Error condition after a manual repair
  bookkeeper.ops.bk_status:
    name: bookkeeper
    namespace: pravega
    condition:
      type: Error
      status: "False"
"""

RETURN = r"""
cluster:
  description: The cluster's summary.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the BookkeeperCluster.
      type: str
    namespace:
      description: Its namespace.
      type: str
    spec_version:
      description: The version the spec asks for (C(0.11.0) when empty).
      type: str
    current_version:
      description: C(status.currentVersion).
      type: str
    target_version:
      description: C(status.targetVersion), empty when no rollout runs.
      type: str
    version_history:
      description: C(status.versionHistory).
      type: list
      elements: str
    last_stable_version:
      description: The version a failed upgrade may roll back to.
      type: str
    replicas:
      description: The number of bookies the spec asks for.
      type: int
    ready_replicas:
      description: C(status.readyReplicas).
      type: int
    conditions:
      description: C(status.conditions), each with type, status, reason, message, lastUpdateTime, lastTransitionTime.
      type: list
      elements: dict
    rollout:
      description:
        - The running rollout's bookkeeping (action, trigger, startedAt, lastProgressTime, readyOnTarget), if any.
      type: dict
    last_rollout:
      description:
        - How the last upgrade or rollback ended (C(status.lastRollout)) - action, trigger (requested or automatic),
          fromVersion, toVersion, startedAt, finishedAt, result (Succeeded, Failed or Aborted) and message.
      type: dict
    components:
      description:
        - Each component with its StatefulSet, pod template version and pods in ordinal order.
        - Each pod has name, version, image, ready, terminating, waiting_reason, fault and fault_in_grace.
        - C(fault) is judged as an upgrade or rollback judges it, so a pod shown with a fault is one that fails a
          rollout now. C(fault_in_grace) names a fault the pod shows that fails a rollout only if it lasts (a first
          C(ErrImagePull) for 30 s, C(Unschedulable) for 60 s).
      type: list
      elements: dict
    reconcile:
      description:
        - What a reconcile run (the collection's C(playbooks/reconcile.yml), run by ansible-operator) does next, as
          the collection's core decides it from the status and C(spec.version).
        - A rollout in progress is carried on; a failed upgrade is rolled back once C(spec.version) is set back to
          the last stable version; after a failed rollback only a newer version starts anything.
      type: dict
      contains:
        rollout:
          description: C(upgrade), C(rollback) or C(none).
          type: str
        version:
          description: The version to upgrade or roll back to; empty with C(none).
          type: str
        reason:
          description: Why, in a sentence.
          type: str
      sample: {rollout: upgrade, version: 0.14.0, reason: spec.version 0.14.0 is newer than the current version 0.13.0}
"""

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import args
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge import module
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations

CONDITION_SPEC = {
    "condition": {
        "type": "dict",
        "options": {
            "type": {"type": "str", "required": True, "choices": list(cond.TYPES)},
            "status": {"type": "str", "required": True, "choices": list(cond.STATUSES)},
            "reason": {"type": "str", "default": ""},
            "text": {"type": "str", "default": ""},
        },
    }
}


def main():
    module.run(
        args.argspec(CONDITION_SPEC),
        lambda api, params, check_mode: operations.status(api, condition=params["condition"], check_mode=check_mode),
    )


if __name__ == "__main__":
    main()
