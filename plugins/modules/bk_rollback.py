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
  - On a healthy cluster with nothing running (no failed upgrade, no rollout in progress, its pods on its version),
    there is nothing to roll back - a rerun after a rollback, or a fleet rollback over clusters that did not fail.
    The module then returns C(changed=false) with that message and writes nothing, not even its Lease, as
    M(bookkeeper.ops.bk_upgrade) does on a cluster settled at its version.
  - Refused, with nothing written, while an upgrade runs, when the cluster is in another error, or when O(version)
    is not the last stable version.
  - For a cluster installed with Helm, O(helm_release) makes the rollback a C(helm rollback) to a revision that
    deploys the last stable version; a revision that deploys any other version is refused before helm runs.
options:
  version:
    description:
      - The version to roll back to. Only the last stable version is accepted; leave it out to use that version.
    type: str
  helm_release:
    description:
      - The Helm release that owns the BookkeeperCluster resource. Its history is read from Helm's Secrets in
        O(namespace) (the caller needs C(list) on C(secrets)), and C(helm rollback) returns the release to
        O(helm_revision), which must deploy the last stable version as the cluster's C(spec.version).
      - The pods are then rolled back one at a time as without Helm.
    type: str
  helm_revision:
    description:
      - The revision of O(helm_release) to return to. Refused, with nothing written, when its manifest does not set
        the cluster's C(spec.version) to the last stable version; the message lists the revisions that do.
      - Leave it out to take the newest earlier revision that deploys the last stable version.
    type: int
  helm_binary:
    description: The helm client to run, a name on E(PATH) or a path.
    type: str
    default: helm
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

- name: Roll back a Helm-installed cluster to the newest revision of its last stable version
  bookkeeper.ops.bk_rollback:
    name: bookkeeper
    namespace: pravega
    helm_release: bookkeeper
"""

RETURN = r"""
cluster:
  description: The cluster after the run, as bk_status returns it.
  returned: always
  type: dict
steps:
  description:
    - Each step the run took, with its time (RFC3339, UTC) and what it did or waited for.
    - C(pod) names the bookie the step concerns (a wait, the bookie replaced before it), empty for the
      cluster's own steps; the upgrade and rollback roles show the steps bookie by bookie with it.
  returned: always
  type: list
  elements: dict
helm_revision:
  description: With O(helm_release), the revision the release is (or in check mode would be) rolled back to.
  returned: with O(helm_release)
  type: int
helm_history:
  description: With O(helm_release), each revision with its status, chart and the cluster's C(spec.version).
  returned: with O(helm_release)
  type: list
  elements: dict
  sample:
    - {revision: 1, status: superseded, updated: "2026-11-24T09:00:00Z", chart: bookkeeper-0.10.0, version: 0.13.0}
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

import os

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import args, versions
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge import module
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions

OPTIONS = {
    "version": {"type": "str"},
    "helm_release": {"type": "str"},
    "helm_revision": {"type": "int"},
    "helm_binary": {"type": "str", "default": "helm"},
}


def helm_options(params):
    """What operations.rollback needs to run helm, or None without a Helm release."""
    if not params["helm_release"]:
        return None
    return {
        "release": params["helm_release"],
        "revision": params["helm_revision"],
        "binary": params["helm_binary"],
        "settings": connection.auth_settings(params, os.environ),
    }


def main():
    module.run(
        args.argspec(args.WAIT_ARG_SPEC, args.HEALTH_ARG_SPEC, args.DATA_PLANE_ARG_SPEC, OPTIONS),
        lambda api, params, check_mode: operations.rollback(
            api,
            version=params["version"] and versions.check_requested(params["version"]),
            options=RolloutOptions.from_params(params, check_mode),
            helm_options=helm_options(params),
        ),
        required_by={"helm_revision": "helm_release"},
    )


if __name__ == "__main__":
    main()
