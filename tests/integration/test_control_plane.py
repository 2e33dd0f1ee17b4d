"""The local control plane behaves as a real cluster does where the collection depends on it.

Images and their behaviour come from scripts/cluster/registry.yaml.
"""

import collections
import json
import re
import threading
import time

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch
from kubernetes.client.rest import ApiException

from ansible_collections.bookkeeper.ops.tests.support.audit import AuditLog
from ansible_collections.bookkeeper.ops.tests.support.kubectl import get_json
from ansible_collections.bookkeeper.ops.tests.support.wait import wait_for

READY_IMAGE = "registry.local/pause:1.0"
CRASH_IMAGE = "pravega/bookkeeper:0.14.1"
UNREADY_IMAGE = "pravega/bookkeeper:0.14.2"


def pod(kubectl, namespace, name):
    return get_json(kubectl, "pod", name, "-n", namespace)


def is_ready(obj):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in obj.get("status", {}).get("conditions", []))


def container(obj):
    return (obj.get("status", {}).get("containerStatuses") or [{}])[0]


def run_pod(kubectl, namespace, name, image, *extra):
    kubectl("run", name, "-n", namespace, "--image", image, "--restart=Never", *extra)


def pod_row(kubectl, namespace, name):
    """The pod's line of `kubectl get pods`, split in columns."""
    lines = kubectl("get", "pod", name, "-n", namespace, "--no-headers").splitlines()
    return lines[0].split() if lines else []


def statefulset(namespace, name, image, replicas=3, strategy="RollingUpdate"):
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "podManagementPolicy": "Parallel",
            "updateStrategy": {"type": strategy},
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"terminationGracePeriodSeconds": 30, "containers": [{"name": "bookie", "image": image}]},
            },
        },
    }


def test_three_fake_nodes_are_listed_and_ready(kubectl):
    rows = [line.split() for line in kubectl("get", "nodes", "--no-headers").splitlines()]
    assert sorted(row[0] for row in rows) == ["kwok-node-1", "kwok-node-2", "kwok-node-3"]
    assert all(row[1] == "Ready" for row in rows), rows


def test_a_statefulset_becomes_ready_and_rolls_on_delete(kubectl, namespace):
    kubectl(
        "apply",
        "-f",
        "-",
        stdin=json.dumps(statefulset(namespace, "bk", "pravega/bookkeeper:0.13.0", strategy="OnDelete")),
    )
    wait_for(
        "3 ready replicas", lambda: get_json(kubectl, "sts", "bk", "-n", namespace)["status"].get("readyReplicas") == 3
    )
    rows = [line.split() for line in kubectl("get", "pods", "-n", namespace, "--no-headers").splitlines()]
    assert sorted(row[0] for row in rows) == ["bk-0", "bk-1", "bk-2"]
    assert all(row[1] == "1/1" and row[2] == "Running" for row in rows), rows
    # OnDelete: a new template reaches a pod only when the pod is deleted; the deletion must complete.
    kubectl("set", "image", "sts/bk", "-n", namespace, "bookie=pravega/bookkeeper:0.14.0")
    old_uid = pod(kubectl, namespace, "bk-1")["metadata"]["uid"]
    assert container(pod(kubectl, namespace, "bk-1"))["image"] == "pravega/bookkeeper:0.13.0"
    kubectl("delete", "pod", "bk-1", "-n", namespace, "--wait=false")

    def replaced():
        obj = get_json(kubectl, "pods", "-n", namespace)["items"]
        new = [p for p in obj if p["metadata"]["name"] == "bk-1" and p["metadata"]["uid"] != old_uid]
        return new and is_ready(new[0]) and new[0]["spec"]["containers"][0]["image"] == "pravega/bookkeeper:0.14.0"

    wait_for("bk-1 to come back Ready on 0.14.0", replaced, timeout=60)
    assert container(pod(kubectl, namespace, "bk-0"))["image"] == "pravega/bookkeeper:0.13.0"


