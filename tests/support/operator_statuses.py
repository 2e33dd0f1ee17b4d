"""BookkeeperClusters whose status is shaped as the Pravega BookKeeper operator writes it.

The statuses in fixtures/operator-statuses.json follow the operator's Go types
(api/v1alpha1/status.go): encoding/json leaves out a condition's reason, message
and timestamps, and the status's currentVersion, targetVersion, versionHistory
and conditions, when they are empty (omitempty); type, status, the replica counts
and members are always written, nil member lists as null. Each entry also says
which bookies run (ordinal: [version, "Ready" or the container's waiting reason])
and the pod template's version, for the tests that decide on them.
"""

import copy
import json
import pathlib

from ansible_collections.bookkeeper.ops.tests.support.factories import pod, statefulset

FIXTURES = json.loads((pathlib.Path(__file__).parent / "fixtures" / "operator-statuses.json").read_text())
NAMES = sorted(FIXTURES)


def cluster(name, cluster_name="bk"):
    """The BookkeeperCluster as the API server returns it; without a "status" key when none was written."""
    fixture = FIXTURES[name]
    result = {
        "apiVersion": "bookkeeper.pravega.io/v1alpha1",
        "kind": "BookkeeperCluster",
        "metadata": {"name": cluster_name, "namespace": "default"},
        "spec": copy.deepcopy(fixture["spec"]),
    }
    if "status" in fixture:
        result["status"] = copy.deepcopy(fixture["status"])
    return result


def bookies(name, cluster_name="bk"):
    return [
        pod(
            "%s-bookie-%s" % (cluster_name, ordinal),
            version,
            ready=state == "Ready",
            waiting=None if state == "Ready" else state,
        )
        for ordinal, (version, state) in sorted(FIXTURES[name]["bookies"].items())
    ]


def workload(name, cluster_name="bk"):
    """The StatefulSet, or None before the operator made one (no bookies and no template)."""
    fixture = FIXTURES[name]
    if not fixture["bookies"] and "template" not in fixture:
        return None
    return statefulset(fixture.get("template", fixture["spec"]["version"]), "%s-bookie" % cluster_name)


def snapshot(name):
    return {
        "cluster": cluster(name),
        "components": [{"name": "bookie", "workload": workload(name), "pods": bookies(name)}],
    }
