"""The local control plane behaves as a real cluster does where the collection depends on it."""

import json

from ansible_collections.bookkeeper.ops.tests.integration.conftest import get_json, wait_for


def pod_state(kubectl, namespace, name):
    pod = get_json(kubectl, "pod", name, "-n", namespace)
    statuses = pod.get("status", {}).get("containerStatuses") or [{}]
    waiting = (statuses[0].get("state") or {}).get("waiting", {}).get("reason", "")
    ready = any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))
    return pod, waiting, ready, statuses[0].get("restartCount", 0)


def run_pod(kubectl, namespace, name, image, extra=""):
    kubectl("run", name, "-n", namespace, "--image", image, "--restart=Never", *extra.split())


def test_fake_nodes_are_listed_and_ready(kubectl):
    out = kubectl("get", "nodes")
    for node in ("kwok-node-1", "kwok-node-2", "kwok-node-3"):
        assert node in out
    assert out.count(" Ready ") == 3


def test_a_statefulset_becomes_ready(kubectl, namespace):
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {
            "replicas": 3,
            "serviceName": "web",
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": "registry.local/pause:1.0"}]},
            },
        },
    }
    kubectl("apply", "-f", "-", stdin=json.dumps(manifest))
    wait_for(
        "3 ready replicas", lambda: get_json(kubectl, "sts", "web", "-n", namespace)["status"].get("readyReplicas") == 3
    )
    assert kubectl("get", "pods", "-n", namespace).count("1/1     Running") == 3


def test_a_missing_image_shows_err_image_pull_then_image_pull_backoff(kubectl, namespace):
    run_pod(kubectl, namespace, "missing", "pravega/bookkeeper:9.9.9-absent")
    wait_for("ErrImagePull", lambda: "ErrImagePull" in kubectl("get", "pods", "-n", namespace), interval=0.05)
    wait_for("ImagePullBackOff", lambda: "ImagePullBackOff" in kubectl("get", "pods", "-n", namespace))
    assert not pod_state(kubectl, namespace, "missing")[2]


def test_a_crashing_image_crash_loops_with_restarts_rising(kubectl, namespace):
    run_pod(kubectl, namespace, "crash", "registry.local/crash:1.0")
    wait_for("CrashLoopBackOff", lambda: "CrashLoopBackOff" in kubectl("get", "pods", "-n", namespace))
    first = pod_state(kubectl, namespace, "crash")[3]
    wait_for("a higher restart count", lambda: pod_state(kubectl, namespace, "crash")[3] > first, timeout=20)


def test_a_never_ready_image_runs_but_is_not_ready(kubectl, namespace):
    run_pod(kubectl, namespace, "unready", "registry.local/unready:1.0")
    wait_for("Running", lambda: pod_state(kubectl, namespace, "unready")[0]["status"].get("phase") == "Running")
    run_pod(kubectl, namespace, "ready", "registry.local/pause:1.0")
    wait_for("the ready pod", lambda: pod_state(kubectl, namespace, "ready")[2])
    assert not pod_state(kubectl, namespace, "unready")[2]


def test_a_pod_that_fits_nowhere_is_unschedulable(kubectl, namespace):
    manifest = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "giant", "namespace": namespace},
        "spec": {
            "containers": [
                {"name": "c", "image": "registry.local/pause:1.0", "resources": {"requests": {"cpu": "500"}}}
            ]
        },
    }
    kubectl("apply", "-f", "-", stdin=json.dumps(manifest))

    def unschedulable():
        conditions = pod_state(kubectl, namespace, "giant")[0]["status"].get("conditions", [])
        return any(c["type"] == "PodScheduled" and c.get("reason") == "Unschedulable" for c in conditions)

    wait_for("Unschedulable", unschedulable)
    assert "Pending" in kubectl("get", "pod", "giant", "-n", namespace)


def test_a_disruption_budget_blocks_an_eviction(kubectl, namespace, client):
    from ansible_collections.bookkeeper.ops.plugins.module_utils import kube

    run_pod(kubectl, namespace, "guarded", "registry.local/pause:1.0", "--labels=app=guarded")
    wait_for("the pod", lambda: pod_state(kubectl, namespace, "guarded")[2])
    budget = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "all", "namespace": namespace},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "guarded"}}},
    }
    kubectl("apply", "-f", "-", stdin=json.dumps(budget))
    wait_for(
        "the budget to be computed",
        lambda: get_json(kubectl, "pdb", "all", "-n", namespace).get("status", {}).get("expectedPods") == 1,
    )
    api = kube.ClusterAPI(client, "none", namespace)
    refusal = api.evict("guarded", pod_state(kubectl, namespace, "guarded")[0]["metadata"]["uid"])
    assert "blocked by a PodDisruptionBudget" in refusal
    assert pod_state(kubectl, namespace, "guarded")[2]


def test_the_crd_has_a_status_subresource(kubectl, namespace):
    resource = {
        "apiVersion": "bookkeeper.pravega.io/v1alpha1",
        "kind": "BookkeeperCluster",
        "metadata": {"name": "probe", "namespace": namespace},
        "spec": {"version": "0.13.0"},
        "status": {"currentVersion": "ignored"},
    }
    kubectl("apply", "-f", "-", stdin=json.dumps(resource))
    assert "currentVersion" not in get_json(kubectl, "bk", "probe", "-n", namespace).get("status", {})
    kubectl(
        "patch",
        "bk",
        "probe",
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status": {"currentVersion": "0.13.0"}}',
    )
    kubectl("patch", "bk", "probe", "-n", namespace, "--type=merge", "-p", '{"status": {"currentVersion": "x"}}')
    assert get_json(kubectl, "bk", "probe", "-n", namespace)["status"]["currentVersion"] == "0.13.0"
    columns = kubectl("get", "bk", "probe", "-n", namespace)
    assert "DESIRED VERSION" in columns and "0.13.0" in columns
