"""Rollback of a cluster whose BookkeeperCluster resource a Helm release owns, with the real helm client."""

import os
import pathlib
import subprocess

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations, runner
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.support.clusters import (
    HEALTHY,
    MISSING,
    NAME,
    STABLE,
    deploy,
    pod_versions,
    shown,
    versions_of,
)
from ansible_collections.bookkeeper.ops.tests.support.kubectl import get_json
from ansible_collections.bookkeeper.ops.tests.support.planes import Plane
from ansible_collections.bookkeeper.ops.tests.support.service_accounts import service_account_kubeconfig
from ansible_collections.bookkeeper.ops.tests.support.watchers import BookieWatch

CHART = pathlib.Path(__file__).parent / "charts" / "bookkeeper"
OLDER = "0.12.0"


@pytest.fixture(scope="session")
def helm_binary():
    path = Plane().script("helm-path")
    assert os.access(path, os.X_OK), "%s is missing: scripts/cluster.sh build builds it" % path
    return path


def helm(binary, kubeconfig, *args):
    done = subprocess.run(
        [binary, *args], capture_output=True, text=True, env=dict(os.environ, KUBECONFIG=kubeconfig), check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="session")
def helm_user(kubeconfig, kubectl, tmp_path_factory):
    """A kubeconfig bound to the ClusterRoles bookkeeper-ops and bookkeeper-ops-helm only."""
    path = tmp_path_factory.mktemp("helm-user") / "kubeconfig.yaml"
    return service_account_kubeconfig(
        kubectl, kubeconfig, path, "bookkeeper-ops-helm", ["bookkeeper-ops", "bookkeeper-ops-helm"]
    )[0]


def helm_options(binary, kubeconfig, revision=None):
    return {
        "release": NAME,
        "revision": revision,
        "binary": binary,
        "settings": connection.auth_settings({"kubeconfig": kubeconfig}, {}),
    }


def test_helm_rollback_goes_only_to_a_revision_of_the_last_stable_version(
    client, kubectl, kubeconfig, namespace, helm_binary, helm_user
):
    # Revision 1 deploys 0.12.0, revision 2 the upgrade to 0.13.0, revision 3 a version whose image is missing.
    helm(helm_binary, kubeconfig, "install", NAME, str(CHART), "-n", namespace, "--set", "version=%s" % OLDER)
    api = deploy(client, namespace, version=OLDER)
    helm(helm_binary, kubeconfig, "upgrade", NAME, str(CHART), "-n", namespace, "--set", "version=%s" % STABLE)
    operations.upgrade(api, version=STABLE, options=RolloutOptions(wait=True, timeout=120))
    helm(helm_binary, kubeconfig, "upgrade", NAME, str(CHART), "-n", namespace, "--set", "version=%s" % MISSING)
    with pytest.raises(runner.RunFailed):
        operations.upgrade(api, version=MISSING, options=RolloutOptions(wait=True, timeout=120))
    assert shown(api)["Error"][:2] == ("True", "UpgradeFailed")

    def revisions():
        return [
            line.split()[0] for line in helm(helm_binary, kubeconfig, "history", NAME, "-n", namespace).splitlines()[1:]
        ]

    # From here on, as the collection's user with least privilege, helm included.
    api = ClusterAPI(connection.api_client({"kubeconfig": helm_user}, environ={}), NAME, namespace)
    before = get_json(kubectl, "bk", NAME, "-n", namespace)["metadata"]["resourceVersion"]
    with pytest.raises(operations.Refused) as refused:
        operations.rollback(
            api, options=RolloutOptions(wait=True, timeout=120), helm_options=helm_options(helm_binary, helm_user, 1)
        )
    assert str(refused.value) == (
        "Rollback to version %s not supported. Only rollback to version %s is supported. Revision 1 of Helm release "
        "bk deploys version %s; revisions deploying %s: 2" % (OLDER, STABLE, OLDER, STABLE)
    )
    assert revisions() == ["1", "2", "3"], "helm did not run"
    assert get_json(kubectl, "bk", NAME, "-n", namespace)["metadata"]["resourceVersion"] == before

    planned = operations.rollback(
        api,
        options=RolloutOptions(wait=True, timeout=120, check_mode=True),
        helm_options=helm_options(helm_binary, helm_user),
    )
    assert planned["helm_revision"] == 2
    assert [(e["revision"], e["version"]) for e in planned["helm_history"]] == [(1, OLDER), (2, STABLE), (3, MISSING)]
    assert revisions() == ["1", "2", "3"], "check mode ran helm"

    with BookieWatch(client, namespace, NAME, 3) as watch:
        done = operations.rollback(
            api, options=RolloutOptions(wait=True, timeout=120), helm_options=helm_options(helm_binary, helm_user)
        )
    assert done["helm_revision"] == 2
    assert revisions() == ["1", "2", "3", "4"]
    assert "Rollback to 2" in helm(helm_binary, kubeconfig, "history", NAME, "-n", namespace)
    assert watch.most_down <= 1
    assert versions_of(api) == (STABLE, "", [OLDER, STABLE])
    assert pod_versions(kubectl, namespace) == [STABLE] * 3
    assert shown(api) == HEALTHY
