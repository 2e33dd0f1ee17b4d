# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)


__metaclass__ = type


class ModuleDocFragment(object):
    # Which BookkeeperCluster a task works on.
    DOCUMENTATION = r"""
options:
  name:
    description:
      - Name of the BookkeeperCluster (C(bookkeeper.pravega.io/v1alpha1)).
    type: str
    required: true
    aliases: [cluster]
  namespace:
    description:
      - Namespace of the BookkeeperCluster.
    type: str
    default: default
"""

    # Options of the modules that drive a rollout.
    WAIT = r"""
options:
  wait:
    description:
      - With V(true), drive the rollout to its end (completion or failure) within O(timeout), waking on watch events
        of the cluster's pods.
      - With V(false), make one step (start, change a pod template, replace one pod, or record progress) and return,
        so that a role can show each pod as its own task.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to drive the rollout with O(wait=true) before returning with a retryable error. Between 1 and 86400.
      - The cluster's own progress deadline (C(spec.upgradeTimeout) minutes without a pod becoming Ready) is separate
        and fails the rollout.
    type: int
    default: 1800
  pod:
    description:
      - With O(wait=true), return as soon as this pod runs the target version and is Ready, or the rollout ends.
      - Roles loop over the plan with it, so that each pod is its own task in AWX.
    type: str
"""
