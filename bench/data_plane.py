"""Data-plane mode against the plain rollout, on real bookies on the real node, with writers counting every entry.

Usage: .venv/bin/python bench/data_plane.py [--bookies 4]

On the real-node cluster (BK_NODES=real, started if needed and left as it was found), each case deploys a cluster
of real bookies (BookKeeper 4.16.6, claims of their own, small heaps) and starts three writers: the tests' writer
(one add at a time, ensemble 3, quorums 2/2) and two pipelining ones (8 adds in flight, ensemble 3, quorums 3/3
and 3/2). After 10 s of warm-up and 15 s at rest it upgrades to 4.17.2, then lets them write 5 s more and reads
everything back.

* ``plain`` and ``data-plane``: the same upgrade without and with data-plane mode;
* ``small, held`` and ``small, stall accepted``: as many bookies as the ensemble (3). Held, the rollout waits
  (WritersWouldStall) for 20 s, then a fourth bookie joins and it goes on; accepted, it goes at once.

A thread follows, every 0.25 s, each bookie's pod and BookKeeper's writable bookies, and asks a bookie for the
ledgers marked under-replicated (autorecovery is on, lostBookieRecoveryDelay 60 s as the Pravega operator sets).
It prints, per case and writer: the longest gap between acknowledgements, add latency p50/p99/max at rest and
during the rollout, write errors and entries lost; per case: ledgers marked under-replicated, and per bookie the
time from one eviction to the next against the floor, the time the new bookie took from its container's start to
BookKeeper listing it writable, with where the rest went (old pod's shutdown, the new pod's start, the readiness
probe after writable).
"""

import argparse
import collections
import json
import pathlib
import sys
import tempfile
import threading
import time
import uuid

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "build" / "links"))

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import data_plane, health  # noqa: E402
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection  # noqa: E402
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI  # noqa: E402
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations  # noqa: E402
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions  # noqa: E402
from ansible_collections.bookkeeper.ops.tests.support import planes  # noqa: E402
from ansible_collections.bookkeeper.ops.tests.support.kubectl import create_namespace, get_json  # noqa: E402
from ansible_collections.bookkeeper.ops.tests.support.real_bookies import (  # noqa: E402
    NAME,
    NEW,
    OLD,
    SMALL_JVM,
    STORAGE,
    Writer,
    compile_writer,
    extra_bookie,
)
from ansible_collections.bookkeeper.ops.tests.support.tables import table  # noqa: E402

MODE = {"ensemble_size": 3, "accept_write_stall": False, "read_only_seconds": 30, "port": 8000, "timeout": 10}
WRITERS = {
    "one by one 2/2": ("--ensemble", "3", "--write-quorum", "2", "--ack-quorum", "2"),
    "pipelined 3/3": ("--ensemble", "3", "--write-quorum", "3", "--ack-quorum", "3", "--pipeline", "8"),
    "pipelined 3/2": ("--ensemble", "3", "--write-quorum", "3", "--ack-quorum", "2", "--pipeline", "8"),
}
WriterRow = collections.namedtuple(
    "WriterRow",
    "case writer longest_gap_ms rest_p50_ms rest_p99_ms rest_max_ms during_p50_ms during_p99_ms during_max_ms "
    "write_errors lost",
)
CaseRow = collections.namedtuple(
    "CaseRow", "case bookies rollout_s per_bookie_s floor_s ratio shutdown_s pod_start_s probe_lag_s under_replicated"
)


class Timeline:
    """Follows each bookie from a thread: when its pod was evicted, gone, started again, writable in BookKeeper,
    Ready; and whether any ledger was marked under-replicated."""

    def __init__(self, api, kubectl, namespace):
        self.api, self.kubectl, self.namespace = api, kubectl, namespace
        self.seen = collections.defaultdict(dict)  # pod name -> event -> first monotonic time
        self.marked = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._uids = {}

    def _note(self, pod_name, event):
        self.seen[pod_name].setdefault(event, time.monotonic())

    def _look(self):
        pods = get_json(self.kubectl, "pods", "-n", self.namespace, "-l", "bookkeeper_cluster=%s" % NAME)["items"]
        names = {}
        for pod in pods:
            name, uid = pod["metadata"]["name"], pod["metadata"]["uid"]
            names[name] = pod
            first = self._uids.setdefault(name, uid)
            if uid == first and pod["metadata"].get("deletionTimestamp"):
                self._note(name, "evicted")
            if uid != first:
                state = (pod["status"].get("containerStatuses") or [{}])[0].get("state") or {}
                if "running" in state:
                    self._note(name, "started")
                if any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions") or ()):
                    self._note(name, "ready")
        for name, first in self._uids.items():
            if name not in names or names[name]["metadata"]["uid"] != first:
                self._note(name, "evicted")
                self._note(name, "gone")
        ready = [n for n, p in names.items() if "ready" in self.seen[n] or self._uids[n] == p["metadata"]["uid"]]
        asked = sorted(ready)[-1:] or ["%s-bookie-0" % NAME]
        status, body = self.api.proxy_get(asked[0], 8000, data_plane.WRITABLE_PATH, 2)
        if status == 200:
            for name in json.loads(body):
                if "started" in self.seen[name]:
                    self._note(name, "writable")
        status, body = self.api.proxy_get(asked[0], 8000, health.UNDER_REPLICATED_PATH, 2)
        if status == 200:
            self.marked.update(str(ledger) for ledger in json.loads(body))

    def _run(self):
        while not self._stop.wait(0.25):
            try:
                self._look()
            except Exception as error:  # noqa: BLE001 - a look that fails is taken again
                print("timeline look failed: %s" % error, file=sys.stderr)

    def __enter__(self):
        self._look()
        self._thread.start()
        return self

    def __exit__(self, *failure):
        self._stop.set()
        self._thread.join(timeout=10)

    def per_bookie(self, ended):
        """Mean seconds per bookie: eviction to next eviction (the last: to ``ended``), the floor, and the parts."""
        order = sorted((events["evicted"], name) for name, events in self.seen.items() if "evicted" in events)
        spans, floors, shutdowns, starts, lags = [], [], [], [], []
        for index, (evicted, name) in enumerate(order):
            events = self.seen[name]
            following = order[index + 1][0] if index + 1 < len(order) else ended
            spans.append(following - evicted)
            if {"gone", "started", "writable", "ready"} <= set(events):
                floors.append(events["writable"] - events["started"])
                shutdowns.append(events["gone"] - evicted)
                starts.append(events["started"] - events["gone"])
                lags.append(events["ready"] - events["writable"])

        def mean(values):
            return sum(values) / len(values) if values else float("nan")

        return mean(spans), mean(floors), mean(shutdowns), mean(starts), mean(lags)


