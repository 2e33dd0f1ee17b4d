"""Upgrades and rollbacks on real bookies on a real node, with a writer that counts every entry.

The tests start a cluster of their own with BK_NODES=real: a kubelet, containerd and runc run each pod of a
``*-real`` image of scripts/cluster/registry.yaml, a real BookKeeper bookie whose readiness is the pod template's
own probe, and their ZooKeeper as a pod. Each bookie keeps its journal and ledgers on claims of its own.
The writer (scripts/cluster/bookkeeper/Writer.java) writes with ensemble 3, write quorum 2 and ack quorum 2
during the rollout and reads every acknowledged entry back at the end.
"""

import json
import pathlib
import subprocess
import threading
import time

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import health
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations, runner
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.support import clusters, planes, pod_processes
from ansible_collections.bookkeeper.ops.tests.support.kubectl import Kubectl, get_json, scratch_namespace
from ansible_collections.bookkeeper.ops.tests.support.real_bookies import CLAIM, SMALL_JVM, STORAGE
from ansible_collections.bookkeeper.ops.tests.support.service_accounts import OPERATOR, service_account_kubeconfig
from ansible_collections.bookkeeper.ops.tests.support.wait import wait_for
from ansible_collections.bookkeeper.ops.tests.support.watchers import BookieWatch

OLD = "0.16.0-real"  # BookKeeper 4.16.6
NEW = "0.17.0-real"  # BookKeeper 4.17.2
CRASHING = "0.17.1-real-crash"  # BookKeeper 4.17.2 configured with a ledger storage class that does not exist
MISSING = "0.17.0-real-missing"  # no such image
RELEASES = {OLD: "4.16.6", NEW: "4.17.2", CRASHING: "4.17.2"}
NAME = "bk"
REAL_PLANE = planes.REAL_NODE  # its node runs the bookies and their ZooKeeper
REPLICAS = 4
WRITER = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "cluster" / "bookkeeper" / "Writer.java"


@pytest.fixture(scope="module")
def kubeconfig(real_plane):
    return real_plane.kubeconfig


@pytest.fixture(scope="module")
def kubectl(kubeconfig):
    return Kubectl(kubeconfig)


@pytest.fixture(scope="module")
def client(kubeconfig, kubectl, tmp_path_factory):
    """Least privilege, as for the tests on simulated nodes."""
    path = tmp_path_factory.mktemp("operator") / "kubeconfig.yaml"
    path, _token = service_account_kubeconfig(kubectl, kubeconfig, path, OPERATOR, ["bookkeeper-ops"])
    return connection.api_client({"kubeconfig": path}, environ={})


@pytest.fixture
def namespace(kubectl):
    with scratch_namespace(kubectl, "bk-real") as name:
        yield name


@pytest.fixture(scope="module")
def writer_classes(kubeconfig, tmp_path_factory):
    """Writer.java compiled once against the newest release's client (javac on every start costs seconds)."""
    out = tmp_path_factory.mktemp("writer")
    lib = REAL_PLANE.script("bookkeeper-lib", RELEASES[NEW])
    subprocess.run(["javac", "-nowarn", "-cp", lib + "/*", "-d", str(out), str(WRITER)], check=True)
    return lib, out


class Writer:
    """The writer as a process: started against a cluster's ledgers, stopped to get its report."""

    def __init__(self, classes, namespace, *options):
        lib, out = classes
        argv = [
            "java",
            "-Xmx256m",
            "-Dzookeeper.sasl.client=false",
            "-cp",
            "%s/*:%s" % (lib, out),
            "Writer",
            "--zookeeper",
            REAL_PLANE.script("zookeeper"),
            "--root",
            "/%s-%s" % (namespace, NAME),
            *options,
        ]
        self.lines = []
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        wait_for("the writer's first acknowledged entries", lambda: self.acked() > 20, timeout=90)

    def _read(self):
        for line in self.process.stdout:
            if line.startswith("WRITER "):
                self.lines.append(line[len("WRITER ") :].strip())

    def acked(self):
        counts = [int(line.split()[1]) for line in self.lines if line.startswith("acked ")]
        return counts[-1] if counts else 0

    def stop(self):
        self.process.stdin.write("stop\n")
        self.process.stdin.close()
        self.process.wait(timeout=180)
        self._reader.join(timeout=10)
        [report] = [json.loads(line[len("report ") :]) for line in self.lines if line.startswith("report ")]
        print("writer:", {k: v for k, v in report.items() if k != "acked_per_second"})
        return report


def deploy(client, namespace, version=OLD, replicas=REPLICAS, **spec):
    # Real bookies start a JVM each and pass the template's probe after 20 s: more time than simulated ones.
    spec = dict({"zookeeperUri": REAL_PLANE.script("zookeeper"), "storage": STORAGE, "jvmOptions": SMALL_JVM}, **spec)
    return clusters.deploy(client, namespace, replicas=replicas, version=version, timeout=300, **spec)


