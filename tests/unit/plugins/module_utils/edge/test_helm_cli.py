"""helm rollback, run with a stand-in helm: the module's connection reaches it, and its failures are clear."""

import pathlib

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import helm
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge import helm_cli


def fake_helm(tmp_path, exit_code=0):
    """A stand-in helm client that records its arguments and connection variables."""
    script = tmp_path / "helm"
    script.write_text(
        "#!/bin/sh\n"
        'echo "$@" > "%s/argv"\n'
        'env | grep -E "^(KUBECONFIG|HELM_KUBE[A-Z_]*)=" | sort > "%s/env"\n'
        'cat "$KUBECONFIG" > "%s/kubeconfig" 2>/dev/null\n'
        'echo "Rollback was a success! Happy Helming!"\n'
        "exit %d\n" % (tmp_path, tmp_path, tmp_path, exit_code)
    )
    script.chmod(0o755)
    return str(script)


def test_helm_rollback_runs_with_the_module_connection(tmp_path):
    settings = {
        "kubeconfig": {"apiVersion": "v1", "kind": "Config", "current-context": "x"},
        "context": "prod",
        "host": "https://api.example:6443",
        "api_key": "s3cr3t",
        "ca_cert": "/etc/ca.pem",
        "validate_certs": False,
        "impersonate_user": "ops",
    }
    output = helm_cli.run_rollback(fake_helm(tmp_path), "bk", 2, "pravega", settings)
    assert output == "Rollback was a success! Happy Helming!"
    assert (tmp_path / "argv").read_text().split() == ["rollback", "bk", "2", "--namespace", "pravega"]
    env = dict(line.split("=", 1) for line in (tmp_path / "env").read_text().splitlines())
    assert env["HELM_KUBECONTEXT"] == "prod" and env["HELM_KUBEAPISERVER"] == "https://api.example:6443"
    assert env["HELM_KUBETOKEN"] == "s3cr3t" and env["HELM_KUBECAFILE"] == "/etc/ca.pem"
    assert env["HELM_KUBEINSECURE_SKIP_TLS_VERIFY"] == "true" and env["HELM_KUBEASUSER"] == "ops"
    assert "current-context: x" in (tmp_path / "kubeconfig").read_text()
    assert not pathlib.Path(env["KUBECONFIG"]).exists(), "the kubeconfig written for helm is removed"


def test_helm_failures_are_clear(tmp_path):
    with pytest.raises(helm.HelmError, match=r"helm rollback bk 2 failed \(exit 1\): Rollback was a success"):
        helm_cli.run_rollback(fake_helm(tmp_path, 1), "bk", 2, "pravega", {})
    with pytest.raises(helm.HelmError, match="cannot run /nonexistent/helm: .*install helm or give helm_binary"):
        helm_cli.run_rollback("/nonexistent/helm", "bk", 2, "pravega", {})
