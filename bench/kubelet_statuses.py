"""Record the pod statuses a real kubelet writes for each fault, into tests/support/fixtures/kubelet-statuses.json.

Usage: .venv/bin/python bench/kubelet_statuses.py [--seconds 90]

On the real-node cluster (BK_NODES=real, started if needed and left as it was found) it creates one pod per
case, with the bookie pod template's own readiness probe, and keeps every status the kubelet writes that differs
from the one before, with the seconds since the pod's creation. The unit tests replay these timelines through
the fault rules (tests/unit/plugins/module_utils/core/test_kubelet_statuses.py). It prints, per case, when each
waiting reason first showed.

Cases: an image the registry does not hold; a container that exits 1; a bookie whose JVM needs more memory than
its limit; a pod on a cordoned node; a container whose readiness probe always fails; a real bookie that comes up.
"""

import argparse
import datetime
import json
import pathlib
import sys
import time
import uuid

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "build" / "links"))

from ansible_collections.bookkeeper.ops.tests.support import planes  # noqa: E402
from ansible_collections.bookkeeper.ops.tests.support.kubectl import create_namespace, get_json  # noqa: E402
from ansible_collections.bookkeeper.ops.tests.support.real_bookies import PRAVEGA_PROBE  # noqa: E402

FIXTURE = REPO / "tests" / "support" / "fixtures" / "kubelet-statuses.json"
# A bookie that pre-touches a 200 MB heap under a 96 MB limit: the kernel kills it at start.
GREEDY_JVM = "-Xms200m -Xmx200m -XX:+AlwaysPreTouch -XX:+UseSerialGC"


def container(image, **extra):
    return dict({"name": "bookie", "image": image, "readinessProbe": PRAVEGA_PROBE}, **extra)


def cases(zookeeper):
    bookie_env = [{"name": "ZK_URL", "value": zookeeper}, {"name": "BK_zkLedgersRootPath", "value": "/statuses"}]
    return {
        "image-missing": container("pravega/bookkeeper:0.0.0-missing"),
        "crash": container("registry.local/crash:1.0"),
        "probe-never-passes": container("registry.local/unready:1.0"),
        "oom-killed": container(
            "pravega/bookkeeper:0.17.0-real",
            env=[*bookie_env, {"name": "BOOKIE_MEM_OPTS", "value": GREEDY_JVM}],
            resources={"limits": {"memory": "96Mi"}, "requests": {"memory": "96Mi"}},
        ),
        "bookie-ready": container(
            "pravega/bookkeeper:0.17.0-real",
            env=[*bookie_env, {"name": "BOOKIE_MEM_OPTS", "value": "-Xms32m -Xmx160m -XX:MaxDirectMemorySize=128m"}],
        ),
        "unschedulable-cordoned": container("registry.local/pause:1.0"),
    }


def pod(name, spec):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"terminationGracePeriodSeconds": 5, "containers": [spec]},
    }


def record(kubectl, namespace, cases_seen, seconds):
    """Every distinct status of each pod for ``seconds``, polled twice a second, added to ``cases_seen``:
    pod name -> {"creationTimestamp", "timeline": [{"at": seconds since creation, "now": when seen, "status"}]}."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        for item in get_json(kubectl, "pods", "-n", namespace)["items"]:
            created = item["metadata"]["creationTimestamp"]
            case = cases_seen.setdefault(item["metadata"]["name"], {"creationTimestamp": created, "timeline": []})
            status = item.get("status") or {}
            if not case["timeline"] or case["timeline"][-1]["status"] != status:
                at = (now - datetime.datetime.fromisoformat(created.replace("Z", "+00:00"))).total_seconds()
                case["timeline"].append({"at": at, "now": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "status": status})
        time.sleep(0.5)


def first_reasons(timeline):
    shown = {}
    for entry in timeline["timeline"]:
        for status in entry["status"].get("containerStatuses") or ():
            for key in ("waiting", "terminated"):
                reason = ((status.get("state") or {}).get(key) or {}).get("reason")
                if reason:
                    shown.setdefault("%s %s" % (key, reason), entry["at"])
            if status.get("ready"):
                shown.setdefault("Ready", entry["at"])
        for condition in entry["status"].get("conditions") or ():
            if condition.get("reason") == "Unschedulable":
                shown.setdefault("Unschedulable", entry["at"])
    return shown


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=90)
    args = parser.parse_args(argv)
    plane = planes.Plane("bookkeeper-ops-real", nodes="real")
    with planes.running(plane) as running:
        kubectl = running.kubectl
        node = get_json(kubectl, "nodes")["items"][0]["metadata"]["name"]
        kubelet = get_json(kubectl, "nodes")["items"][0]["status"]["nodeInfo"]
        namespace = create_namespace(kubectl, "kubelet-statuses-%s" % uuid.uuid4().hex[:6])
        timelines = {}
        try:
            specs = cases(plane.script("zookeeper"))
            cordoned = "unschedulable-cordoned"
            # The cordoned node first, alone for a while; then it is uncordoned and the pod is scheduled.
            kubectl("cordon", node)
            try:
                kubectl("apply", "-n", namespace, "-f", "-", stdin=json.dumps(pod(cordoned, specs.pop(cordoned))))
                record(kubectl, namespace, timelines, 15)
            finally:
                kubectl("uncordon", node)
            for name, spec in specs.items():
                kubectl("apply", "-n", namespace, "-f", "-", stdin=json.dumps(pod(name, spec)))
            record(kubectl, namespace, timelines, args.seconds)
        finally:
            kubectl("delete", "namespace", namespace, "--wait=false")
    FIXTURE.write_text(
        json.dumps(
            {
                "recorded_with": {k: kubelet.get(k) for k in ("kubeletVersion", "containerRuntimeVersion")},
                "probe": PRAVEGA_PROBE,
                "cases": timelines,
            },
            indent=1,
            sort_keys=True,
        )
        + "\n"
    )
    for name, timeline in sorted(timelines.items()):
        print("%-24s %s" % (name, ", ".join("%s at %.1f s" % item for item in first_reasons(timeline).items())))
    print("written to %s" % FIXTURE.relative_to(REPO))


if __name__ == "__main__":
    sys.exit(main())
