"""Benchmarks of rollouts on the local control plane; prints tables, asserts nothing.

    .venv/bin/python bench/rollout.py [--sizes 3,10,50,100] [--role-sizes 3,10,50] [--trials 5]

It starts its own cluster (BK_CLUSTER_NAME=bookkeeper-ops-bench, or BK_BENCH_CLUSTER_NAME; pods Ready
1 s after they start) and removes it at the end. --trials 0 leaves out the fault detection latency. Figures:

* fault detection latency: from the first watch event showing ImagePullBackOff
  or CrashLoopBackOff on a replaced pod to the one showing Error/UpgradeFailed;
* orchestration overhead per pod: rollout wall time minus the simulated 1 s start
  of each pod, divided by the pods, for bk_upgrade with wait and for the roles; for
  the role also its wall time minus bk_upgrade's at the same size, divided by the pods;
* the same upgrade as a one-task playbook running bk_upgrade (bench/upgrade-task.yml),
  the least any role running the module costs; the role's wall time minus it, per pod;
* command to first write (task and role): from starting ansible-playbook to the API
  server receiving the collection's first mutating request;
* API requests per rollout by verb, from the API server's audit log (User-Agent
  bookkeeper-ops), and how many of them are watches;
* peak memory (largest resident set) of ansible-playbook and its module processes.
"""

import argparse
import collections
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import threading
import time

from kubernetes import watch as kubernetes_watch

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "build" / "links"))

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import resource as bk_resource  # noqa: E402
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection  # noqa: E402
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI  # noqa: E402
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations, runner  # noqa: E402
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions  # noqa: E402
from ansible_collections.bookkeeper.ops.tests.support import kubectl, planes  # noqa: E402
from ansible_collections.bookkeeper.ops.tests.support.audit import AuditLog, first_write, requests_by_verb  # noqa: E402
from ansible_collections.bookkeeper.ops.tests.support.processes import descendants  # noqa: E402
from ansible_collections.bookkeeper.ops.tests.support.tables import table  # noqa: E402

READY_SECONDS = 1.0
PLANE = planes.Plane(os.environ.get("BK_BENCH_CLUSTER_NAME", "bookkeeper-ops-bench"), pod_ready_seconds=READY_SECONDS)


def fresh_namespace(name):
    return kubectl.fresh_namespace(PLANE.kubectl, name)


def audit_entries():
    return AuditLog(PLANE.kubectl).requests()


def deploy(client, namespace, replicas):
    api = ClusterAPI(client, "bk", namespace)
    operations.deploy(
        api, spec={"version": "0.13.0", "replicas": replicas}, options=RolloutOptions(wait=True, timeout=600)
    )
    return api


def first_fault(core, namespace, reason, seen):
    """Record when a pod of ``namespace`` first shows ``reason``."""
    for event in kubernetes_watch.Watch().stream(core.list_namespaced_pod, namespace, timeout_seconds=60):
        for status in event["object"].status.container_statuses or ():
            waiting = status.state.waiting.reason if status.state and status.state.waiting else ""
            if waiting == reason:
                seen.setdefault("fault", time.monotonic())
        if "failed" in seen:
            return


def first_failure(custom, namespace, seen):
    """Record when the cluster of ``namespace`` first shows Error True."""
    for event in kubernetes_watch.Watch().stream(
        custom.list_namespaced_custom_object,
        bk_resource.GROUP,
        bk_resource.VERSION,
        namespace,
        bk_resource.PLURAL,
        timeout_seconds=60,
    ):
        for condition in (event["object"].get("status") or {}).get("conditions") or ():
            if condition["type"] == "Error" and condition["status"] == "True":
                seen.setdefault("failed", time.monotonic())
                return


