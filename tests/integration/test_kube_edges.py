"""The API adapter's less travelled paths, against the real API server."""

import datetime
import socket
import time

import pytest
import yaml
from kubernetes.client.rest import ApiException

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import errors
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import apply, connection, http_door, lease
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.support.kubectl import get_json
from ansible_collections.bookkeeper.ops.tests.support.paths import REPO


def test_deploy_installs_the_crd_and_waits_until_it_is_served(crd_installer_client, namespace):
    crd = yaml.safe_load((REPO / "roles" / "deploy" / "files" / "bookkeepercluster-crd.yaml").read_text())
    api = ClusterAPI(crd_installer_client, "fresh", namespace)
    result = operations.deploy(
        api, spec={"version": "0.13.0", "replicas": 1}, crd=crd, options=RolloutOptions(wait=True, timeout=120)
    )
    assert "BookkeeperCluster fresh" in result["applied"]
    assert result["cluster"]["current_version"] == "0.13.0"


def test_the_lease_keeps_a_second_run_out_until_released(client, kubectl, namespace):
    now = datetime.datetime.now(datetime.timezone.utc)
    first = ClusterAPI(client, "leased", namespace, holder="host-a/1/aaaa")
    second = ClusterAPI(client, "leased", namespace, holder="host-b/2/bbbb")
    first.acquire(now)
    with pytest.raises(errors.KubeError) as held:
        second.acquire(now)
    assert "host-a/1/aaaa" in str(held.value) and held.value.retryable
    first.renew(now + datetime.timedelta(seconds=20))
    lease = get_json(kubectl, "lease", "bookkeeper-ops-leased", "-n", namespace)
    assert lease["spec"]["holderIdentity"] == "host-a/1/aaaa"
    first.release()
    assert kubectl("get", "lease", "-n", namespace) == ""
    second.acquire(now)
    first.lease.renewed = now
    with pytest.raises(errors.KubeError) as lost:
        first.renew(now + datetime.timedelta(seconds=20))
    assert "lost Lease" in str(lost.value)
    second.release()


def test_an_expired_or_orphaned_lease_is_taken_over(client, namespace):
    now = datetime.datetime.now(datetime.timezone.utc)
    stale = ClusterAPI(client, "orphan", namespace, holder="%s/999999999/dead" % socket.gethostname())
    stale.acquire(now)
    taker = ClusterAPI(client, "orphan", namespace, holder="other/3/cccc")
    taker.acquire(now)  # the holder's process does not exist on this host
    later = ClusterAPI(client, "orphan", namespace, holder="other/4/dddd")
    later.acquire(now + datetime.timedelta(seconds=lease.SECONDS + 1))  # expired
    later.release()


def test_bad_objects_and_missing_types_are_clear_errors(client, namespace):
    broken = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "x", "namespace": namespace},
        "spec": {"replicas": "three"},
    }
    with pytest.raises(errors.KubeError) as invalid:
        apply.apply_object(client, http_door.Door(client.configuration.host), broken)
    assert "applying StatefulSet x" in str(invalid.value)
    api = ClusterAPI(client, "quiet", namespace)
    assert api.find_cluster() is None
    # Where nothing changes, the wait lists, watches its one second out and returns: it neither spins nor hangs
    # past the watch's margin.
    api.pods_version = ""
    started = time.monotonic()
    api.wait_for_change(1)
    assert 1 <= time.monotonic() - started < 1 + http_door.WATCH_MARGIN_SECONDS


def test_connection_from_k8s_auth_kubeconfig(kubeconfig):
    client = connection.api_client({}, environ={"K8S_AUTH_KUBECONFIG": kubeconfig})
    assert client.configuration.host.startswith("https://127.0.0.1:")
    assert connection.k8s.VersionApi(client).get_code().git_version == "v1.34.4"


def test_each_impersonated_group_is_honoured_by_the_api_server(kubeconfig, kubectl, namespace):
    # Only the second group may list ConfigMaps: a joined "first, second" header would name neither.
    kubectl("create", "role", "configmap-reader", "--verb=list", "--resource=configmaps", "-n", namespace)
    kubectl("create", "rolebinding", "second-group", "--role=configmap-reader", "--group=bk-second", "-n", namespace)

    def configmaps(groups):
        params = {"kubeconfig": kubeconfig, "impersonate_user": "bk-someone", "impersonate_groups": groups}
        return connection.k8s.CoreV1Api(connection.api_client(params, environ={})).list_namespaced_config_map(namespace)

    with pytest.raises(ApiException) as forbidden:
        configmaps(["bk-first"])
    assert forbidden.value.status == 403
    names = [item.metadata.name for item in configmaps(["bk-first", "bk-second"]).items]
    assert names == ["kube-root-ca.crt"]
