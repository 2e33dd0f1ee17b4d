"""playbooks/rollback.yml under ansible-runner, as AWX runs it, with only the variables
AWX's Kubernetes bearer-token credential injects, and a ServiceAccount bound to the
shipped least-privilege ClusterRole."""

import base64
import json
import os
import pathlib
import sys

import ansible_runner
import yaml

from ansible_collections.bookkeeper.ops.tests.support.clusters import (
    STABLE,
    deploy,
    failed_upgrade,
    shown,
)
from ansible_collections.bookkeeper.ops.tests.support.paths import REPO


def awx_credential(kubectl, kubeconfig, namespace, tmp_path):
    """K8S_AUTH_* variables for a ServiceAccount bound to rbac/bookkeeper-ops.yaml in ``namespace``."""
    kubectl("apply", "-f", str(REPO / "rbac" / "bookkeeper-ops.yaml"))
    kubectl("create", "serviceaccount", "awx-runner", "-n", namespace)
    kubectl(
        "create",
        "rolebinding",
        "awx-runner",
        "-n",
        namespace,
        "--clusterrole=bookkeeper-ops",
        "--serviceaccount=%s:awx-runner" % namespace,
    )
    token = kubectl("create", "token", "awx-runner", "-n", namespace, "--duration=1h").strip()
    config = yaml.safe_load(pathlib.Path(kubeconfig).read_text())
    server = config["clusters"][0]["cluster"]
    ca = tmp_path / "ca.crt"
    if "certificate-authority-data" in server:
        ca.write_bytes(base64.b64decode(server["certificate-authority-data"]))
    else:
        ca.write_text(pathlib.Path(server["certificate-authority"]).read_text())
    return token, {
        "K8S_AUTH_HOST": server["server"],
        "K8S_AUTH_API_KEY": token,
        "K8S_AUTH_SSL_CA_CERT": str(ca),
        "K8S_AUTH_VERIFY_SSL": "True",
    }


def test_rollback_playbook_under_ansible_runner_with_awx_credentials(
    client, kubectl, kubeconfig, namespace, tmp_path, monkeypatch
):
    api = deploy(client, namespace)
    failed_upgrade(api)
    token, credential = awx_credential(kubectl, kubeconfig, namespace, tmp_path)
    for variable in ("KUBECONFIG", "K8S_AUTH_KUBECONFIG"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config to fall back on
    monkeypatch.setenv("PATH", "%s:%s" % (os.path.dirname(sys.executable), os.environ["PATH"]))
    private = tmp_path / "runner"
    private.mkdir()
    result = ansible_runner.run(
        private_data_dir=str(private),
        project_dir=str(REPO),
        playbook=str(REPO / "playbooks" / "rollback.yml"),
        extravars={"cluster": "bk", "cluster_namespace": namespace},
        envvars=dict(credential, ANSIBLE_COLLECTIONS_PATH=os.environ["ANSIBLE_COLLECTIONS_PATH"]),
        verbosity=3,
        quiet=True,
    )
    output = result.stdout.read()
    assert result.status == "successful", output[-4000:]
    assert shown(api)["PodsReady"] == ("True", "", "")
    assert api.get_cluster()["status"]["currentVersion"] == STABLE
    events = "".join(json.dumps(event) for event in result.events)
    for secret in (token, token[-20:]):
        assert secret not in output and secret not in events, "the token leaked into the job output"
