"""The playbooks on each older ansible-core that meta/runtime.yml admits, each from its own venv (`make cores`).

Before 2.19, ansible-core templates differently: a value templated on its own becomes text, and there is no data
tagging. So the playbooks, roles, action plugins and modules run end to end on each: a deploy, an upgrade to an
image that does not exist, rolled back in the same run, an upgrade that succeeds, and the status table. The core
of requirements/dev.txt runs the whole suite.
"""

import json
import os
import subprocess

import pytest

from ansible_collections.bookkeeper.ops.tests.support.clusters import GOOD, MISSING, STABLE
from ansible_collections.bookkeeper.ops.tests.support.paths import REPO

CORES = sorted(path.name[len("core-") : -len(".txt")] for path in (REPO / "requirements").glob("core-*.txt"))


def ansible_playbook(core):
    path = REPO / "build" / ("core-%s" % core) / "bin" / "ansible-playbook"
    assert path.exists(), "no venv for ansible-core %s: run make cores" % core
    return str(path)


def run_playbook(core, name, kubeconfig, namespace, *extra):
    return subprocess.run(
        [
            ansible_playbook(core),
            "-i",
            "localhost,",
            str(REPO / "playbooks" / name),
            "-e",
            "cluster=bk",
            "-e",
            "cluster_namespace=" + namespace,
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, K8S_AUTH_KUBECONFIG=kubeconfig),
    )


def test_every_older_core_has_its_requirements():
    assert CORES, "no requirements/core-<version>.txt"


@pytest.mark.parametrize("core", CORES)
def test_a_failed_upgrade_rolled_back_then_a_good_one_on_an_older_core(core, kubeconfig, kubectl, namespace):
    version = subprocess.run([ansible_playbook(core), "--version"], capture_output=True, text=True, check=True)
    assert "[core %s." % core in version.stdout.splitlines()[0]

    deployed = run_playbook(core, "deploy.yml", kubeconfig, namespace, "-e", "replicas=3")
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr
    assert json.loads(kubectl("get", "bk", "bk", "-n", namespace, "-o", "json"))["spec"]["replicas"] == 3

    failed = run_playbook(
        core, "upgrade.yml", kubeconfig, namespace, "-e", "version=" + MISSING, "-e", "auto_rollback=true"
    )
    assert failed.returncode != 0
    assert "update failed because of ImagePullBackOff; rolled back to %s automatically" % STABLE in failed.stdout, (
        failed.stdout[-3000:] + failed.stderr
    )

    upgraded = run_playbook(core, "upgrade.yml", kubeconfig, namespace, "-e", "version=" + GOOD)
    assert upgraded.returncode == 0, upgraded.stdout[-3000:] + upgraded.stderr
    status = json.loads(kubectl("get", "bk", "bk", "-n", namespace, "-o", "json"))["status"]
    assert status["currentVersion"] == GOOD
    pods = json.loads(kubectl("get", "pods", "-n", namespace, "-l", "bookkeeper_cluster=bk", "-o", "json"))["items"]
    assert sorted(pod["spec"]["containers"][0]["image"].rsplit(":", 1)[1] for pod in pods) == [GOOD] * 3

    shown = run_playbook(core, "status.yml", kubeconfig, namespace)
    assert shown.returncode == 0, shown.stdout[-3000:] + shown.stderr
    assert "Current version   %s" % GOOD in shown.stdout and "Ready members     3/3" in shown.stdout
