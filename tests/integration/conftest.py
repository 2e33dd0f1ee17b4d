"""The local control plane for the integration tests, and helpers to look at it.

One cluster serves the whole session: ``scripts/cluster.sh up`` starts it (building
the binaries on first use) and ``down`` removes it at the end. A cluster that is
already running is reused and left running, and so is one named by BK_KUBECONFIG.
"""

import json
import os
import pathlib
import subprocess
import threading
import time
import uuid

import pytest
import yaml

from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection

REPO = pathlib.Path(__file__).resolve().parents[2]
CLUSTER = REPO / "scripts" / "cluster.sh"


def pytest_configure(config):
    config.addinivalue_line("markers", "integration: needs the local Kubernetes control plane (scripts/cluster.sh)")


def pytest_collection_modifyitems(items):
    here = pathlib.Path(__file__).resolve().parent
    for item in items:
        if here in pathlib.Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kubeconfig():
    """The path of a kubeconfig for the local control plane, also set as KUBECONFIG.

    BK_KUBECONFIG names a running cluster to use as it is. Otherwise ``scripts/cluster.sh up``
    starts one (reusing it if it already runs) and ``down`` stops it at the end, unless it was
    already running or BK_KEEP_CLUSTER=1.
    """
    given = os.environ.get("BK_KUBECONFIG")
    if given:
        os.environ["KUBECONFIG"] = given
        yield given
        return
    reuse = subprocess.run([str(CLUSTER), "status"], capture_output=True, text=True, check=False).returncode == 0
    started = time.monotonic()
    up = subprocess.run([str(CLUSTER), "up"], stdout=subprocess.PIPE, text=True, check=True)
    path = up.stdout.strip().splitlines()[-1]
    print("local control plane ready in %.1f s: %s" % (time.monotonic() - started, path))
    os.environ["KUBECONFIG"] = path
    yield path
    if not reuse and os.environ.get("BK_KEEP_CLUSTER") != "1":
        subprocess.run([str(CLUSTER), "down"], check=True)


@pytest.fixture(scope="session")
def kubectl(kubeconfig):
    """``kubectl(*args, check=True, stdin=None)``: the built kubectl on the cluster.

    Returns stdout; with ``check=False`` the CompletedProcess, without raising.
    """
    binary = subprocess.run([str(CLUSTER), "kubectl-path"], capture_output=True, text=True, check=True).stdout.strip()

    def run(*args, check=True, stdin=None):
        result = subprocess.run(
            [binary, "--kubeconfig", kubeconfig, *args],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError("kubectl %s failed: %s" % (" ".join(args), result.stderr))
        return result.stdout if check else result

    return run


# The ServiceAccount the module tests connect as, bound only to the shipped least-privilege ClusterRole.
OPERATOR_NAMESPACE = "bookkeeper-ops-tests"
OPERATOR = "bookkeeper-ops"


def service_account_kubeconfig(kubectl, kubeconfig, path, name, clusterroles, duration="4h"):
    """Write to ``path`` a kubeconfig for ServiceAccount ``name`` of OPERATOR_NAMESPACE bound to ``clusterroles``.

    The objects are applied, so sessions running at once on one cluster share them; they stay
    with the cluster. Returns (path, token).
    """
    kubectl("apply", "-f", str(REPO / "rbac"))
    objects = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": OPERATOR_NAMESPACE}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": OPERATOR_NAMESPACE}},
    ]
    for role in clusterroles:
        objects.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": "%s-%s-%s" % (OPERATOR_NAMESPACE, name, role)},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": OPERATOR_NAMESPACE}],
            }
        )
    kubectl("apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    token = kubectl("create", "token", name, "-n", OPERATOR_NAMESPACE, "--duration=%s" % duration).strip()
    admin = yaml.safe_load(pathlib.Path(kubeconfig).read_text())
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "local", "cluster": admin["clusters"][0]["cluster"]}],
        "users": [{"name": name, "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": "local", "user": name}}],
        "current-context": name,
    }
    path = pathlib.Path(path)
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(config))
    return str(path), token


@pytest.fixture(scope="session")
def operator_credentials(kubeconfig, kubectl, tmp_path_factory):
    """(kubeconfig path, token) of the ServiceAccount bound only to rbac/bookkeeper-ops.yaml's ClusterRole."""
    path = tmp_path_factory.mktemp("operator") / "kubeconfig.yaml"
    return service_account_kubeconfig(kubectl, kubeconfig, path, OPERATOR, ["bookkeeper-ops"])


@pytest.fixture(scope="session")
def operator_kubeconfig(operator_credentials):
    return operator_credentials[0]


@pytest.fixture(scope="session")
def crd_installer_client(kubeconfig, kubectl, tmp_path_factory):
    """Least privilege for a deploy that installs the CRD: both ClusterRoles of rbac/."""
    path = tmp_path_factory.mktemp("installer") / "kubeconfig.yaml"
    path, _token = service_account_kubeconfig(
        kubectl, kubeconfig, path, "bookkeeper-ops-installer", ["bookkeeper-ops", "bookkeeper-ops-crd-installer"]
    )
    return connection.api_client({"kubeconfig": path}, environ={})


@pytest.fixture(scope="session")
def client(operator_kubeconfig):
    """The API client of the module and operation tests: least privilege, as a production run should have.

    The ``kubectl`` fixture stays admin, to set up namespaces and look at what happened.
    """
    return connection.api_client({"kubeconfig": operator_kubeconfig}, environ={})


@pytest.fixture
def namespace(kubectl):
    """A fresh namespace, ready for pods (its default ServiceAccount exists), deleted afterwards."""
    name = "bk-test-%s" % uuid.uuid4().hex[:6]
    kubectl("create", "namespace", name)
    wait_for(
        "the default ServiceAccount of %s" % name,
        lambda: kubectl("get", "serviceaccount", "default", "-n", name, check=False).returncode == 0,
        timeout=30,
    )
    yield name
    kubectl("delete", "namespace", name, "--wait=false")


def wait_for(what, predicate, timeout=60, interval=0.2):
    """Wait until ``predicate()`` returns something true, and return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %d s waiting for %s" % (timeout, what))
        time.sleep(interval)


def get_json(kubectl, *args):
    return json.loads(kubectl("get", *args, "-o", "json"))


class ReadinessWatch:
    """Samples a cluster's bookies in the background and remembers the most that were down at once."""

    def __init__(self, client, namespace, cluster, replicas):
        self.core = connection.k8s.CoreV1Api(client)
        self.namespace, self.selector, self.replicas = namespace, "bookkeeper_cluster=%s" % cluster, replicas
        self.most_down = 0
        self.samples = 0
        self.uids = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            pods = self.core.list_namespaced_pod(self.namespace, label_selector=self.selector).items
            for pod in pods:
                self.uids.setdefault(pod.metadata.name, set()).add(pod.metadata.uid)
            ready = sum(
                1
                for pod in pods
                if not pod.metadata.deletion_timestamp
                and any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or ())
            )
            self.most_down = max(self.most_down, self.replicas - ready)
            self.samples += 1
            time.sleep(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
