"""ServiceAccounts to connect as: the collection is tested with the least privilege a production run has."""

import json
import pathlib

import yaml

from ansible_collections.bookkeeper.ops.tests.support.paths import REPO

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