def deploy(client, kubectl, zookeeper, bookies, case):
    namespace = create_namespace(kubectl, "bench-dp-%s-%s" % (case.split(",")[0], uuid.uuid4().hex[:4]))
    api = ClusterAPI(client, NAME, namespace)
    spec = {"version": OLD, "replicas": bookies, "zookeeperUri": zookeeper, "storage": STORAGE, "jvmOptions": SMALL_JVM}
    operations.deploy(api, spec=spec, options=RolloutOptions(wait=True, timeout=600))
    return api, namespace


def run_case(case, client, kubectl, zookeeper, classes, bookies):
    """One case; returns (rows per writer, the case's row)."""
    api, namespace = deploy(client, kubectl, zookeeper, bookies, case)
    try:
        writers = {name: Writer(classes, namespace, *options) for name, options in WRITERS.items()}
        time.sleep(10)  # the writers' JVMs warm up: their first seconds are no measure of the cluster at rest
        for writer in writers.values():
            writer.phase("steady")
        time.sleep(15)
        mode = None if case == "plain" else dict(MODE, accept_write_stall=case == "small, stall accepted")
        with Timeline(api, kubectl, namespace) as timeline:
            for writer in writers.values():
                writer.phase("during")
            started = time.monotonic()
            if case == "small, held":
                held_until = time.monotonic() + 20
                while time.monotonic() < held_until:
                    operations.upgrade(
                        api, version=NEW, options=RolloutOptions(wait=False, timeout=60, data_plane=mode)
                    )
                    time.sleep(2)
                kubectl("apply", "-n", namespace, "-f", "-", stdin=extra_bookie())
            operations.upgrade(api, version=NEW, options=RolloutOptions(wait=True, timeout=900, data_plane=mode))
            ended = time.monotonic()
            for writer in writers.values():
                writer.phase("after")
            time.sleep(5)
        reports = {name: writer.stop() for name, writer in writers.items()}
    finally:
        kubectl("delete", "namespace", namespace, "--wait=false")
    rows = []
    for name, report in reports.items():
        rest, during = report["phases"]["steady"], report["phases"]["during"]
        rows.append(
            WriterRow(
                case,
                name,
                during["longest_gap_ms"],
                rest["p50_ms"],
                rest["p99_ms"],
                rest["max_ms"],
                during["p50_ms"],
                during["p99_ms"],
                during["max_ms"],
                report["write_errors"],
                report["lost"],
            )
        )
    span, floor, shutdown, start, lag = timeline.per_bookie(ended)
    took = ended - started
    case_row = CaseRow(case, bookies, took, span, floor, span / floor, shutdown, start, lag, len(timeline.marked))
    return rows, case_row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookies", type=int, default=4)
    parser.add_argument("--cases", default="plain,data-plane,small held,small stall accepted")
    args = parser.parse_args(argv)
    cases = [case.strip().replace("small ", "small, ") for case in args.cases.split(",")]
    with planes.running(planes.REAL_NODE) as plane, tempfile.TemporaryDirectory() as out:
        kubectl = plane.kubectl
        client = connection.api_client({"kubeconfig": plane.kubeconfig}, environ={})
        zookeeper = plane.script("zookeeper")
        classes = compile_writer(out)
        writer_rows, case_rows = [], []
        for case in cases:
            rows, case_row = run_case(
                case, client, kubectl, zookeeper, classes, 3 if case.startswith("small") else args.bookies
            )
            writer_rows += rows
            case_rows.append(case_row)
            table("Writers (so far)", writer_rows)
            table("Rollouts (so far; seconds are means per bookie)", case_rows)
        table("Writers during each rollout (ms; 'during' from the rollout's start to its end)", writer_rows)
        table("Rollouts: per bookie, eviction to next eviction against the floor (start to writable)", case_rows)


if __name__ == "__main__":
    sys.exit(main())
