"""The local control plane for the integration tests, and the fixtures that look at it.

One cluster serves the whole session: ``scripts/cluster.sh up`` starts it (building
the binaries on first use) and ``down`` removes it at the end. A cluster that is
already running is reused and left running, and so is one named by BK_KUBECONFIG.
The helpers the tests share live in tests/support.
"""

import os
import pathlib
import time

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection
from ansible_collections.bookkeeper.ops.tests.support import planes
from ansible_collections.bookkeeper.ops.tests.support.kubectl import Kubectl, scratch_namespace
from ansible_collections.bookkeeper.ops.tests.support.service_accounts import OPERATOR, service_account_kubeconfig


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
    started = time.monotonic()
    with planes.running(planes.Plane()) as plane:
        print("local control plane ready in %.1f s: %s" % (time.monotonic() - started, plane.kubeconfig))
        os.environ["KUBECONFIG"] = plane.kubeconfig
        yield plane.kubeconfig


@pytest.fixture(scope="session")
def real_plane():
    """The cluster whose node is real (BK_NODES=real, planes.REAL_NODE), started once for the session's tests
    that need a kubelet, containerd and runc, and removed at the end as the session's cluster is."""
    with planes.running(planes.REAL_NODE) as plane:
        yield plane


@pytest.fixture(scope="session")
def kubectl(kubeconfig):
    """``kubectl(*args, check=True, stdin=None)``: the built kubectl on the cluster, as its admin.

    Returns stdout; with ``check=False`` the CompletedProcess, without raising.
    """
    return Kubectl(kubeconfig)


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
    with scratch_namespace(kubectl, "bk-test") as name:
        yield name
