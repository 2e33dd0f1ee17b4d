"""Benchmark of playbooks/fleet-upgrade.yml on two local control planes; prints a table, asserts nothing.

    .venv/bin/python bench/fleet.py [--clusters 20] [--bookies 3] [--forks 1,5,10] [--keep]

It starts two control planes (BK_CLUSTER_NAME bookkeeper-ops-bench-fleet-1 and -2; pods Ready 1 s
after they start) and removes them at the end unless --keep. For each forks value it deploys the
clusters at 0.13.0, half on each plane, one namespace each, lists them with the bk_clusters inventory
plugin and upgrades them to 0.14.0 with ``-f FORKS -e fleet_serial=FORKS``. Figures:

* wall time of ansible-playbook, and per cluster (wall time / clusters);
* API requests per cluster, from both API servers' audit logs (User-Agent bookkeeper-ops), each
  audit ID once (tests/support/audit.py counts them);
* peak memory (largest resident set) of ansible-playbook, of one of its workers and of one module
  process, and of the whole controller (all its processes at once).
"""

import argparse
import contextlib
import os
import subprocess
import sys
import threading
import time

import yaml
from rollout import READY_SECONDS, REPO, TreeMemory, resident_kib

from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.support import planes
from ansible_collections.bookkeeper.ops.tests.support.audit import AuditLog, requests_by_verb
from ansible_collections.bookkeeper.ops.tests.support.kubectl import fresh_namespace
from ansible_collections.bookkeeper.ops.tests.support.processes import descendants

PLANES = {
    name: planes.Plane(name, pod_ready_seconds=READY_SECONDS)
    for name in ("bookkeeper-ops-bench-fleet-1", "bookkeeper-ops-bench-fleet-2")
}


class ControllerMemory(threading.Thread):
    """Samples, every 0.1 s, the sum of the resident sets of a process and all its descendants; keeps the peak."""

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root = root
        self.peak = 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            total = sum(resident_kib(pid)[0] for pid in [self.root, *descendants(self.root)])
            self.peak = max(self.peak, total)
            self.stopping.wait(0.1)


def deploy_fleet(clusters, bookies, tag):
    """``clusters`` clusters at 0.13.0 alternating between the planes; returns their (plane name, namespace)."""
    namespaces = []
    for number in range(clusters):
        name = list(PLANES)[number % 2]
        namespace = fresh_namespace(PLANES[name].kubectl, "bench-fleet-%s-%02d" % (tag, number))
        client = connection.api_client({"kubeconfig": PLANES[name].kubeconfig}, environ={})
        operations.deploy(
            ClusterAPI(client, "bk", namespace),
            spec={"version": "0.13.0", "replicas": bookies},
            options=RolloutOptions(wait=True, timeout=600),
        )
        namespaces.append((name, namespace))
    return namespaces


def upgrade(namespaces, forks, workdir):
    inventory = os.path.join(workdir, "bench-%d.bk_clusters.yml" % forks)
    with open(inventory, "w") as handle:
        yaml.safe_dump(
            {
                "plugin": "bookkeeper.ops.bk_clusters",
                "connections": [{"name": name, "kubeconfig": plane.kubeconfig} for name, plane in PLANES.items()],
                "namespaces": [namespace for _name, namespace in namespaces],
            },
            handle,
        )
    command = [
        os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
        "-i",
        inventory,
        str(REPO / "playbooks" / "fleet-upgrade.yml"),
        "-e",
        "version=0.14.0",
        "-e",
        "fleet_serial=%d" % forks,
        "-f",
        str(forks),
    ]
    since = time.time()
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    samplers = [TreeMemory(process.pid), ControllerMemory(process.pid)]
    for sampler in samplers:
        sampler.start()
    output = process.communicate()[0]
    wall = time.monotonic() - started
    for sampler in samplers:
        sampler.stopping.set()
        sampler.join()
    if process.returncode != 0:
        raise SystemExit("the fleet upgrade failed:\n%s" % output[-3000:])
    requests = sum(sum(requests_by_verb(AuditLog(p.kubectl).requests(), since).values()) for p in PLANES.values())
    return wall, requests, dict(samplers[0].peak, controller=samplers[1].peak)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--bookies", type=int, default=3)
    parser.add_argument("--forks", default="1,5,10")
    parser.add_argument("--keep", action="store_true", help="leave both control planes running")
    options = parser.parse_args()
    rows = []
    with contextlib.ExitStack() as running:
        for plane in PLANES.values():
            running.enter_context(planes.running(plane, keep=options.keep))
        workdir = os.path.dirname(PLANES[list(PLANES)[0]].kubeconfig)
        for forks in [int(value) for value in options.forks.split(",")]:
            namespaces = deploy_fleet(options.clusters, options.bookies, "f%d" % forks)
            wall, requests, peak = upgrade(namespaces, forks, workdir)
            rows.append((forks, wall, wall / options.clusters, requests / options.clusters, peak))
            for name, namespace in namespaces:
                PLANES[name].kubectl("delete", "namespace", namespace, "--wait=false")
    print(
        "\n%d clusters of %d bookies over 2 control planes, fleet_serial = forks" % (options.clusters, options.bookies)
    )
    print("| forks | wall time | per cluster | API requests per cluster | peak memory: playbook / worker / module / "
          "controller |")  # fmt: skip
    print("|---|---|---|---|---|")
    for forks, wall, per_cluster, requests, peak in rows:
        print(
            "| %d | %.0f s | %.1f s | %.0f | %d / %d / %d / %d MiB |"
            % (forks, wall, per_cluster, requests, peak["playbook"] // 1024, peak["worker"] // 1024,
               peak["module"] // 1024, peak["controller"] // 1024)
        )  # fmt: skip


if __name__ == "__main__":
    main()