def bookie_pods(kubectl, namespace):
    return get_json(kubectl, "pods", "-n", namespace, "-l", "bookkeeper_cluster=%s" % NAME)["items"]


def running_releases(kubectl, namespace):
    """The BookKeeper release of each running bookie JVM of ``namespace``, by pod name."""
    return {pod: jvm["release"] for pod, jvm in pod_processes.jvms(kubectl, namespace).items()}


def data_plane_rss(kubectl, namespace):
    """Resident memory (MB) of the bookie JVMs of ``namespace`` and of ZooKeeper."""
    return {
        "bookies": sum(jvm["rss_mb"] for jvm in pod_processes.jvms(kubectl, namespace).values()),
        "zookeeper": sum(
            jvm["rss_mb"]
            for jvm in pod_processes.jvms(kubectl, "bookkeeper-ops-system", pod_processes.ZOOKEEPER_MAIN).values()
        ),
    }


def claims(kubectl, namespace):
    """Claim name -> uid of the bookies' claims."""
    return {c["metadata"]["name"]: c["metadata"]["uid"] for c in get_json(kubectl, "pvc", "-n", namespace)["items"]}


def assert_nothing_lost(report):
    assert report["acknowledged"] > 100, report
    assert report["lost"] == 0, report
    assert report["read_back"] == report["acknowledged"], report


def test_upgrade_between_real_releases_with_the_writer_running(client, kubectl, namespace, writer_classes):
    api = deploy(client, namespace)
    assert running_releases(kubectl, namespace) == {"%s-bookie-%d" % (NAME, i): "4.16.6" for i in range(REPLICAS)}
    kept = claims(kubectl, namespace)
    assert len(kept) == 2 * REPLICAS, kept
    writer = Writer(writer_classes, namespace)
    rest_from, rest_acked = time.monotonic(), writer.acked()
    time.sleep(10)  # writing at rest, for the throughput figure
    started, rest_acked = time.monotonic(), writer.acked() - rest_acked
    at_rest = rest_acked / (started - rest_from)
    memory = data_plane_rss(kubectl, namespace)
    with BookieWatch(client, namespace, NAME, REPLICAS) as watch:
        before = writer.acked()
        result = operations.upgrade(api, version=NEW, options=RolloutOptions(wait=True, timeout=300))
        took, during = time.monotonic() - started, writer.acked() - before
    report = writer.stop()
    assert result["changed"] is True
    assert_nothing_lost(report)
    assert watch.most_down <= 1, "bookies down at once (seconds in, which): %s" % (watch.worst,)
    assert all(len(uids) == 2 for uids in watch.uids.values()), "each bookie is replaced exactly once"
    pods = bookie_pods(kubectl, namespace)
    assert sorted(p["spec"]["containers"][0]["image"] for p in pods) == ["pravega/bookkeeper:%s" % NEW] * REPLICAS
    assert running_releases(kubectl, namespace) == {"%s-bookie-%d" % (NAME, i): "4.17.2" for i in range(REPLICAS)}
    # A replaced bookie keeps its claims: the same bookie id (its pod name), with its journal and ledgers.
    assert claims(kubectl, namespace) == kept
    print(
        "rollout of %d real bookies: %.1f s (%.1f s per bookie); writer: %.0f entries/s at rest, %.0f during the "
        "rollout, longest stall %d ms, %d lost; data plane RSS before the rollout: %s"
        % (REPLICAS, took, took / REPLICAS, at_rest, during / took, report["longest_stall_ms"], report["lost"], memory)
    )


def failed(call):
    with pytest.raises(runner.RunFailed) as failure:
        call()
    return str(failure.value)


def roll_back(api, kubectl, namespace):
    kubectl("patch", "bk", NAME, "-n", namespace, "--type=merge", "-p", json.dumps({"spec": {"version": OLD}}))
    operations.rollback(api, options=RolloutOptions(wait=True, timeout=300))
    assert running_releases(kubectl, namespace) == {"%s-bookie-%d" % (NAME, i): "4.16.6" for i in range(REPLICAS)}


def test_failed_upgrades_rolled_back_with_the_writer_running(client, kubectl, namespace, writer_classes):
    api = deploy(client, namespace)
    writer = Writer(writer_classes, namespace)
    with BookieWatch(client, namespace, NAME, REPLICAS) as watch:
        # An image that does not exist: bookie 0 is gone while its pod cannot start.
        message = failed(
            lambda: operations.upgrade(api, version=MISSING, options=RolloutOptions(wait=True, timeout=120))
        )
        assert message == "pod bk-bookie-0 update failed because of ImagePullBackOff"
        roll_back(api, kubectl, namespace)
        # A release whose bookie process exits at start.
        message = failed(
            lambda: operations.upgrade(api, version=CRASHING, options=RolloutOptions(wait=True, timeout=180))
        )
        assert message == "pod bk-bookie-0 update failed because of CrashLoopBackOff"
        [crashed] = [p for p in bookie_pods(kubectl, namespace) if p["metadata"]["name"] == "bk-bookie-0"]
        status = crashed["status"]["containerStatuses"][0]
        # The real process exited, with the bookie's own exit code, and was started again after a back-off.
        assert status["lastState"]["terminated"]["exitCode"] != 0
        assert status["lastState"]["terminated"]["reason"] == "Error"
        assert status["restartCount"] >= 1
        roll_back(api, kubectl, namespace)
    report = writer.stop()
    assert_nothing_lost(report)
    assert watch.most_down <= 1, "bookies down at once (seconds in, which): %s" % (watch.worst,)


