"""kubectl as an admin of one local control plane: how the tests and the benchmarks set up and look around.

The collection itself is driven through its own client; kubectl is the independent view of what it did.
"""

import contextlib
import functools
import json
import subprocess
import uuid

from ansible_collections.bookkeeper.ops.tests.support.paths import CLUSTER_SH
from ansible_collections.bookkeeper.ops.tests.support.wait import wait_for


@functools.cache
def binary():
    """The kubectl that scripts/cluster.sh built, of the API server's version."""
    return subprocess.run([str(CLUSTER_SH), "kubectl-path"], capture_output=True, text=True, check=True).stdout.strip()


class Kubectl:
    """``kubectl(*args, check=True, stdin=None)`` on the cluster of ``kubeconfig``.

    Returns stdout; with ``check=False`` the CompletedProcess, without raising.
    """

    def __init__(self, kubeconfig):
        self.kubeconfig = str(kubeconfig)

    def __call__(self, *args, check=True, stdin=None):
        result = subprocess.run(
            [binary(), "--kubeconfig", self.kubeconfig, *args],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError("kubectl %s failed: %s" % (" ".join(args), result.stderr))
        return result.stdout if check else result


def get_json(kubectl, *args):
    return json.loads(kubectl("get", *args, "-o", "json"))


def create_namespace(kubectl, name):
    """Create namespace ``name`` and wait until it can hold pods (its default ServiceAccount exists)."""
    kubectl("create", "namespace", name)
    wait_for(
        "the default ServiceAccount of %s" % name,
        lambda: kubectl("get", "serviceaccount", "default", "-n", name, check=False).returncode == 0,
        timeout=30,
    )
    return name


@contextlib.contextmanager
def scratch_namespace(kubectl, prefix):
    """A new namespace ``<prefix>-<random>`` for the block, ready for pods, deleted (without waiting) after it."""
    name = create_namespace(kubectl, "%s-%s" % (prefix, uuid.uuid4().hex[:6]))
    try:
        yield name
    finally:
        kubectl("delete", "namespace", name, "--wait=false")


def fresh_namespace(kubectl, name):
    """Namespace ``name`` empty: deleted with all it holds if it exists, then created again."""
    kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=true", "--timeout=120s")
    return create_namespace(kubectl, name)
