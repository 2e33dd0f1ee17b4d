import base64
import gzip
import json
import pathlib

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import helm

RECORDED = pathlib.Path(__file__).parent / "fixtures" / "helm-release-secrets.json"


def record(revision, version, status="superseded", name="bk"):
    """A Helm Secret's data.release for one revision, encoded as Helm and the API server encode it."""
    manifest = "\n".join(
        [
            "---",
            "# Source: bookkeeper/templates/cluster.yaml",
            "apiVersion: bookkeeper.pravega.io/v1alpha1",
            "kind: BookkeeperCluster",
            "metadata:",
            "  name: %s" % name,
            "spec:",
            "  version: %s" % json.dumps(version),
        ]
    )
    release = {
        "name": name,
        "version": revision,
        "info": {"status": status, "last_deployed": "2026-11-24T09:0%d:00Z" % revision},
        "chart": {"metadata": {"name": "bookkeeper", "version": "0.1.0"}},
        "manifest": manifest,
    }
    helm_encoded = base64.b64encode(gzip.compress(json.dumps(release).encode()))
    return base64.b64encode(helm_encoded).decode()


def entries(*versions):
    records = [record(n + 1, v, "deployed" if n + 1 == len(versions) else "superseded") for n, v in enumerate(versions)]
    return helm.history([helm.decode_release(r) for r in reversed(records)], "bk")


def test_history_reads_each_revision_of_the_cluster_oldest_first():
    assert entries("0.12.0", "0.13.0", "0.14.0-bad") == [
        {
            "revision": 1,
            "status": "superseded",
            "updated": "2026-11-24T09:01:00Z",
            "chart": "bookkeeper-0.1.0",
            "version": "0.12.0",
        },
        {
            "revision": 2,
            "status": "superseded",
            "updated": "2026-11-24T09:02:00Z",
            "chart": "bookkeeper-0.1.0",
            "version": "0.13.0",
        },
        {
            "revision": 3,
            "status": "deployed",
            "updated": "2026-11-24T09:03:00Z",
            "chart": "bookkeeper-0.1.0",
            "version": "0.14.0-bad",
        },
    ]


def test_the_newest_earlier_revision_of_the_last_stable_version_is_chosen():
    history = entries("0.13.0", "0.12.0", "0.13.0", "0.14.0-bad")
    assert helm.choose_revision("bk", history, "0.13.0") == helm.Choice(True, "", 3)
    assert helm.choose_revision("bk", history, "0.13.0", requested=1) == helm.Choice(True, "", 1)


def test_a_revision_of_another_version_is_refused_naming_the_good_ones():
    choice = helm.choose_revision("bk", entries("0.12.0", "0.13.0", "0.14.0-bad"), "0.13.0", requested=1)
    assert not choice.allowed
    assert choice.message == (
        "Rollback to version 0.12.0 not supported. Only rollback to version 0.13.0 is supported. Revision 1 of Helm "
        "release bk deploys version 0.12.0; revisions deploying 0.13.0: 2"
    )


@pytest.mark.parametrize(
    "versions, requested, message",
    [
        ((), None, "Helm release bk has no history in this namespace"),
        (("0.13.0", "0.14.0-bad"), 7, "Helm release bk has no revision 7 (revisions: 1, 2)"),
        (("0.12.0", "0.14.0-bad"), None, "no earlier revision of Helm release bk deploys version 0.13.0"),
        (("0.13.0",), None, "no earlier revision of Helm release bk deploys version 0.13.0"),
    ],
)
def test_no_revision_to_return_to(versions, requested, message):
    choice = helm.choose_revision("bk", entries(*versions), "0.13.0", requested)
    assert (choice.allowed, choice.revision) == (False, None)
    assert choice.message.startswith(message)


def test_a_manifest_without_the_cluster_has_no_version():
    other = helm.history([helm.decode_release(record(1, "0.13.0", name="other"))], "bk")
    assert other[0]["version"] is None
    choice = helm.choose_revision("bk", other + entries("0.14.0-bad")[0:0], "0.13.0", requested=1)
    assert "deploys no BookkeeperCluster of this name" in choice.message


def test_undecodable_records_are_a_clear_error():
    with pytest.raises(helm.HelmError, match="could not be decoded"):
        helm.decode_release("not base64 at all!")


def test_history_recorded_from_helm_itself():
    """Secrets written by helm v3.22.0 (see "recorded" in the file): the check runs without a helm binary."""
    secrets = json.loads(RECORDED.read_text())["items"]
    history = helm.history([helm.decode_release(secret["data"]["release"]) for secret in secrets], "bk")
    assert [(e["revision"], e["status"], e["version"]) for e in history] == [
        (1, "superseded", "0.12.0"),
        (2, "superseded", "0.13.0"),
        (3, "deployed", "0.14.0-2252.b6f6512"),
    ]
    assert helm.choose_revision("bk", history, "0.13.0") == helm.Choice(True, "", 2)
    refused = helm.choose_revision("bk", history, "0.13.0", requested=1)
    assert not refused.allowed and refused.message.startswith("Rollback to version 0.12.0 not supported.")
    assert not helm.choose_revision("bk", history, "0.13.0", requested=3).allowed
