# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""The facts of the BookkeeperCluster resource and of the objects around it, stated once.

Its API group, version and names; how its workloads, labels and Lease are
named; the annotations the collection reads and writes; how the collection
names itself to the API server; and what a cluster's spec and a workload's pod
template say (version, replicas, image, deadline), with their defaults.
"""

__metaclass__ = type

import datetime

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import versions

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


DEFAULT_REPLICAS = 3
DEFAULT_UPGRADE_TIMEOUT_MINUTES = 10


def spec_version(cluster):
    """The version the cluster's spec asks for (the default one when it names none)."""
    return versions.effective((cluster.get("spec") or {}).get("version"))


def spec_replicas(cluster):
    return (cluster.get("spec") or {}).get("replicas") or DEFAULT_REPLICAS


def upgrade_timeout(cluster):
    """The progress deadline; like the reference, a value below 1 means the default."""
    minutes = (cluster.get("spec") or {}).get("upgradeTimeout") or 0
    if minutes < 1:
        minutes = DEFAULT_UPGRADE_TIMEOUT_MINUTES
    return datetime.timedelta(minutes=minutes)


def repository(cluster):
    spec = cluster.get("spec") or {}
    return ((spec.get("image") or {}).get("imageSpec") or {}).get("repository") or versions.DEFAULT_REPOSITORY


def abort_requested(cluster):
    """The text of the abort annotation (``"requested"`` when empty), or None when it is absent."""
    annotations = (cluster.get("metadata") or {}).get("annotations") or {}
    if ABORT_ANNOTATION not in annotations:
        return None
    return annotations[ABORT_ANNOTATION] or "requested"


def template_version(workload):
    template = (workload.get("spec") or {}).get("template") or {}
    return ((template.get("metadata") or {}).get("annotations") or {}).get(VERSION_ANNOTATION, "")


def template_image(workload):
    template = (workload.get("spec") or {}).get("template") or {}
    containers = (template.get("spec") or {}).get("containers") or [{}]
    return containers[0].get("image", "")
