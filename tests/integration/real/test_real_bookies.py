"""Upgrades and rollbacks on real bookies on a real node, with a writer that counts every entry.

The tests start a cluster of their own with BK_NODES=real: a kubelet, containerd and runc run each pod of a
``*-real`` image of scripts/cluster/registry.yaml, a real BookKeeper bookie whose readiness is the pod template's
own probe, and their ZooKeeper as a pod. Each bookie keeps its journal and ledgers on claims of its own.
The writer (scripts/cluster/bookkeeper/Writer.java) writes with ensemble 3, write quorum 2 and ack quorum 2
during the rollout and reads every acknowledged entry back at the end.
"""

import json
import time

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import health
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations, runner
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.support import pod_processes
from ansible_collections.bookkeeper.ops.tests.support.kubectl import get_json
from ansible_collections.bookkeeper.ops.tests.support.real_bookies import (
    NAME,
    NEW,
    OLD,
    Writer,
    assert_nothing_lost,
    deploy,
    extra_bookie,
)
from ansible_collections.bookkeeper.ops.tests.support.wait import wait_for
from ansible_collections.bookkeeper.ops.tests.support.watchers import BookieWatch

CRASHING = "0.17.1-real-crash"  # BookKeeper 4.17.2 configured with a ledger storage class that does not exist
MISSING = "0.17.0-real-missing"  # no such image
REPLICAS = 4


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
