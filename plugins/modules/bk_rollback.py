#!/usr/bin/python
# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)


__metaclass__ = type

DOCUMENTATION = r"""
module: bk_rollback
short_description: Roll a BookKeeper cluster back to its last stable version after a failed upgrade
version_added: 1.0.0
author: bookkeeper.ops maintainers (@bookkeeper-ops)
description:
  - Rolls back a BookkeeperCluster whose upgrade failed (condition C(Error) with reason C(UpgradeFailed)) by setting
    C(spec.version) back to the last stable version, the last entry of C(status.versionHistory), as a user of the
    Pravega BookKeeper operator would, and drives the rollback one pod at a time.
  - While it runs, C(RollbackInProgress) is True with reason C(Updating Bookkeeper) and the number of pods on the
    stable version as its message. It ends with C(PodsReady) True and every other condition False, or with C(Error)
    reason C(RollbackFailed).
  - After C(RollbackFailed), once the cause is fixed, running this module again repeats the rollback; the broken
    pods left by the failed attempt are replaced first.
  - Refused, with nothing written, when the cluster is not in a failed upgrade or a rollback, or when O(version) is
    not the last stable version.
options:
  version:
    description:
      - The version to roll back to. Only the last stable version is accepted; leave it out to use that version.
    type: str
extends_documentation_fragment:
  - bookkeeper.ops.auth
  - bookkeeper.ops.cluster
  - bookkeeper.ops.cluster.wait
  - bookkeeper.ops.cluster.health
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
  - module: bookkeeper.ops.bk_upgrade
  - module: bookkeeper.ops.bk_status
requirements:
  - kubernetes >= 24.2.0
"""

EXAMPLES = r"""
- name: Roll back the failed upgrade to the last stable version
  bookkeeper.ops.bk_rollback:
    name: bookkeeper
    namespace: pravega

- name: Roll back, insisting on the version we expect to return to
  bookkeeper.ops.bk_rollback:
    name: bookkeeper
    namespace: pravega
    version: 0.13.0
"""

RETURN = r"""
cluster:
  description: The cluster after the run, as bk_status returns it.
  returned: always
  type: dict
steps:
  description: Each step the run took, with its time (RFC3339, UTC) and what it did or waited for.
  returned: always
  type: list
  elements: dict
plan:
  description: In check mode, the pods that would be replaced, in order.
  returned: in check mode
  type: list
  elements: dict
refused:
  description: True when the rollback was refused because of the cluster's state; nothing was written.
  returned: on refusal
  type: bool
retryable:
  description: True when the failure was transient and a rerun may succeed.
  returned: on connection or timeout failures
  type: bool
"""

from ansible_collections.bookkeeper.ops.plugins.module_utils import args, module, operations


def main():
    module.run(
        args.argspec(args.WAIT_ARG_SPEC, args.HEALTH_ARG_SPEC, {"version": {"type": "str"}}),
        lambda api, params, check_mode: operations.rollback(
            api,
            params["version"] and operations.checked_version(params["version"]),
            params["wait"],
            params["timeout"],
            check_mode,
            params["pod"],
            params["health_check"],
        ),
    )


if __name__ == "__main__":
    main()
