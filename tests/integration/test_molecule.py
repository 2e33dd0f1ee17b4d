"""The molecule default scenario, on the cluster whose node is real (a kubelet, containerd and runc)."""

import os
import subprocess
import sys

from ansible_collections.bookkeeper.ops.tests.support.paths import CLUSTER_SH, REPO


def test_molecule_default_scenario_passes_with_idempotence_and_installs_no_copy(real_plane, tmp_path):
    # molecule's prerun would install the collection under ANSIBLE_HOME (~/.ansible by default);
    # a home of this test's own shows whether anything lands there.
    ansible_home = tmp_path / "ansible-home"
    kubeconfig = real_plane.kubeconfig
    env = dict(
        os.environ,
        KUBECONFIG=kubeconfig,
        K8S_AUTH_KUBECONFIG=kubeconfig,
        BK_KUBECTL="%s kubectl" % CLUSTER_SH,
        BK_KUBECONFIG=kubeconfig,
        MOLECULE_NO_LOG="false",
        ANSIBLE_FORCE_COLOR="false",
        ANSIBLE_HOME=str(ansible_home),
    )
    molecule = os.path.join(os.path.dirname(sys.executable), "molecule")
    result = subprocess.run(
        [molecule, "test", "-s", "default"], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "Idempotence completed successfully" in output or "idempotence" in output.lower()
    assert "update failed because of ImagePullBackOff" in output
    # The scenarios are where molecule looks for a collection's: extensions/molecule.
    assert "should migrate" not in output, output[-3000:]
    installed = ansible_home / "collections" / "ansible_collections" / "bookkeeper"
    assert not installed.exists(), "molecule installed a copy of the collection in %s" % installed
    assert not (REPO / "molecule").exists()
