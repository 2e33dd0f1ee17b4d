"""What the tests and benchmarks on the real node give a cluster of real bookies (BK_NODES=real), and the writer
that counts every entry they acknowledge (scripts/cluster/bookkeeper/Writer.java) as a process."""

import json
import pathlib
import subprocess
import threading

from ansible_collections.bookkeeper.ops.tests.support import clusters, planes
from ansible_collections.bookkeeper.ops.tests.support.wait import wait_for

NAME = "bk"
OLD = "0.16.0-real"  # BookKeeper 4.16.6
NEW = "0.17.0-real"  # BookKeeper 4.17.2
RELEASES = {OLD: "4.16.6", NEW: "4.17.2", "0.17.1-real-crash": "4.17.2"}
REAL_PLANE = planes.REAL_NODE  # its node runs the bookies and their ZooKeeper
WRITER = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "cluster" / "bookkeeper" / "Writer.java"

# Each bookie's journal and ledgers on claims of its own, kept when the rollout replaces its pod.
CLAIM = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
STORAGE = {"journalVolumeClaimTemplate": CLAIM, "ledgerVolumeClaimTemplate": CLAIM}
# Small heaps: four bookies, ZooKeeper and the writer beside the control plane on 2 cores.
SMALL_JVM = {
    "memoryOpts": ["-Xms32m", "-Xmx160m", "-XX:MaxDirectMemorySize=128m"],
    "gcOpts": ["-XX:+UseSerialGC"],
    "gcLoggingOpts": [],
    "extraOpts": ["-XX:TieredStopAtLevel=1", "-Xss512k"],
}
# The Pravega operator's readiness probe: a BookKeeper shell JVM every 10 s, after 20 s.
PRAVEGA_PROBE = {
    "exec": {"command": ["/bin/sh", "-c", "/opt/bookkeeper/bin/bookkeeper shell bookiesanity"]},
    "initialDelaySeconds": 20,
    "periodSeconds": 10,
    "timeoutSeconds": 5,
}


def deploy(client, namespace, version=OLD, replicas=4, **spec):
    """Cluster NAME of real bookies in ``namespace``, Ready; returns its ClusterAPI. Real bookies start a JVM each:
    more time than simulated ones."""
    spec = dict({"zookeeperUri": REAL_PLANE.script("zookeeper"), "storage": STORAGE, "jvmOptions": SMALL_JVM}, **spec)
    return clusters.deploy(client, namespace, replicas=replicas, version=version, timeout=300, **spec)


def compile_writer(out):
    """Writer.java compiled into ``out`` against the newest release's client (javac on every start costs seconds);
    returns (client jars, classes), what Writer takes."""
    lib = REAL_PLANE.script("bookkeeper-lib", RELEASES[NEW])
    subprocess.run(["javac", "-nowarn", "-cp", lib + "/*", "-d", str(out), str(WRITER)], check=True)
    return lib, str(out)


class Writer:
    """The writer as a process: started against cluster NAME's ledgers in ``namespace``, stopped for its report."""

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

    def phase(self, name):
        """From now on, latencies count in phase ``name`` (the first one is "rest")."""
        self.process.stdin.write("phase %s\n" % name)
        self.process.stdin.flush()

    def stop(self):
        self.process.stdin.write("stop\n")
        self.process.stdin.close()
        self.process.wait(timeout=180)
        self._reader.join(timeout=10)
        [report] = [json.loads(line[len("report ") :]) for line in self.lines if line.startswith("report ")]
        print("writer:", {k: v for k, v in report.items() if k != "acked_per_second"})
        return report


def assert_nothing_lost(report):
    assert report["acknowledged"] > 100, report
    assert report["lost"] == 0, report
    assert report["read_back"] == report["acknowledged"], report


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
