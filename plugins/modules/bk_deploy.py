#!/usr/bin/python
# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)


__metaclass__ = type

DOCUMENTATION = r"""
module: bk_deploy
short_description: Create or update a BookKeeper cluster and the workload it runs on
version_added: 1.0.0
author: bookkeeper.ops maintainers (@bookkeeper-ops)
description:
  - Applies, with server-side apply, the BookkeeperCluster resource and its workload, laid out as the Pravega
    BookKeeper operator lays it out. That is a StatefulSet C(<name>-bookie) with the OnDelete update strategy, a
    headless Service, a ConfigMap of BookKeeper settings and a PodDisruptionBudget. Each pod carries the
    C(bookkeeper.version) annotation.
  - Optionally installs the BookkeeperCluster CRD first.
  - C(spec.version) is only set when the cluster is created. A later version change is an upgrade, made by
    M(bookkeeper.ops.bk_upgrade), and a repeated deploy never undoes it. The pod template follows the cluster's
    current version.
  - A repeated run with the same options reports no change.
options:
  spec:
    description:
      - The BookkeeperCluster spec, with the CRD's field names, such as C(version), C(replicas),
        C(image.imageSpec.repository), C(zookeeperUri), C(options), C(jvmOptions), C(upgradeTimeout) and
        C(maxUnavailableBookkeeperReplicas).
    type: dict
    required: true
  crd:
    description:
      - The BookkeeperCluster CustomResourceDefinition to apply first. Leave out when it is installed already.
    type: dict
  wait:
    description:
      - Wait until every bookie is Ready before recording the cluster's status.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for the bookies with O(wait=true). Between 1 and 86400.
    type: int
    default: 600
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
    details: Uses the API server's dry run; nothing is written.
  diff_mode:
    support: partial
    details: Shows the cluster's status before and after; RV(applied) names the objects that changed.
requirements:
  - kubernetes >= 24.2.0
"""

EXAMPLES = r"""
- name: Deploy three bookies at 0.13.0
  bookkeeper.ops.bk_deploy:
    name: bookkeeper
    namespace: pravega
    crd: "{{ lookup('ansible.builtin.file', 'bookkeepercluster-crd.yaml') | from_yaml }}"
    spec:
      version: 0.13.0
      replicas: 3
      zookeeperUri: zookeeper-client:2181
      image:
        imageSpec:
          repository: pravega/bookkeeper
"""

RETURN = r"""
applied:
  description: The objects that were created or changed, as C(<Kind> <name>).
  returned: always
  type: list
  elements: str
  sample: [BookkeeperCluster bookkeeper, StatefulSet bookkeeper-bookie]
cluster:
  description: The cluster's summary, as bk_status returns it (empty in check mode).
  returned: always
  type: dict
steps:
  description: The state machine's step that recorded the cluster's status.
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import args
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge import module
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions


def main():
    module.run(
        args.argspec(
            {
                "spec": {"type": "dict", "required": True},
                "crd": {"type": "dict"},
                "wait": {"type": "bool", "default": True},
                "timeout": {"type": "int", "default": 600},
            }
        ),
        lambda api, params, check_mode: operations.deploy(
            api,
            spec=params["spec"],
            crd=params["crd"],
            options=RolloutOptions.from_params(params, check_mode),
        ),
    )


if __name__ == "__main__":
    main()
