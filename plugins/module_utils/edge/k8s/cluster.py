# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""The ClusterAdapter over the API server: one snapshot of a BookkeeperCluster, and the writes the core asks for.

Status goes through the status subresource guarded by resourceVersion, pod
templates are patched, pods evicted, events recorded; every request goes
through the connection's http_door.Door, bounded by the run's ``seconds``, and every
watch through watch.follow.
"""

__metaclass__ = type

import copy
import time

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import errors, helm, resource
from ansible_collections.bookkeeper.ops.plugins.module_utils.core.resource import GROUP, KIND, PLURAL, VERSION
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge import bookie_admin, helm_cli, probes
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import apply, http_door, watch
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.lease import Lease
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import waiting
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.adapter import ClusterAdapter

try:
    from kubernetes import client as k8s
except ImportError:  # connection.KUBERNETES_IMPORT_ERROR reports it
    pass


class ClusterAPI(ClusterAdapter):
    def __init__(self, client, name, namespace, holder=None, seconds=None):
        self.name = name
        self.namespace = namespace
        self.client = client
        self.door = http_door.Door(client.configuration.host, seconds=seconds)
        self.core = k8s.CoreV1Api(client)
        self.apps = k8s.AppsV1Api(client)
        self.custom = k8s.CustomObjectsApi(client)
        self.lease = Lease(client, self.door, name, namespace, holder)
        self.pods_version = ""
        self.cluster_version = ""

    def _what(self, doing):
        return "%s BookkeeperCluster %s/%s" % (doing, self.namespace, self.name)

    # Reading
    def get_cluster(self):
        cluster = self.find_cluster()
        if cluster is None:
            raise errors.KubeError("BookkeeperCluster %s not found in namespace %s" % (self.name, self.namespace))
        return cluster

    def find_cluster(self):
        what = self._what("reading")
        if not self.name:
            raise errors.KubeError("%s: the cluster name is empty" % what)
        try:
            return self.door.request(
                what, self.custom.get_namespaced_custom_object, GROUP, VERSION, self.namespace, PLURAL, self.name
            )
        except errors.NotFound as missing:
            if missing.kind == PLURAL:
                return None
            raise errors.KubeError(
                "the BookkeeperCluster resource type (%s) is not installed on this cluster; install its CRD, for "
                "example with the bookkeeper.ops.deploy role" % resource.API_VERSION
            ) from missing

    def observe(self):
        cluster = self.get_cluster()
        self.cluster_version = cluster["metadata"].get("resourceVersion", "")
        components = []
        for component in resource.COMPONENTS:
            workload_name = resource.workload_name(self.name, component)
            try:
                workload = self.door.read(
                    "reading StatefulSet %s/%s" % (self.namespace, workload_name),
                    self.apps.read_namespaced_stateful_set,
                    workload_name,
                    self.namespace,
                )
            except errors.NotFound:
                workload = None
            pod_list = self.door.read(
                "listing the pods of %s/%s" % (self.namespace, self.name),
                self.core.list_namespaced_pod,
                self.namespace,
                label_selector=resource.selector(self.name, workload),
            )
            components.append({"name": component, "workload": workload, "pods": pod_list["items"]})
            self.pods_version = pod_list["metadata"].get("resourceVersion", "")
        return {"cluster": cluster, "components": components}

    def helm_release_records(self, release):
        secrets = self.door.read(
            "reading the history of Helm release %s/%s" % (self.namespace, release),
            self.core.list_namespaced_secret,
            self.namespace,
            label_selector="owner=helm,name=%s" % release,
        )
        return [
            item["data"]["release"]
            for item in secrets["items"]
            if item.get("type") == helm.RELEASE_SECRET_TYPE and "release" in (item.get("data") or {})
        ]

    def proxy_get(self, pod_name, port, path, timeout):
        """The pod's own answer comes back as it is, error statuses included; a pod the API server cannot
        reach gives its 502/503 answer. Not retried: the health check asks again at the next step."""
        return self._proxy("GET", pod_name, port, path, timeout)

    def proxy_put(self, pod_name, port, path, body, timeout):
        """PUT ``body`` (a dict, sent as a JSON object) to a pod's port through the API server; answers as
        proxy_get. Not retried: the data-plane step that sends it looks again before sending it again."""
        return self._proxy("PUT", pod_name, port, path, timeout, body)

    def _proxy(self, method, pod_name, port, path, timeout, body=None):
        url = "/api/v1/namespaces/%s/pods/%s:%d/proxy/%s" % (self.namespace, pod_name, port, path.lstrip("/"))
        headers = {"Accept": "*/*"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self.door.request(
                "asking pod %s/%s" % (self.namespace, pod_name),
                self.client.call_api,
                url,
                method,
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
                _preload_content=False,
                _return_http_data_only=False,
                retry=False,
                ceiling=timeout,
            )
            return response[1], response[0].data.decode("utf-8", "replace")
        except errors.KubeError as error:
            if error.status is None:
                return 0, "no answer from the API server's pod proxy: %s" % error.reason
            return error.status, error.body

    # Writing
    def _replace(self, what, replace, body):
        return self.door.request(what, replace, GROUP, VERSION, self.namespace, PLURAL, self.name, body)

    def write_status(self, cluster, status):
        body = copy.deepcopy(cluster)
        body["status"] = status
        return self._replace(
            self._what("writing the status of"), self.custom.replace_namespaced_custom_object_status, body
        )

    def set_version(self, cluster, version):
        body = copy.deepcopy(cluster)
        body.setdefault("spec", {})["version"] = version
        return self._replace(self._what("setting spec.version of"), self.custom.replace_namespaced_custom_object, body)

    def set_template(self, effect, snapshot):
        component = [c for c in snapshot["components"] if c["name"] == effect["component"]][0]
        containers = component["workload"]["spec"]["template"]["spec"]["containers"]
        patch = {
            "spec": {
                "template": {
                    "metadata": {"annotations": {resource.VERSION_ANNOTATION: effect["version"]}},
                    "spec": {"containers": [{"name": containers[0]["name"], "image": effect["image"]}]},
                }
            }
        }
        self.door.request(
            "updating the pod template of StatefulSet %s/%s" % (self.namespace, effect["workload"]),
            self.apps.patch_namespaced_stateful_set,
            effect["workload"],
            self.namespace,
            patch,
        )

    def evict(self, pod_name, pod_uid, grace_seconds=None):
        """Not retried here: the run observes again, decides again and evicts again after a wait."""
        body = k8s.V1Eviction(
            metadata=k8s.V1ObjectMeta(name=pod_name, namespace=self.namespace),
            delete_options=k8s.V1DeleteOptions(
                preconditions=k8s.V1Preconditions(uid=pod_uid), grace_period_seconds=grace_seconds
            ),
        )
        try:
            self.door.request(
                "evicting pod %s/%s" % (self.namespace, pod_name),
                self.core.create_namespaced_pod_eviction,
                pod_name,
                self.namespace,
                body,
                retry=False,
            )
        except errors.KubeError as error:
            if error.status == 429 or "PodDisruptionBudget" in error.reason:
                return "eviction of pod %s is blocked by a PodDisruptionBudget: %s" % (pod_name, error.reason)
            if error.status in (404, 409):
                return ""  # already gone or already replaced: the next observation shows which
            if error.retryable:
                return "eviction of pod %s failed for now: %s" % (pod_name, error.reason)
            raise
        return ""

    def emit_event(self, cluster, event, now):
        stamp = cond.format_time(now)
        metadata = cluster["metadata"]
        body = {
            "metadata": {
                "generateName": "%s-" % self.name,
                "namespace": self.namespace,
                "labels": resource.labels(self.name),
            },
            "involvedObject": {
                "apiVersion": resource.API_VERSION,
                "kind": KIND,
                "name": self.name,
                "namespace": self.namespace,
                "uid": metadata.get("uid"),
                "resourceVersion": metadata.get("resourceVersion"),
            },
            "reason": event["reason"],
            "message": event["message"],
            "type": event["type"],
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "source": {"component": resource.FIELD_MANAGER},
            "reportingComponent": resource.FIELD_MANAGER,
            "reportingInstance": self.lease.holder,
        }
        self.door.request(
            "recording event %r on BookkeeperCluster %s/%s" % (event["reason"], self.namespace, self.name),
            self.core.create_namespaced_event,
            self.namespace,
            body,
        )

    def annotate(self, key, value):
        self.door.request(
            "annotating BookkeeperCluster %s/%s with %s" % (self.namespace, self.name, key),
            self.custom.patch_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            PLURAL,
            self.name,
            {"metadata": {"annotations": {key: value}}},
        )

    def apply(self, obj, dry_run=False):
        return apply.apply_object(self.client, self.door, obj, dry_run)

    # What a rollout runs besides requests
    def run_health_check(self, spec, snapshot, next_pod):
        return probes.run(spec, self, snapshot, next_pod)

    def observe_data_plane(self, snapshot, pod_name):
        return bookie_admin.observe(self, snapshot, pod_name)

    def change_data_plane(self, snapshot, effect):
        return bookie_admin.change(self, snapshot, effect)

    def helm_rollback(self, *, binary, release, revision, settings):
        return helm_cli.run_rollback(binary, release, revision, self.namespace, settings, timeout=self.seconds_left())

    # Waiting
    def seconds_left(self):
        return self.door.seconds_left()

    def follow_pods(self, seconds, version=""):
        """The cluster's pods and their changes, as watch.follow gives them; ``seconds`` per watch request."""
        return watch.follow(
            self.door,
            "watching the pods of %s/%s" % (self.namespace, self.name),
            self.core.list_namespaced_pod,
            self.namespace,
            seconds=seconds,
            version=version,
            label_selector=resource.selector(self.name),
            allow_watch_bookmarks=False,
        )

    def follow_cluster(self, seconds, version=""):
        """The cluster resource and its changes, as watch.follow gives them; ``seconds`` per watch request."""
        return watch.follow(
            self.door,
            self._what("watching"),
            self.custom.list_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            PLURAL,
            seconds=seconds,
            version=version,
            field_selector="metadata.name=%s" % self.name,
        )

    def wait_for_change(self, seconds):
        self._wait_for_event(self.follow_pods, seconds, self.pods_version)

    def wait_for_cluster_change(self, seconds):
        self._wait_for_event(self.follow_cluster, seconds, self.cluster_version)

    @staticmethod
    def _wait_for_event(follow, seconds, version):
        """Block until ``follow`` brings one event after the last observation's ``version``, or ``seconds`` pass."""
        seconds = max(1, int(round(seconds)))
        try:
            for _event in follow(seconds, version):
                break
        except errors.KubeError as error:
            if error.status is not None:
                raise
            time.sleep(min(seconds, 1))  # unanswered: the next observation retries

    def wait_for_type(self, seconds=30):
        last = {}

        def served():
            try:
                self.door.request(
                    "waiting for the BookkeeperCluster resource type to be served",
                    self.custom.list_namespaced_custom_object,
                    GROUP,
                    VERSION,
                    self.namespace,
                    PLURAL,
                    limit=1,
                )
            except errors.NotFound as missing:
                last["answer"] = missing
                return False
            return True

        def still_missing():
            raise last["answer"]  # the API server's own 404 says more than a timeout would

        waiting.wait_until(
            served, timeout=seconds, pause=lambda left: time.sleep(min(left, 0.2)), timed_out=still_missing
        )

    # The Lease that keeps two runs apart
    def acquire(self, now):
        self.lease.acquire(now)

    def renew(self, now):
        self.lease.renew(now)

    def release(self):
        self.lease.release()
