"""Local control planes by name: scripts/cluster.sh runs one per BK_CLUSTER_NAME.

The tests run on the session's plane; a fleet needs a second one, the missing-CRD case one without the CRD, and the
benchmarks and drills planes of their own, so that they neither disturb nor are disturbed by the tests.
"""

import contextlib
import os
import pathlib
import subprocess

from ansible_collections.bookkeeper.ops.tests.support.kubectl import Kubectl
from ansible_collections.bookkeeper.ops.tests.support.paths import CLUSTER_SH


class Plane:
    """One local control plane; ``name`` None is BK_CLUSTER_NAME's, or the script's default.

    ``pod_ready_seconds`` sets BK_POD_READY_SECONDS, how long its pods take to become Ready; ``nodes`` sets
    BK_NODES (``real`` for a real kubelet, containerd and runc; the default is kwok's simulated nodes).
    ``kubeconfig`` and ``kubectl`` are known once ``up()`` ran.
    """

    def __init__(self, name=None, pod_ready_seconds=None, nodes=None):
        self.env = dict(os.environ)
        self.env.pop("BK_KUBECONFIG", None)  # it would point scripts/cluster.sh at another cluster
        self.env.pop("BK_NODES", None)
        if nodes:
            self.env["BK_NODES"] = nodes
        if name:
            self.env["BK_CLUSTER_NAME"] = name
        if pod_ready_seconds is not None:
            self.env["BK_POD_READY_SECONDS"] = str(pod_ready_seconds)
        self.name = self.env.get("BK_CLUSTER_NAME", "bookkeeper-ops")
        self.kubeconfig = self.kubectl = None

    def script(self, *args):
        """``scripts/cluster.sh ARGS`` for this plane: its output, stripped."""
        done = subprocess.run([str(CLUSTER_SH), *args], env=self.env, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    def is_up(self):
        status = subprocess.run([str(CLUSTER_SH), "status"], env=self.env, capture_output=True, check=False)
        return status.returncode == 0

    def up(self):
        """Start the plane, or find it running; returns its kubeconfig's path."""
        # stderr is left to the terminal: the first start builds the binaries, which takes minutes.
        done = subprocess.run([str(CLUSTER_SH), "up"], env=self.env, stdout=subprocess.PIPE, text=True, check=True)
        self.kubeconfig = done.stdout.strip().splitlines()[-1]
        self.kubectl = Kubectl(self.kubeconfig)
        return self.kubeconfig

    def down(self):
        subprocess.run([str(CLUSTER_SH), "down"], env=self.env, check=True)

    @property
    def directory(self):
        """Where the plane keeps its state: logs/ (the audit log among them), pids/, kwok.yaml."""
        return pathlib.Path(self.kubeconfig).parent


# The cluster whose one node is real: the real-bookie tests, molecule's default scenario and the kubelet recordings.
REAL_NODE = Plane("bookkeeper-ops-real", nodes="real")


@contextlib.contextmanager
def running(plane, keep=None):
    """``plane`` up for the block and removed after it, unless ``keep``.

    ``keep`` None is the tests' rule: a plane that ran before is someone else's and stays, and so does every plane
    when BK_KEEP_CLUSTER=1.
    """
    if keep is None:
        keep = plane.is_up() or os.environ.get("BK_KEEP_CLUSTER") == "1"
    plane.up()
    try:
        yield plane
    finally:
        if not keep:
            plane.down()
