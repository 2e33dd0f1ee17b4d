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
options:
  version:
    description:
      - The version to upgrade to, C(X.Y.Z) with an optional leading C(v) and suffix, such as C(0.14.0).
      - The image is C(<spec.image.imageSpec.repository>:<version>).
    type: str
    required: true
extends_documentation_fragment:
  - bookkeeper.ops.auth
  - bookkeeper.ops.cluster
  - bookkeeper.ops.cluster.wait
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
  description: Each step the run took, with its time (RFC3339, UTC) and what it did or waited for.
  returned: always
  type: list
  elements: dict
  sample:
    - {time: "2026-11-24T09:00:01Z", step: replace_pod, message: "replacing pod bookkeeper-bookie-0 (0.13.0 -> 0.14.0)"}
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
retryable:
  description: True when the failure was transient (API unreachable, timeout, lease held) and a rerun may succeed.
  returned: on connection or timeout failures
  type: bool
"""

from ansible_collections.bookkeeper.ops.plugins.module_utils import args, module, operations


def main():
    module.run(
        args.argspec(args.WAIT_ARG_SPEC, {"version": {"type": "str", "required": True}}),
        lambda api, params, check_mode: operations.upgrade(
            api,
            operations.checked_version(params["version"]),
            params["wait"],
            params["timeout"],
            check_mode,
            params["pod"],
        ),
    )


if __name__ == "__main__":
    main()
