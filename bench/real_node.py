"""Rollouts of real bookies on the real node: time per bookie under each readiness probe, what the probes cost,
and how soon a fault the kubelet reports fails the run.

Usage: .venv/bin/python bench/real_node.py [--bookies 4]

On the real-node cluster (BK_NODES=real, started if needed and left as it was found), two clusters of real bookies
(BookKeeper 4.16.6, claims of their own, small heaps):

* ``http``: the deploy role's template, ready when BookKeeper's admin server says ``/api/v1/bookie/is_ready``;
* ``jvm``: the same, its template switched to the Pravega operator's probe (``bookkeeper shell bookiesanity``,
  a BookKeeper shell JVM every 10 s after 20 s), as a cluster the operator made has it.

It prints: the CPU the bookie pods use at rest (probes included: an exec probe runs in the pod's cgroup), the
upgrade to 4.17.2 per bookie, and for the ``http`` cluster an upgrade to a tag that does not exist and one to a
release whose bookie exits at start: the seconds from the replaced pod's creation to the run's failure, and the
rollback after each.
"""

import argparse
import collections
import json
import pathlib
import sys
import time
import uuid

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "build" / "links"))

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions  # noqa: E402
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection  # noqa: E402
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI  # noqa: E402
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations, runner  # noqa: E402
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions  # noqa: E402
from ansible_collections.bookkeeper.ops.tests.support import planes  # noqa: E402
from ansible_collections.bookkeeper.ops.tests.support.kubectl import create_namespace, get_json  # noqa: E402
from ansible_collections.bookkeeper.ops.tests.support.real_bookies import PRAVEGA_PROBE, SMALL_JVM, STORAGE  # noqa: E402
from ansible_collections.bookkeeper.ops.tests.support.tables import table  # noqa: E402
from ansible_collections.bookkeeper.ops.tests.support.wait import wait_for  # noqa: E402

NAME = "bk"
OLD, NEW, MISSING, CRASHING = "0.16.0-real", "0.17.0-real", "0.17.0-real-missing", "0.17.1-real-crash"
ProbeRun = collections.namedtuple("ProbeRun", "probe deploy_s millicores_at_rest upgrade_s per_bookie_s")
FaultRun = collections.namedtuple("FaultRun", "upgrade_to created_to_failed_s failure rollback_s")


def bookie_pods(kubectl, namespace):
    return get_json(kubectl, "pods", "-n", namespace, "-l", "bookkeeper_cluster=%s" % NAME)["items"]


def pod_cpu_seconds(pods):
    """CPU seconds the pods' cgroups have used (cgroup v1 cpuacct, the node's cgroup root)."""
    root = pathlib.Path("/sys/fs/cgroup/cpuacct")
    total = 0.0
    for pod in pods:
        for usage in root.glob("bookkeeper-ops-*/kubepods/**/pod%s/cpuacct.usage" % pod["metadata"]["uid"]):
            total += int(usage.read_text()) / 1e9
    return total


def deploy(client, kubectl, zookeeper, bookies, probe):
    namespace = create_namespace(kubectl, "bench-real-%s-%s" % (probe, uuid.uuid4().hex[:4]))
    api = ClusterAPI(client, NAME, namespace)
    spec = {
        "version": OLD,
        "replicas": bookies,
        "zookeeperUri": zookeeper,
        "storage": STORAGE,
        "jvmOptions": SMALL_JVM,
    }
    started = time.monotonic()
    operations.deploy(api, spec=spec, options=RolloutOptions(wait=True, timeout=600))
    if probe == "jvm":
        # Replaced whole: a merge would keep the httpGet handler beside the exec one.
        patch = [{"op": "replace", "path": "/spec/template/spec/containers/0/readinessProbe", "value": PRAVEGA_PROBE}]
        kubectl("patch", "statefulset", "%s-bookie" % NAME, "-n", namespace, "--type=json", "-p", json.dumps(patch))
        kubectl("delete", "pods", "-n", namespace, "-l", "bookkeeper_cluster=%s" % NAME, "--wait=true")
        wait_for(
            "the bookies Ready under the Pravega probe",
            lambda: (
                sum(
                    c["type"] == "Ready" and c["status"] == "True"
                    for p in bookie_pods(kubectl, namespace)
                    for c in p["status"].get("conditions") or ()
                )
                == bookies
            ),
            timeout=600,
            interval=2,
        )
    return api, namespace, time.monotonic() - started


def at_rest(kubectl, namespace, seconds=60):
    pods = bookie_pods(kubectl, namespace)
    before = pod_cpu_seconds(pods)
    time.sleep(seconds)
    return (pod_cpu_seconds(pods) - before) / seconds


def timed_upgrade(api, version, bookies):
    started = time.monotonic()
    operations.upgrade(api, version=version, options=RolloutOptions(wait=True, timeout=900))
    took = time.monotonic() - started
    return took, took / bookies


def failure_of(call):
    """When ``call`` failed (epoch seconds) and its message; a call that succeeds ends the benchmark."""
    try:
        call()
    except runner.RunFailed as failure:
        return time.time(), str(failure)
    raise SystemExit("the upgrade did not fail")


def failing_upgrade(api, kubectl, namespace, version):
    """Seconds from the replaced pod's creation to the run's failure, the failure, and the rollback's seconds."""
    failed_at, message = failure_of(
        lambda: operations.upgrade(api, version=version, options=RolloutOptions(wait=True, timeout=300))
    )
    [replaced] = [p for p in bookie_pods(kubectl, namespace) if p["metadata"]["name"] == "%s-bookie-0" % NAME]
    created = conditions.parse_time(replaced["metadata"]["creationTimestamp"]).timestamp()
    started = time.monotonic()
    kubectl("patch", "bk", NAME, "-n", namespace, "--type=merge", "-p", json.dumps({"spec": {"version": OLD}}))
    operations.rollback(api, options=RolloutOptions(wait=True, timeout=600))
    return FaultRun(version, failed_at - created, message, time.monotonic() - started)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookies", type=int, default=4)
    args = parser.parse_args(argv)
    with planes.running(planes.REAL_NODE) as plane:
        kubectl = plane.kubectl
        client = connection.api_client({"kubeconfig": plane.kubeconfig}, environ={})
        zookeeper = plane.script("zookeeper")
        probes, faults, namespaces = [], [], []
        try:
            for probe in ("http", "jvm"):
                api, namespace, deployed = deploy(client, kubectl, zookeeper, args.bookies, probe)
                namespaces.append(namespace)
                cores = at_rest(kubectl, namespace)
                if probe == "http":  # from 4.16.6, each rolled back to it (a downgrade is refused)
                    faults = [failing_upgrade(api, kubectl, namespace, version) for version in (MISSING, CRASHING)]
                took, per_bookie = timed_upgrade(api, NEW, args.bookies)
                probes.append(ProbeRun(probe, deployed, round(cores * 1000), took, per_bookie))
            table("Real bookies under each readiness probe (%d bookies, 4.16.6 -> 4.17.2)" % args.bookies, probes)
            table("Failed upgrades on the real node, each rolled back", faults)
        finally:
            for namespace in namespaces:
                kubectl("delete", "namespace", namespace, "--wait=false")


if __name__ == "__main__":
    sys.exit(main())