def test_a_missing_image_shows_err_image_pull_then_image_pull_backoff(kubectl, namespace):
    run_pod(kubectl, namespace, "missing", "pravega/bookkeeper:9.9.9-absent")
    seen = []

    def status(expected):
        row = pod_row(kubectl, namespace, "missing")
        if row:
            seen.append(row[2])
        return row and row[2] == expected

    wait_for("ErrImagePull", lambda: status("ErrImagePull"), interval=0.05)
    wait_for("ImagePullBackOff", lambda: status("ImagePullBackOff"))
    assert seen.index("ErrImagePull") < seen.index("ImagePullBackOff")
    obj = pod(kubectl, namespace, "missing")
    assert obj["status"]["phase"] == "Pending" and not is_ready(obj)


def test_a_crashing_image_crash_loops_with_restarts_rising(kubectl, namespace):
    run_pod(kubectl, namespace, "crash", CRASH_IMAGE)
    wait_for("CrashLoopBackOff", lambda: "CrashLoopBackOff" in pod_row(kubectl, namespace, "crash"))
    first = container(pod(kubectl, namespace, "crash"))["restartCount"]
    assert first >= 1
    wait_for(
        "a higher restart count",
        lambda: container(pod(kubectl, namespace, "crash"))["restartCount"] > first,
        timeout=30,
    )
    obj = pod(kubectl, namespace, "crash")
    assert container(obj)["lastState"]["terminated"]["exitCode"] == 1
    assert not is_ready(obj)


def test_a_never_ready_image_runs_but_is_not_ready(kubectl, namespace):
    run_pod(kubectl, namespace, "unready", UNREADY_IMAGE)
    wait_for("Running", lambda: pod(kubectl, namespace, "unready")["status"].get("phase") == "Running")
    # A pod started after it, on an image that becomes Ready, gets there while this one does not.
    run_pod(kubectl, namespace, "ready", READY_IMAGE)
    wait_for("the ready pod", lambda: is_ready(pod(kubectl, namespace, "ready")))
    obj = pod(kubectl, namespace, "unready")
    assert obj["status"]["phase"] == "Running" and not is_ready(obj)
    assert pod_row(kubectl, namespace, "unready")[1:3] == ["0/1", "Running"]


def test_a_pod_that_fits_nowhere_is_pending_and_unschedulable(kubectl, namespace):
    manifest = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "giant", "namespace": namespace},
        "spec": {"containers": [{"name": "c", "image": READY_IMAGE, "resources": {"requests": {"cpu": "500"}}}]},
    }
    kubectl("apply", "-f", "-", stdin=json.dumps(manifest))

    def unschedulable():
        conditions = pod(kubectl, namespace, "giant")["status"].get("conditions", [])
        return any(c["type"] == "PodScheduled" and c.get("reason") == "Unschedulable" for c in conditions)

    wait_for("Unschedulable", unschedulable)
    assert pod_row(kubectl, namespace, "giant")[2] == "Pending"
    assert "Insufficient cpu" in kubectl(
        "get", "events", "-n", namespace, "--field-selector", "involvedObject.name=giant"
    )


def test_a_disruption_budget_makes_an_eviction_fail_with_429(kubectl, kubeconfig, namespace):
    kubectl("apply", "-f", "-", stdin=json.dumps(statefulset(namespace, "guarded", READY_IMAGE)))
    wait_for(
        "3 ready replicas",
        lambda: get_json(kubectl, "sts", "guarded", "-n", namespace)["status"].get("readyReplicas") == 3,
    )
    budget = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "all", "namespace": namespace},
        "spec": {"minAvailable": "100%", "selector": {"matchLabels": {"app": "guarded"}}},
    }
    kubectl("apply", "-f", "-", stdin=json.dumps(budget))
    wait_for(
        "the budget to be computed",
        lambda: get_json(kubectl, "pdb", "all", "-n", namespace).get("status", {}).get("currentHealthy") == 3,
    )
    core = k8s.CoreV1Api(k8s_config.new_client_from_config(config_file=kubeconfig))
    eviction = k8s.V1Eviction(metadata=k8s.V1ObjectMeta(name="guarded-0", namespace=namespace))
    with pytest.raises(ApiException) as refused:
        core.create_namespaced_pod_eviction("guarded-0", namespace, eviction)
    assert refused.value.status == 429
    assert "disruption budget" in refused.value.body
    assert is_ready(pod(kubectl, namespace, "guarded-0"))


