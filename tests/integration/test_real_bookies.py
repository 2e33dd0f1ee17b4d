"""Upgrades and rollbacks on real bookies (scripts/cluster/supervisor.py), with a writer that counts every entry.

Each pod of a ``*-real`` image of scripts/cluster/registry.yaml runs a real BookKeeper bookie in a network
namespace of its own; the writer (scripts/cluster/bookkeeper/Writer.java) writes with ensemble 3, write quorum 2
and ack quorum 2 during the rollout and reads every acknowledged entry back at the end.
"""

import json
import pathlib
import subprocess
import threading
import time

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import health
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations, runner
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.support import clusters
from ansible_collections.bookkeeper.ops.tests.support.kubectl import get_json
from ansible_collections.bookkeeper.ops.tests.support.planes import Plane
from ansible_collections.bookkeeper.ops.tests.support.wait import wait_for
from ansible_collections.bookkeeper.ops.tests.support.watchers import BookieWatch

OLD = "0.16.0-real"  # BookKeeper 4.16.6
NEW = "0.17.0-real"  # BookKeeper 4.17.2
CRASHING = "0.17.1-real-crash"  # BookKeeper 4.17.2 configured with a ledger storage class that does not exist
MISSING = "0.17.0-real-missing"  # no such image
RELEASES = {OLD: "4.16.6", NEW: "4.17.2", CRASHING: "4.17.2"}
NAME = "bk"
SESSION_PLANE = Plane()  # where the bookies run; it also runs their ZooKeeper
REPLICAS = 4
WRITER = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "cluster" / "bookkeeper" / "Writer.java"


@pytest.fixture(scope="module")
def writer_classes(kubeconfig, tmp_path_factory):
    """Writer.java compiled once against the newest release's client (javac on every start costs seconds)."""
    out = tmp_path_factory.mktemp("writer")
    lib = SESSION_PLANE.script("bookkeeper-lib", RELEASES[NEW])
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
            SESSION_PLANE.script("zookeeper"),
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
    # Real bookies start a JVM each: more time than the simulated ones.
    return clusters.deploy(client, namespace, replicas=replicas, version=version, timeout=240, **spec)


def bookie_pods(kubectl, namespace):
    return get_json(kubectl, "pods", "-n", namespace, "-l", "bookkeeper_cluster=%s" % NAME)["items"]


def running_releases(namespace):
    """The BookKeeper release each running bookie JVM of ``namespace`` was started from, by pod name."""
    found = {}
    for cmdline in pathlib.Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        text = [a.decode(errors="replace") for a in argv]
        if "org.apache.bookkeeper.server.Main" not in text:
            continue
        conf = pathlib.Path(text[text.index("--conf") + 1]).name
        if conf.startswith(namespace + "_"):
            classpath = text[text.index("-cp") + 1]
            found[conf[len(namespace) + 1 : -len(".conf")]] = classpath.rsplit("/bookkeeper-", 1)[1].split("/")[0]
    return found


def data_plane_rss(namespace):
    """Resident memory (MB) of the bookie JVMs of ``namespace`` and of ZooKeeper."""
    sizes = {"bookies": 0, "zookeeper": 0}
    for status in pathlib.Path("/proc").glob("[0-9]*/status"):
        try:
            cmdline = (status.parent / "cmdline").read_bytes().decode(errors="replace")
            rss = [line for line in status.read_text().splitlines() if line.startswith("VmRSS:")]
        except OSError:
            continue
        if rss and "/%s_" % namespace in cmdline and "org.apache.bookkeeper.server.Main" in cmdline:
            sizes["bookies"] += int(rss[0].split()[1]) // 1024
        elif rss and "ZooKeeperServerMain" in cmdline and "/%s-real/" % SESSION_PLANE.name in cmdline:
            sizes["zookeeper"] += int(rss[0].split()[1]) // 1024
    return sizes


def assert_nothing_lost(report):
    assert report["acknowledged"] > 100, report
    assert report["lost"] == 0, report
    assert report["read_back"] == report["acknowledged"], report


def test_upgrade_between_real_releases_with_the_writer_running(client, kubectl, namespace, writer_classes):
    api = deploy(client, namespace)
    assert running_releases(namespace) == {"%s-bookie-%d" % (NAME, i): "4.16.6" for i in range(REPLICAS)}
    ips = {pod["metadata"]["name"]: pod["status"]["podIP"] for pod in bookie_pods(kubectl, namespace)}
    writer = Writer(writer_classes, namespace)
    rest_from, rest_acked = time.monotonic(), writer.acked()
    time.sleep(10)  # writing at rest, for the throughput figure
    started, rest_acked = time.monotonic(), writer.acked() - rest_acked
    at_rest = rest_acked / (started - rest_from)
    memory = data_plane_rss(namespace)
    with BookieWatch(client, namespace, NAME, REPLICAS) as watch:
        before = writer.acked()
        result = operations.upgrade(api, version=NEW, options=RolloutOptions(wait=True, timeout=300))
        took, during = time.monotonic() - started, writer.acked() - before
    report = writer.stop()
    assert result["changed"] is True
    assert_nothing_lost(report)
    assert watch.most_down <= 1, "two bookies were down at once"
    assert all(len(uids) == 2 for uids in watch.uids.values()), "each bookie is replaced exactly once"
    pods = bookie_pods(kubectl, namespace)
    assert sorted(p["spec"]["containers"][0]["image"] for p in pods) == ["pravega/bookkeeper:%s" % NEW] * REPLICAS
    assert running_releases(namespace) == {"%s-bookie-%d" % (NAME, i): "4.17.2" for i in range(REPLICAS)}
    # A replaced bookie keeps its address and its volume: the same bookie id, with its ledgers.
    assert {p["metadata"]["name"]: p["status"]["podIP"] for p in pods} == ips
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
    operations.rollback(api, options=RolloutOptions(wait=True, timeout=240))
    assert running_releases(namespace) == {"%s-bookie-%d" % (NAME, i): "4.16.6" for i in range(REPLICAS)}


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
    assert watch.most_down <= 1, "two bookies were down at once"


def extra_bookie(namespace):
    """A bookie of the same BookKeeper cluster that is not one of the StatefulSet's pods."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "outside",
            "namespace": namespace,
            "annotations": {"bookkeeper-ops.local/bookkeeper-cluster": NAME},
        },
        "spec": {
            "terminationGracePeriodSeconds": 10,
            "containers": [{"name": "bookie", "image": "pravega/bookkeeper:%s" % OLD}],
        },
    }


def gate(api, asked="bk-bookie-1"):
    status, body = api.proxy_get(asked, 8000, health.UNDER_REPLICATED_PATH, 10)
    return health.bookkeeper_verdict(asked, status, body)


def test_the_health_gate_holds_the_rollout_while_ledgers_are_under_replicated(
    client, kubectl, namespace, writer_classes
):
    # The auditor marks the ledgers of a bookie that is gone for 5 s.
    api = deploy(client, namespace, options={"lostBookieRecoveryDelay": "5"})
    kubectl("apply", "-f", "-", stdin=json.dumps(extra_bookie(namespace)))
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

    kubectl("apply", "-f", "-", stdin=json.dumps(extra_bookie(namespace)))  # the bookie is back
    wait_for("the gate to let the rollout go on", lambda: NEW in step(), timeout=180, interval=2)
    assert not failing()
    kubectl("delete", "pod", "outside", "-n", namespace, "--wait=false")