def fault_latency(client, trials, version, reason):
    """Seconds from the pod fault appearing on the API server to UpgradeFailed being recorded."""
    core, custom = connection.k8s.CoreV1Api(client), connection.k8s.CustomObjectsApi(client)
    latencies = []
    for trial in range(trials):
        namespace = fresh_namespace("bench-fault-%d" % trial)
        api = deploy(client, namespace, 3)
        seen = {}
        threads = [
            threading.Thread(target=first_fault, args=(core, namespace, reason, seen), daemon=True),
            threading.Thread(target=first_failure, args=(custom, namespace, seen), daemon=True),
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        try:
            operations.upgrade(api, version=version, options=RolloutOptions(wait=True, timeout=120))
        except runner.RunFailed:
            pass
        for thread in threads:
            thread.join(timeout=10)
        if "fault" in seen and "failed" in seen:
            latencies.append(seen["failed"] - seen["fault"])
        PLANE.kubectl("delete", "namespace", namespace, "--wait=false")
    return latencies


def module_rollout(client, replicas):
    namespace = fresh_namespace("bench-module-%d" % replicas)
    api = deploy(client, namespace, replicas)
    since = time.time()
    started = time.monotonic()
    operations.upgrade(api, version="0.14.0", options=RolloutOptions(wait=True, timeout=3600))
    wall = time.monotonic() - started
    counts = requests_by_verb(audit_entries(), since)
    PLANE.kubectl("delete", "namespace", namespace, "--wait=false")
    return wall, counts


def resident_kib(pid):
    """The resident set of a process in KiB, and its command line; (0, "") once it is gone."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            command = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
        with open("/proc/%d/status" % pid) as handle:
            rss = [int(line.split()[1]) for line in handle if line.startswith("VmRSS:")]
    except OSError:
        return 0, ""
    return (rss[0] if rss else 0), command


class TreeMemory(threading.Thread):
    """Samples, every 0.1 s, the resident sets of a process and its descendants, by kind.

    Kinds: "playbook" (the ansible-playbook process), "worker" (its forks that run tasks),
    "module" (AnsiballZ module processes).
    """

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root = root
        self.peak = {"playbook": 0, "worker": 0, "module": 0}
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            for pid in [self.root, *descendants(self.root)]:
                rss, command = resident_kib(pid)
                if pid == self.root:
                    kind = "playbook"
                elif "AnsiballZ" in command:
                    kind = "module"
                elif "ansible-playbook" in command:
                    kind = "worker"
                else:
                    continue
                self.peak[kind] = max(self.peak[kind], rss)
            self.stopping.wait(0.1)


# The upgrade as a one-task playbook: what any role running bk_upgrade costs at least (ansible-playbook, the
# module's build and its process), against which the role's own cost is measured.
TASK_PLAYBOOK = REPO / "bench" / "upgrade-task.yml"


def playbook_rollout(client, kubeconfig, replicas, playbook):
    """Upgrade a fresh cluster of ``replicas`` bookies with ``playbook``, as its documented command runs it."""
    namespace = fresh_namespace("bench-%s-%d" % (playbook.stem, replicas))
    deploy(client, namespace, replicas)
    since = time.time()
    started = time.monotonic()
    process = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
            "-i",
            "localhost,",
            str(playbook),
            "-e",
            "cluster=bk",
            "-e",
            "cluster_namespace=%s" % namespace,
            "-e",
            "version=0.14.0",
        ],
        env=dict(PLANE.env, K8S_AUTH_KUBECONFIG=kubeconfig, ANSIBLE_COLLECTIONS_PATH=str(REPO / "build" / "links")),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    memory = TreeMemory(process.pid)
    memory.start()
    output = process.communicate()[0]
    memory.stopping.set()
    memory.join()
    if process.returncode != 0 or b"[WARNING]" in output:
        raise SystemExit("%s failed or warned:\n%s" % (playbook, output.decode()[-3000:]))
    wall = time.monotonic() - started
    entries = audit_entries()
    PLANE.kubectl("delete", "namespace", namespace, "--wait=false")
    peak = {kind: kib / 1024.0 for kind, kib in memory.peak.items()}
    return wall, requests_by_verb(entries, since), first_write(entries, since), peak


# The rows of the benchmark's tables.
FaultLatency = collections.namedtuple("FaultLatency", "fault trials median_s max_s")
Rollout = collections.namedtuple("Rollout", "run pods wall_s overhead_s_per_pod requests per_pod by_verb")
RoleAgainstModule = collections.namedtuple(
    "RoleAgainstModule",
    "pods task_wall_s role_wall_s role_minus_task_s_per_pod role_minus_module_s_per_pod task_first_write_s "
    "role_first_write_s",
)


def sizes(text):
    return [int(size) for size in text.split(",") if size]


def measure_fault_latency(client, trials):
    records = []
    for version, reason in (("0.14.0-2252.b6f6512", "ImagePullBackOff"), ("0.14.1", "CrashLoopBackOff")):
        latencies = fault_latency(client, trials, version, reason) if trials else []
        if latencies:
            median, longest = "%.3f" % statistics.median(latencies), "%.3f" % max(latencies)
            records.append(FaultLatency(reason, len(latencies), median, longest))
    return records


def rollout_record(run, size, wall, counts, extra=""):
    requests = sum(counts.values())
    verbs = " ".join("%s=%d" % item for item in sorted(counts.items()))
    overhead = "%.2f" % ((wall - size * READY_SECONDS) / size)
    return Rollout(run, size, wall, overhead, requests, requests / size, verbs + extra)


def measure_module(client, pods):
    """The upgrade driven by bk_upgrade in this process: a Rollout each, and the wall time by size."""
    records, walls = [], {}
    for size in pods:
        walls[size], counts = module_rollout(client, size)
        records.append(rollout_record("bk_upgrade wait", size, walls[size], counts))
    return records, walls


def measure_role(client, kubeconfig, pods, module_walls):
    """The upgrade role and a one-task bk_upgrade playbook: (Rollout records, RoleAgainstModule records)."""
    rollouts, against = [], []
    for size in pods:
        task_wall, _counts, task_first, _peak = playbook_rollout(client, kubeconfig, size, TASK_PLAYBOOK)
        wall, counts, first, peak = playbook_rollout(client, kubeconfig, size, REPO / "playbooks" / "upgrade.yml")
        beyond = "%.2f" % ((wall - module_walls[size]) / size) if size in module_walls else "-"
        against.append(
            RoleAgainstModule(
                size,
                task_wall,
                wall,
                "%.2f" % ((wall - task_wall) / size),
                beyond,
                "%.2f" % task_first,
                "%.2f" % first,
            )
        )
        rss = " (peak RSS MiB: ansible-playbook %.0f, worker %.0f, module %.0f)" % (
            peak["playbook"],
            peak["worker"],
            peak["module"],
        )
        rollouts.append(rollout_record("upgrade role", size, wall, counts, rss))
    return rollouts, against


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="3,10,50,100")
    parser.add_argument("--role-sizes", default="3,10,50,100")
    parser.add_argument("--trials", type=int, default=5)
    options = parser.parse_args()
    with planes.running(PLANE, keep=False):
        client = connection.api_client({"kubeconfig": PLANE.kubeconfig}, environ={})
        latencies = measure_fault_latency(client, options.trials)
        if latencies:
            table("Fault detection latency (s): fault shown on a pod -> Error/UpgradeFailed recorded", latencies)
        rollouts, module_walls = measure_module(client, sizes(options.sizes))
        role_rollouts, against = measure_role(client, PLANE.kubeconfig, sizes(options.role_sizes), module_walls)
        table("Rollouts (pods Ready %.0f s after they start)" % READY_SECONDS, rollouts + role_rollouts)
        if against:
            table("Upgrade role against bk_upgrade: as a one-task playbook (task) and in-process (module)", against)
        print(
            "\nPeak RSS of this process (drives bk_upgrade in-process): %.0f MiB"
            % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)
        )


if __name__ == "__main__":
    main()