class PodHistory(threading.Thread):
    """What one watch of a namespace's pods reports, by pod UID, from a thread started at once."""

    def __init__(self, core, namespace):
        super().__init__(daemon=True)
        self.core, self.namespace = core, namespace
        self.names, self.deleted, self.running = {}, set(), {}  # uid -> name; UIDs gone; name -> UID Running
        self.watch = k8s_watch.Watch()
        self.start()

    def run(self):
        for event in self.watch.stream(self.core.list_namespaced_pod, self.namespace, timeout_seconds=300):
            obj = event["object"]
            uid, name = obj.metadata.uid, obj.metadata.name
            self.names[uid] = name
            if event["type"] == "DELETED":
                self.deleted.add(uid)
            if event["type"] != "DELETED" and not obj.metadata.deletion_timestamp and obj.status.phase == "Running":
                self.running[name] = uid
            elif self.running.get(name) == uid:
                del self.running[name]

    def newcomers(self, names, old):
        """The UIDs of the Running pods ``names``, once none of them is in ``old``."""
        uids = [self.running.get(name) for name in names]
        return all(uids) and not old.intersection(uids) and uids


def kwok_pod_deletes(kubectl, namespace):
    """kwok's requests to delete pods of ``namespace``, by response code, from the API server's audit log."""
    return collections.Counter(
        entry["responseStatus"]["code"]
        for entry in AuditLog(kubectl).requests()
        if entry["verb"] == "delete"
        and ((entry.get("objectRef") or {}).get("resource"), (entry.get("objectRef") or {}).get("namespace"))
        == ("pods", namespace)
        and entry.get("userAgent", "").startswith("kwok-controller/")
    )


def test_replacing_statefulset_pods_deletes_only_the_pods_asked_to_go(kubectl, kubeconfig, namespace):
    """kwok, as the kubelet, removes each evicted pod, and never the new pod the StatefulSet makes in its name.

    42 evictions, each bound to the UID of the pod it evicts: every pod the watch sees deleted must be one of
    them, and kwok must have sent one delete per eviction. kwok deletes by name, so a further delete, even one
    that finds no pod, could have reached the pod made in that name moments later.
    """
    core = k8s.CoreV1Api(k8s_config.new_client_from_config(config_file=kubeconfig))
    history = PodHistory(core, namespace)
    kubectl("apply", "-f", "-", stdin=json.dumps(statefulset(namespace, "churn", READY_IMAGE)))
    names = ["churn-0", "churn-1", "churn-2"]
    evicted = set()
    for _round in range(14):
        uids = wait_for("new pods to run", lambda: history.newcomers(names, evicted), timeout=30, interval=0.05)
        for name, uid in zip(names, uids):
            options = k8s.V1DeleteOptions(preconditions=k8s.V1Preconditions(uid=uid))
            eviction = k8s.V1Eviction(metadata=k8s.V1ObjectMeta(name=name, namespace=namespace), delete_options=options)
            core.create_namespaced_pod_eviction(name, namespace, eviction)
            evicted.add(uid)
    wait_for("the evicted pods to be gone", lambda: evicted <= history.deleted, timeout=30)
    wait_for("the last new pods to run", lambda: history.newcomers(names, evicted), timeout=30)
    # A stray delete comes within milliseconds of a replacement: a second is ample for it to show.
    time.sleep(1)
    history.watch.stop()
    unasked = sorted("%s (uid %s)" % (history.names[uid], uid) for uid in history.deleted - evicted)
    assert not unasked, "pods deleted that no one asked to delete: %s" % ", ".join(unasked)
    deletes = kwok_pod_deletes(kubectl, namespace)
    assert deletes == {200: len(evicted)}, "kwok's pod deletes by response code: %s, for %d evictions" % (
        dict(deletes),
        len(evicted),
    )


