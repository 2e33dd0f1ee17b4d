"""ansible-playbook run as a user runs it, against a kubeconfig: a playbook of playbooks/, or one written by a test."""

import os
import pathlib
import subprocess
import sys
import time

from ansible_collections.bookkeeper.ops.tests.support.paths import REPO

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


def playbook(name, kubeconfig, *extra):
    """playbooks/``name`` on localhost; returns the CompletedProcess."""
    return subprocess.run(
        [ANSIBLE_PLAYBOOK, "-i", "localhost,", str(REPO / "playbooks" / name), *extra],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, K8S_AUTH_KUBECONFIG=kubeconfig),
    )


def run_playbook(text, kubeconfig, *args):
    """The playbook ``text``, which must succeed; returns the CompletedProcess."""
    path = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / ("bk-play-%d.yml" % time.monotonic_ns())
    path.write_text(text)
    result = subprocess.run(
        [ANSIBLE_PLAYBOOK, str(path), *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, K8S_AUTH_KUBECONFIG=kubeconfig),
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return result
