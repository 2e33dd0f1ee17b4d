"""Benchmark of playbooks/fleet-upgrade.yml on two local control planes; prints a table, asserts nothing.

    .venv/bin/python bench/fleet.py [--clusters 20] [--bookies 3] [--forks 1,5,10] [--keep]

It starts two control planes (BK_CLUSTER_NAME bookkeeper-ops-bench-fleet-1 and -2; pods Ready 1 s
after they start) and removes them at the end unless --keep. For each forks value it deploys the
clusters at 0.13.0, half on each plane, one namespace each, lists them with the bk_clusters inventory
plugin and upgrades them to 0.14.0 with ``-f FORKS -e fleet_serial=FORKS``. Figures:

* wall time of ansible-playbook, and per cluster (wall time / clusters);
* API requests per cluster, from both API servers' audit logs (User-Agent bookkeeper-ops), each
  audit ID once (bench/rollout.py's counting);
* peak memory (largest resident set) of ansible-playbook, of one of its workers and of one module
  process, and of the whole controller (all its processes at once).
"""

import argparse
import os
import subprocess
import sys
import threading
import time

import yaml
from rollout import CLUSTER, READY_SECONDS, REPO, TreeMemory, audit_lines, requests_by_verb, resident_kib

from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.integration.processes import descendants

PLANES = ("bookkeeper-ops-bench-fleet-1", "bookkeeper-ops-bench-fleet-2")


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


def plane_env(name):
    return dict(os.environ, BK_CLUSTER_NAME=name, BK_POD_READY_SECONDS=str(READY_SECONDS))


def kubectl(name, *args):
    return subprocess.run(
        [CLUSTER, "kubectl", *args], env=plane_env(name), check=True, capture_output=True, text=True
    ).stdout


def up(name):
    done = subprocess.run([CLUSTER, "up"], env=plane_env(name), check=True, stdout=subprocess.PIPE, text=True)
    return done.stdout.strip().splitlines()[-1]


def deploy_fleet(kubeconfigs, clusters, bookies, tag):
    """``clusters`` clusters at 0.13.0 alternating between the planes; returns their namespaces."""
    namespaces = []
    for number in range(clusters):
        name = PLANES[number % 2]
        namespace = "bench-fleet-%s-%02d" % (tag, number)
        kubectl(name, "delete", "namespace", namespace, "--ignore-not-found", "--wait=true", "--timeout=120s")
        kubectl(name, "create", "namespace", namespace)
        client = connection.api_client({"kubeconfig": kubeconfigs[name]}, environ={})
        operations.deploy(
            ClusterAPI(client, "bk", namespace),
            spec={"version": "0.13.0", "replicas": bookies},
            options=RolloutOptions(wait=True, timeout=600),
        )
        namespaces.append((name, namespace))
    return namespaces


def upgrade(kubeconfigs, namespaces, forks, workdir):
    inventory = os.path.join(workdir, "bench-%d.bk_clusters.yml" % forks)
    with open(inventory, "w") as handle:
        yaml.safe_dump(
            {
                "plugin": "bookkeeper.ops.bk_clusters",
                "connections": [{"name": name, "kubeconfig": kubeconfigs[name]} for name in PLANES],
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
    requests = sum(sum(requests_by_verb(audit_lines(kubeconfigs[name]), since).values()) for name in PLANES)
    return wall, requests, dict(samplers[0].peak, controller=samplers[1].peak)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--bookies", type=int, default=3)
    parser.add_argument("--forks", default="1,5,10")
    parser.add_argument("--keep", action="store_true", help="leave both control planes running")
    options = parser.parse_args()
    kubeconfigs = {name: up(name) for name in PLANES}
    workdir = os.path.dirname(kubeconfigs[PLANES[0]])
    rows = []
    try:
        for forks in [int(value) for value in options.forks.split(",")]:
            namespaces = deploy_fleet(kubeconfigs, options.clusters, options.bookies, "f%d" % forks)
            wall, requests, peak = upgrade(kubeconfigs, namespaces, forks, workdir)
            rows.append((forks, wall, wall / options.clusters, requests / options.clusters, peak))
            for name, namespace in namespaces:
                kubectl(name, "delete", "namespace", namespace, "--wait=false")
    finally:
        if not options.keep:
            for name in PLANES:
                subprocess.run([CLUSTER, "down"], env=plane_env(name), check=False)
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
