# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""Rollbacks of clusters whose BookkeeperCluster resource a Helm release owns.

A rollback is allowed only to the last stable version, so a ``helm rollback`` is
allowed only to a revision whose manifest sets the cluster's ``spec.version`` to
it. The release history is read from Helm's own storage (the Secrets
``sh.helm.release.v1.<release>.v<revision>``), so the check needs no helm binary;
only the rollback itself runs ``helm rollback``.

Pure functions over the release records; ``edge/helm_cli.py`` runs ``helm rollback``.
"""

__metaclass__ = type

import base64
import collections
import gzip
import json

from ansible.module_utils.common.yaml import yaml_load_all

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import versions
from ansible_collections.bookkeeper.ops.plugins.module_utils.core.errors import HelmError

RELEASE_SECRET_TYPE = "helm.sh/release.v1"
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
        refusal = versions.rollback_refusal(version, last_stable)
        if refusal:
            return Choice(
                False,
                "%s Revision %d of Helm release %s deploys %s; revisions deploying %s: %s"
                % (
                    refusal,
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
