"""The molecule default scenario, on the session's local control plane."""

import os
import subprocess
import sys

from ansible_collections.bookkeeper.ops.tests.integration.conftest import CLUSTER, REPO


def test_molecule_default_scenario_passes_with_idempotence(kubeconfig):
    env = dict(
        os.environ,
        KUBECONFIG=kubeconfig,
        K8S_AUTH_KUBECONFIG=kubeconfig,
        BK_KUBECTL="%s kubectl" % CLUSTER,
        MOLECULE_NO_LOG="false",
        ANSIBLE_FORCE_COLOR="false",
    )
    molecule = os.path.join(os.path.dirname(sys.executable), "molecule")
    result = subprocess.run(
        [molecule, "test", "-s", "default"], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "Idempotence completed successfully" in output or "idempotence" in output.lower()
    assert "update failed because of ImagePullBackOff" in output
