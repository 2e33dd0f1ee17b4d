"""The BookkeeperClusters the integration tests deploy: the versions they use, and what their status shows.

The versions are images of scripts/cluster/registry.yaml, whose behaviour the local control plane simulates.
"""

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations, runner
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.support.kubectl import get_json

STABLE = "0.13.0"
GOOD = "0.14.0"
MISSING = "0.14.0-2252.b6f6512"  # not in the registry: its image does not exist
CRASHING = "0.14.1"
NAME = "bk"
# The conditions of a cluster that came back healthy from a failed upgrade.
HEALTHY = {
    "Upgrading": ("False", "", ""),
    "PodsReady": ("True", "", ""),
    "Error": ("False", "", ""),
    "RollbackInProgress": ("False", "", ""),
}


def deploy(client, namespace, replicas=3, version=STABLE, timeout=120, **spec):
    """Cluster NAME in ``namespace``, deployed and Ready; returns its ClusterAPI."""
    api = ClusterAPI(client, NAME, namespace)
    operations.deploy(
        api,
        spec=dict({"version": version, "replicas": replicas}, **spec),
        options=RolloutOptions(wait=True, timeout=timeout),
    )
    return api


def failed_upgrade(api, version=MISSING):
    """An upgrade to ``version`` that must fail; returns its message."""
    with pytest.raises(runner.RunFailed) as failed:
        operations.upgrade(api, version=version, options=RolloutOptions(wait=True, timeout=120))
    return str(failed.value)


def shown(api):
    """The cluster's conditions: type -> (status, reason, message)."""
    status = api.get_cluster()["status"]
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in status["conditions"]}


def versions_of(api):
    status = api.get_cluster()["status"]
    return status["currentVersion"], status["targetVersion"], status["versionHistory"]


def pod_versions(kubectl, namespace):
    pods = get_json(kubectl, "pods", "-n", namespace, "-l", "bookkeeper_cluster=%s" % NAME)["items"]
    return sorted(pod["metadata"]["annotations"]["bookkeeper.version"] for pod in pods)
