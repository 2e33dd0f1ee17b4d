# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""Facts about one pod: its ordinal, version, readiness and whether it is going away."""

__metaclass__ = type

from ansible_collections.bookkeeper.ops.plugins.module_utils.core.resource import VERSION_ANNOTATION


def name(pod):
    return (pod.get("metadata") or {}).get("name", "")


def uid(pod):
    return (pod.get("metadata") or {}).get("uid", "")


def ordinal(pod):
    """The StatefulSet ordinal of the pod (``bk-bookie-10`` is 10); -1 when the name has none."""
    suffix = name(pod).rsplit("-", 1)[-1]
    return int(suffix) if suffix.isdigit() else -1


def by_ordinal(pods):
    """Pods in numeric ordinal order, so that ``-2`` comes before ``-10``."""
    return sorted(pods, key=lambda pod: (ordinal(pod), name(pod)))


def version(pod):
    return ((pod.get("metadata") or {}).get("annotations") or {}).get(VERSION_ANNOTATION, "")


def image(pod):
    containers = (pod.get("spec") or {}).get("containers") or [{}]
    return containers[0].get("image", "")


def is_terminating(pod):
    return bool((pod.get("metadata") or {}).get("deletionTimestamp"))


def is_ready(pod):
    if is_terminating(pod):
        return False
    for condition in (pod.get("status") or {}).get("conditions") or ():
        if condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return False