def test_the_crd_is_installed_with_a_status_subresource(kubectl, namespace):
    crd = get_json(kubectl, "crd", "bookkeeperclusters.bookkeeper.pravega.io")
    assert crd["spec"]["names"]["shortNames"] == ["bk"]
    assert crd["spec"]["versions"][0]["subresources"] == {"status": {}}
    resource = {
        "apiVersion": "bookkeeper.pravega.io/v1alpha1",
        "kind": "BookkeeperCluster",
        "metadata": {"name": "probe", "namespace": namespace},
        "spec": {"version": "0.13.0", "replicas": 3},
        "status": {"currentVersion": "ignored"},
    }
    kubectl("create", "-f", "-", stdin=json.dumps(resource))
    # The status given at creation is dropped: status is written only through /status.
    assert "currentVersion" not in get_json(kubectl, "bk", "probe", "-n", namespace).get("status", {})
    status = '{"status": {"currentVersion": "0.13.0", "replicas": 3, "readyReplicas": 3}}'
    kubectl("patch", "bk", "probe", "-n", namespace, "--subresource=status", "--type=merge", "-p", status)
    kubectl(
        "patch",
        "bk",
        "probe",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"spec": {"version": "0.14.0"}, "status": {"currentVersion": "x"}}',
    )
    obj = get_json(kubectl, "bk", "probe", "-n", namespace)
    assert obj["status"]["currentVersion"] == "0.13.0"
    assert obj["spec"]["version"] == "0.14.0"
    header, row = kubectl("get", "bk", "probe", "-n", namespace).splitlines()
    assert re.split(r"\s{2,}", header) == [
        "NAME",
        "VERSION",
        "DESIRED VERSION",
        "DESIRED MEMBERS",
        "READY MEMBERS",
        "AGE",
    ]
    assert row.split()[:5] == ["probe", "0.13.0", "0.14.0", "3", "3"]
    # The schema rejects what it knows to be wrong.
    bad = dict(resource, metadata={"name": "bad", "namespace": namespace}, spec={"replicas": 0})
    result = kubectl("create", "-f", "-", stdin=json.dumps(bad), check=False)
    assert result.returncode != 0 and "spec.replicas" in result.stderr


def test_apiserver_metrics_count_requests_by_verb(kubectl, namespace):
    def posts():
        total = 0.0
        for line in kubectl("get", "--raw", "/metrics").splitlines():
            if (
                line.startswith("apiserver_request_total{")
                and 'resource="configmaps"' in line
                and 'verb="POST"' in line
            ):
                total += float(line.rsplit(" ", 1)[1])
        return total

    before = posts()
    for i in range(3):
        kubectl("create", "configmap", "c%d" % i, "-n", namespace)
    assert posts() - before >= 3


def test_rbac_applies_to_service_account_tokens(kubectl, kubeconfig, namespace, tmp_path):
    kubectl("create", "serviceaccount", "runner", "-n", namespace)
    token = kubectl("create", "token", "runner", "-n", namespace).strip()
    with open(kubeconfig) as handle:
        admin = yaml.safe_load(handle)
    cluster = admin["clusters"][0]["cluster"]
    config = k8s.Configuration(host=cluster["server"])
    config.ssl_ca_cert = cluster["certificate-authority"]
    config.api_key = {"authorization": "Bearer " + token}
    core = k8s.CoreV1Api(k8s.ApiClient(config))
    with pytest.raises(ApiException) as denied:
        core.list_namespaced_pod(namespace)
    assert denied.value.status == 403
    kubectl("create", "role", "pod-reader", "-n", namespace, "--verb=get,list", "--resource=pods")
    kubectl(
        "create",
        "rolebinding",
        "runner",
        "-n",
        namespace,
        "--role=pod-reader",
        "--serviceaccount=%s:runner" % namespace,
    )
    wait_for("the role to apply", lambda: _can_list(core, namespace), timeout=20)
    with pytest.raises(ApiException) as still_denied:
        core.list_namespaced_pod("default")
    assert still_denied.value.status == 403


def _can_list(core, namespace):
    try:
        core.list_namespaced_pod(namespace)
        return True
    except ApiException as error:
        if error.status != 403:
            raise
        return False
