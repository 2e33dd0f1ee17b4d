# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""Server-side apply of the objects the deploy role manages."""

__metaclass__ = type

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import errors, resource
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import http_door

# Where each kind lives: (API prefix, plural, namespaced).
_PATHS = {
    "CustomResourceDefinition": ("/apis/apiextensions.k8s.io/v1", "customresourcedefinitions", False),
    resource.KIND: ("/apis/" + resource.API_VERSION, resource.PLURAL, True),
    "ConfigMap": ("/api/v1", "configmaps", True),
    "Service": ("/api/v1", "services", True),
    "PodDisruptionBudget": ("/apis/policy/v1", "poddisruptionbudgets", True),
    "StatefulSet": ("/apis/apps/v1", "statefulsets", True),
}
_VOLATILE = ("resourceVersion", "generation", "managedFields", "uid", "creationTimestamp")


def _path(obj):
    prefix, plural, namespaced = _PATHS[obj["kind"]]
    metadata = obj["metadata"]
    if namespaced:
        return "%s/namespaces/%s/%s/%s" % (prefix, metadata["namespace"], plural, metadata["name"])
    return "%s/%s/%s" % (prefix, plural, metadata["name"])


def send(client, path, method, body=None, query=None, content_type="application/json", _request_timeout=None):
    """One request by path, answered as a dict; ``_request_timeout`` as the Kubernetes client takes it."""
    response = client.call_api(
        path,
        method,
        query_params=query or [],
        header_params={"Content-Type": content_type, "Accept": "application/json"},
        body=body,
        auth_settings=["BearerToken"],
        _preload_content=False,
        _return_http_data_only=True,
        _request_timeout=_request_timeout,
    )
    return http_door.decode(response)


def _comparable(obj):
    """The object without the fields the server changes on every write."""
    result = {key: value for key, value in (obj or {}).items() if key != "status"}
    result["metadata"] = {key: value for key, value in (obj or {}).get("metadata", {}).items() if key not in _VOLATILE}
    return result


def apply_object(client, door, obj, dry_run=False):
    """Server-side apply ``obj`` through ``door`` (an http_door.Door); returns (changed, applied object). Dry run writes
    nothing."""
    path = _path(obj)
    what = "applying %s %s" % (obj["kind"], obj["metadata"]["name"])
    try:
        existing = door.request(what, send, client, path, "GET")
    except errors.NotFound:
        existing = None
    query = [("fieldManager", resource.FIELD_MANAGER), ("force", "true")]
    if dry_run:
        query.append(("dryRun", "All"))
    applied = door.request(what, send, client, path, "PATCH", obj, query, "application/apply-patch+yaml")
    return _comparable(existing) != _comparable(applied), applied
