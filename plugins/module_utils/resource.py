# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""The facts of the BookkeeperCluster resource and of the objects around it, stated once.

Its API group, version and names; how its workloads, labels and Lease are
named; the annotations the collection reads and writes; and how the
collection names itself to the API server.
"""

__metaclass__ = type

GROUP = "bookkeeper.pravega.io"
VERSION = "v1alpha1"
API_VERSION = "%s/%s" % (GROUP, VERSION)
PLURAL = "bookkeeperclusters"
KIND = "BookkeeperCluster"
# The components of a cluster, each a StatefulSet <cluster>-<component>.
COMPONENTS = ("bookie",)
BOOKIE = "bookie"

# The pod annotation that records which BookKeeper version a pod was created for.
VERSION_ANNOTATION = "bookkeeper.version"
# The cluster annotation that asks the run driving an upgrade to stop it.
ABORT_ANNOTATION = "bookkeeper.ops/abort"

FIELD_MANAGER = "bookkeeper-ops"
# Requests carry this User-Agent, so that audit logs show what the collection did.
USER_AGENT = "bookkeeper-ops/1.0.0"
# The live progress display watches with its own, so that its requests are told apart from the run's.
PROGRESS_USER_AGENT = "bookkeeper-ops-progress/1.0.0"


def workload_name(cluster_name, component=BOOKIE):
    return "%s-%s" % (cluster_name, component)


def labels(cluster_name, component=None):
    """The labels of the objects of a cluster; with ``component``, those that select its pods."""
    result = {"app": "bookkeeper-cluster", "bookkeeper_cluster": cluster_name}
    if component:
        result["component"] = component
    return result


def selector(cluster_name, workload=None):
    """The label selector of a cluster's pods: the StatefulSet's own when there is one."""
    found = ((workload or {}).get("spec") or {}).get("selector", {}).get("matchLabels")
    return ",".join("%s=%s" % item for item in sorted((found or labels(cluster_name)).items()))


def lease_name(cluster_name):
    return "bookkeeper-ops-%s" % cluster_name
