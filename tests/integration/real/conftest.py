"""The fixtures of the tests on real bookies on the real node (BK_NODES=real): its clients, a scratch namespace per
test, and the writer compiled once."""

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection
from ansible_collections.bookkeeper.ops.tests.support.kubectl import Kubectl, scratch_namespace
from ansible_collections.bookkeeper.ops.tests.support.real_bookies import compile_writer
from ansible_collections.bookkeeper.ops.tests.support.service_accounts import OPERATOR, service_account_kubeconfig


@pytest.fixture(scope="module")
def kubeconfig(real_plane):
    return real_plane.kubeconfig


@pytest.fixture(scope="module")
def kubectl(kubeconfig):
    return Kubectl(kubeconfig)


@pytest.fixture(scope="module")
def client(kubeconfig, kubectl, tmp_path_factory):
    """Least privilege, as for the tests on simulated nodes."""
    path = tmp_path_factory.mktemp("operator") / "kubeconfig.yaml"
    path, _token = service_account_kubeconfig(kubectl, kubeconfig, path, OPERATOR, ["bookkeeper-ops"])
    return connection.api_client({"kubeconfig": path}, environ={})


@pytest.fixture
def namespace(kubectl):
    with scratch_namespace(kubectl, "bk-real") as name:
        yield name


@pytest.fixture(scope="module")
def writer_classes(tmp_path_factory):
    return compile_writer(tmp_path_factory.mktemp("writer"))