def extra_bookie():
    """A bookie of the same BookKeeper cluster (its ConfigMap) that is not one of the StatefulSet's pods.

    Its claim outlives it, so that it comes back as the same bookie, with its ledgers.
    """
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "outside"}, "spec": CLAIM}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "outside"},
        "spec": {
            "terminationGracePeriodSeconds": 10,
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "outside"}}],
            "containers": [
                {
                    "name": "bookie",
                    "image": "pravega/bookkeeper:%s" % OLD,
                    "envFrom": [{"configMapRef": {"name": "%s-bookie" % NAME}}],
                    "volumeMounts": [
                        {"name": "data", "mountPath": "/bk/journal", "subPath": "journal"},
                        {"name": "data", "mountPath": "/bk/ledgers", "subPath": "ledgers"},
                    ],
                    "readinessProbe": {"httpGet": {"path": "/heartbeat", "port": 8000}, "periodSeconds": 2},
                }
            ],
        },
    }
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": [claim, pod]})


def gate(api, asked="bk-bookie-1"):
    status, body = api.proxy_get(asked, 8000, health.UNDER_REPLICATED_PATH, 10)
    return health.bookkeeper_verdict(asked, status, body)


def test_the_health_gate_holds_the_rollout_while_ledgers_are_under_replicated(
    client, kubectl, namespace, writer_classes
):
    # The auditor marks the ledgers of a bookie that is gone for 5 s.
    api = deploy(client, namespace, options={"lostBookieRecoveryDelay": "5"})
    kubectl("apply", "-n", namespace, "-f", "-", stdin=extra_bookie())
    wait_for(
        "the bookie outside the StatefulSet to be Ready",
        lambda: (
            kubectl(
                "get",
                "pod",
                "outside",
                "-n",
                namespace,
                "-o",
                "jsonpath={.status.conditions[?(@.type=='Ready')].status}",
            )
            == "True"
        ),
        timeout=120,
    )
    # Every ledger spans all five bookies, so none can be re-replicated while one of them is away.
    writer = Writer(writer_classes, namespace, "--ensemble", "5", "--entries-per-ledger", "50")
    wait_for("300 entries written", lambda: writer.acked() > 300, timeout=120)
    report = writer.stop()
    assert_nothing_lost(report)
    assert gate(api)["passed"] is True, "a healthy cluster passes, read through the real pod proxy"

    kubectl("delete", "pod", "outside", "-n", namespace, "--wait=true")

    def marked():
        status, body = api.proxy_get("bk-bookie-1", 8000, health.UNDER_REPLICATED_PATH, 10)
        return status == 200 and (status, body)

    # BookKeeper's answer then: 200 and a JSON list of ledger ids.
    status, body = wait_for("the auditor to mark ledgers under-replicated", marked, 120)
    assert isinstance(json.loads(body), list) and json.loads(body), body
    held = health.bookkeeper_verdict("bk-bookie-1", status, body)
    assert held["reason"] == "UnderReplicatedLedgers", held

    def step():
        """One step of the upgrade with the bookkeeper gate; the versions of the bookies after it."""
        operations.upgrade(
            api, version=NEW, options=RolloutOptions(wait=False, timeout=60, health={"type": "bookkeeper"})
        )
        return [p["metadata"]["annotations"]["bookkeeper.version"] for p in bookie_pods(kubectl, namespace)]

    def failing():
        conditions = api.get_cluster().get("status", {}).get("conditions") or []
        return [c for c in conditions if c["type"] == "HealthCheckFailing" and c["status"] == "True"]

    for attempt in range(5):
        assert step() == [OLD] * REPLICAS, "step %d took a bookie down with ledgers under-replicated" % attempt
    [condition] = failing()
    assert condition["reason"] == "UnderReplicatedLedgers" and "under-replicated ledger(s)" in condition["message"]

    kubectl("apply", "-n", namespace, "-f", "-", stdin=extra_bookie())  # the bookie is back
    wait_for("the gate to let the rollout go on", lambda: NEW in step(), timeout=180, interval=2)
    assert not failing()
    kubectl("delete", "pod", "outside", "-n", namespace, "--wait=false")
