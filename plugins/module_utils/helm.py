# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""Rollbacks of clusters whose BookkeeperCluster resource a Helm release owns.

A rollback is allowed only to the last stable version, so a ``helm rollback`` is
allowed only to a revision whose manifest sets the cluster's ``spec.version`` to
it. The release history is read from Helm's own storage (the Secrets
``sh.helm.release.v1.<release>.v<revision>``), so the check needs no helm binary;
only the rollback itself runs ``helm rollback``.

The functions down to ``choose_revision`` are pure; ``run_rollback`` runs helm.
"""

__metaclass__ = type

import base64
import collections
import gzip
import json
import os
import subprocess
import tempfile

from ansible.module_utils.common.yaml import yaml_dump, yaml_load_all

from ansible_collections.bookkeeper.ops.plugins.module_utils import versions
from ansible_collections.bookkeeper.ops.plugins.module_utils.errors import HelmError

RELEASE_SECRET_TYPE = "helm.sh/release.v1"
# The longest a helm rollback may take, within the run's time left.
HELM_SECONDS = 300
_GZIP_MAGIC = b"\x1f\x8b"

Choice = collections.namedtuple("Choice", "allowed message revision")


def decode_release(secret_data):
    """The release record in a Helm Secret's ``data.release`` (base64 of base64 of gzipped JSON)."""
    try:
        encoded = base64.b64decode(secret_data)
        raw = base64.b64decode(encoded)
        if raw[:2] == _GZIP_MAGIC:
            raw = gzip.decompress(raw)
        return json.loads(raw.decode("utf-8"))
    except (ValueError, TypeError, OSError, EOFError) as error:
        raise HelmError("a Helm release record could not be decoded: %s" % error) from error


def cluster_version(release, cluster_name):
    """spec.version of the BookkeeperCluster ``cluster_name`` in the release's manifest, or None."""
    try:
        documents = list(yaml_load_all(release.get("manifest") or ""))
    except Exception as error:  # the YAML library's errors have no common base below Exception
        raise HelmError(
            "the manifest of revision %s could not be read: %s" % (release.get("version"), error)
        ) from error
    for document in documents:
        if not isinstance(document, dict) or document.get("kind") != "BookkeeperCluster":
            continue
        if (document.get("metadata") or {}).get("name") == cluster_name:
            return versions.effective((document.get("spec") or {}).get("version"))
    return None


def history(releases, cluster_name):
    """One entry per revision, oldest first: revision, status, chart and the cluster's version."""
    entries = []
    for release in releases:
        info = release.get("info") or {}
        chart = (release.get("chart") or {}).get("metadata") or {}
        entries.append(
            {
                "revision": int(release.get("version") or 0),
                "status": info.get("status", ""),
                "updated": info.get("last_deployed", ""),
                "chart": "%s-%s" % (chart.get("name", "?"), chart.get("version", "?")),
                "version": cluster_version(release, cluster_name),
            }
        )
    return sorted(entries, key=lambda entry: entry["revision"])


def choose_revision(release_name, entries, last_stable, requested=None):
    """The revision to roll back to: ``requested`` if it deploys ``last_stable``, else the newest that does."""
    if not entries:
        return Choice(False, "Helm release %s has no history in this namespace" % release_name, None)
    matching = [entry["revision"] for entry in entries if entry["version"] == last_stable]
    deployed = [entry["revision"] for entry in entries if entry["status"] == "deployed"]
    if requested is not None:
        chosen = [entry for entry in entries if entry["revision"] == requested]
        if not chosen:
            return Choice(
                False,
                "Helm release %s has no revision %d (revisions: %s)"
                % (release_name, requested, ", ".join(str(entry["revision"]) for entry in entries)),
                None,
            )
        version = chosen[0]["version"]
        if version != last_stable:
            return Choice(
                False,
                "Rollback to version %s not supported. Only rollback to version %s is supported. Revision %d of "
                "Helm release %s deploys %s; revisions deploying %s: %s"
                % (
                    version or "(none)",
                    last_stable,
                    requested,
                    release_name,
                    "version %s" % version if version else "no BookkeeperCluster of this name",
                    last_stable,
                    ", ".join(str(revision) for revision in matching) or "none",
                ),
                None,
            )
        return Choice(True, "", requested)
    candidates = [revision for revision in matching if revision not in deployed]
    if not candidates:
        return Choice(
            False,
            "no earlier revision of Helm release %s deploys version %s, the last stable version"
            % (release_name, last_stable),
            None,
        )
    return Choice(True, "", candidates[-1])


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
