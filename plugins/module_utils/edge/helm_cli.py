# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""``helm rollback``, run for a cluster whose Helm release owns its BookkeeperCluster (core/helm.py chooses the
revision), with the module's connection settings and within the run's time left."""

__metaclass__ = type

import os
import subprocess
import tempfile

from ansible.module_utils.common.yaml import yaml_dump

from ansible_collections.bookkeeper.ops.plugins.module_utils.core.errors import HelmError

# The longest a helm rollback may take, within the run's time left.
HELM_SECONDS = 300


def _environment(settings, directory):
    """The helm process's environment for the module's connection settings."""
    env = dict(os.environ)
    kubeconfig = settings.get("kubeconfig")
    if isinstance(kubeconfig, dict):
        path = os.path.join(directory, "kubeconfig")
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
            handle.write(yaml_dump(kubeconfig))
        kubeconfig = path
    for variable, value in (
        ("KUBECONFIG", kubeconfig),
        ("HELM_KUBECONTEXT", settings.get("context")),
        ("HELM_KUBEAPISERVER", settings.get("host")),
        ("HELM_KUBETOKEN", settings.get("api_key")),
        ("HELM_KUBECAFILE", settings.get("ca_cert")),
        ("HELM_KUBEASUSER", settings.get("impersonate_user")),
    ):
        if value:
            env[variable] = value
    if settings.get("validate_certs") is False:
        env["HELM_KUBEINSECURE_SKIP_TLS_VERIFY"] = "true"
    return env


def run_rollback(binary, release_name, revision, namespace, settings, timeout=None):
    """``helm rollback`` of the release to ``revision``, stopped after ``timeout`` seconds (None: HELM_SECONDS);
    returns helm's output, raises HelmError."""
    timeout = HELM_SECONDS if timeout is None else max(1, min(timeout, HELM_SECONDS))
    argv = [binary, "rollback", release_name, str(revision), "--namespace", namespace]
    directory = tempfile.mkdtemp(prefix="bookkeeper-ops-helm-")
    try:
        done = subprocess.run(
            argv,
            env=_environment(settings, directory),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    except OSError as error:
        raise HelmError("cannot run %s: %s; install helm or give helm_binary" % (binary, error)) from error
    except subprocess.TimeoutExpired as error:
        raise HelmError(
            "helm rollback %s %d did not finish within %.0f s" % (release_name, revision, timeout)
        ) from error
    finally:
        for name in os.listdir(directory):
            os.unlink(os.path.join(directory, name))
        os.rmdir(directory)
    output = done.stdout.decode("utf-8", "replace").strip()
    if done.returncode != 0:
        raise HelmError("helm rollback %s %d failed (exit %d): %s" % (release_name, revision, done.returncode, output))
    return output
