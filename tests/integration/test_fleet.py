"""A fleet of BookKeeper clusters on two control planes at once, driven by playbooks/fleet-*.yml.

The session's control plane and a second one started here (BK_FLEET_CLUSTER_NAME, default
``<BK_CLUSTER_NAME>-fleet``) hold six clusters, three namespaces each, one bookie each, found by
the bookkeeper.ops.bk_clusters inventory plugin. One cannot take the new version: its image
repository is pointed, after the deploy, to one that lacks the tag. What happened is read from the
API servers (their audit logs, resourceVersions and the clusters' status), not from Ansible's output.
"""

import json
import os
import re
import subprocess
import sys
import uuid

import pytest
import yaml

from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.support import audit, planes
from ansible_collections.bookkeeper.ops.tests.support.clusters import GOOD, STABLE
from ansible_collections.bookkeeper.ops.tests.support.kubectl import Kubectl, create_namespace
from ansible_collections.bookkeeper.ops.tests.support.paths import REPO

LACKING = "registry.local/bookkeeper"  # has no tag at all in scripts/cluster/registry.yaml


class Plane:
    """One control plane of the fleet: kubectl and an admin client on it, and the collection's writes there."""

    def __init__(self, kubeconfig):
        self.kubeconfig = kubeconfig
        self.kubectl = Kubectl(kubeconfig)
        self.client = connection.api_client({"kubeconfig": kubeconfig}, environ={})
        self.audit = audit.AuditLog(self.kubectl)

    def writes(self, namespaces):
        """{namespace: [(time, verb, uri)]} of the collection's writes, once the log holds all of them."""
        self.audit.settle(sorted(namespaces)[0])
        found = {}
        for entry in audit.collection_writes(self.audit.requests()):
            if audit.namespace_of(entry) in namespaces:
                found.setdefault(audit.namespace_of(entry), []).append(
                    (entry["requestReceivedTimestamp"], entry["verb"], entry["requestURI"])
                )
        return found

    def fingerprint(self, namespace):
        """The resourceVersions of everything the collection could change in ``namespace``."""
        cluster = ClusterAPI(self.client, "bk", namespace).get_cluster()
        pods = connection.k8s.CoreV1Api(self.client).list_namespaced_pod(namespace).items
        sts = connection.k8s.AppsV1Api(self.client).list_namespaced_stateful_set(namespace).items
        return (
            cluster["metadata"]["resourceVersion"],
            sorted((p.metadata.name, p.metadata.resource_version) for p in pods),
            sorted((s.metadata.name, s.metadata.resource_version) for s in sts),
        )


@pytest.fixture(scope="module")
def second_plane():
    """A second local control plane, started for this module and removed after it (unless it ran before)."""
    name = os.environ.get("BK_FLEET_CLUSTER_NAME") or "%s-fleet" % planes.Plane().name
    with planes.running(planes.Plane(name)) as plane:
        yield Plane(plane.kubeconfig)


@pytest.fixture(scope="module")
def fleet(kubeconfig, second_plane, tmp_path_factory):
    """Six clusters: namespaces <id>-1..3 on the session's plane, <id>-4..6 on the second; 1 is the canary."""
    first = Plane(kubeconfig)
    tag = "fleet-%s" % uuid.uuid4().hex[:6]
    namespaces = ["%s-%d" % (tag, number) for number in range(1, 7)]
    planes_of = {}
    for number, namespace in enumerate(namespaces, start=1):
        plane = first if number <= 3 else second_plane
        planes_of[namespace] = plane
        create_namespace(plane.kubectl, namespace)
        api = ClusterAPI(plane.client, "bk", namespace)
        operations.deploy(api, spec={"version": STABLE, "replicas": 1}, options=RolloutOptions(wait=True, timeout=120))
    planes_of[namespaces[0]].kubectl("label", "bk", "bk", "-n", namespaces[0], "bookkeeper.ops/canary=true")
    path = tmp_path_factory.mktemp("fleet") / "fleet.bk_clusters.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "plugin": "bookkeeper.ops.bk_clusters",
                # The second plane's kubeconfig is named by a variable, as an AWX credential gives it.
                "connections": [
                    {"name": "one", "kubeconfig": kubeconfig},
                    {"name": "two", "kubeconfig": "$BK_FLEET_SECOND_KUBECONFIG"},
                ],
                "namespaces": namespaces,
                "groups": {"canary": "bookkeeper_labels['bookkeeper.ops/canary'] | default('') == 'true'"},
            }
        )
    )
    yield {"inventory": str(path), "namespaces": namespaces, "planes": planes_of, "second": second_plane}
    for namespace, plane in planes_of.items():
        plane.kubectl("delete", "namespace", namespace, "--wait=false")


def run(fleet, playbook, *extra):
    result = subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
            "-i",
            fleet["inventory"],
            str(REPO / "playbooks" / playbook),
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
        env=dict(
            {k: v for k, v in os.environ.items() if not k.startswith("K8S_AUTH_") and k != "KUBECONFIG"},
            BK_FLEET_SECOND_KUBECONFIG=fleet["second"].kubeconfig,
        ),
    )
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines() if "[WARNING]" in line]
    assert warnings == [], "%s warned:\n%s" % (playbook, "\n".join(warnings))
    return result.returncode, result.stdout


def table(stdout):
    """{namespace: (context, version, target, conditions, result)} from the last fleet table printed."""
    rows = {}
    for line in re.findall(r'^\s+"(fleet-\S+/bk .*)",?$', stdout, re.M):
        name, context, version, target, conditions, rest = line.split(None, 5)
        result = rest.rsplit(None, 1)[0]
        rows[name.split("/")[0]] = (context, version, target, conditions, result)
    return rows


def writes(fleet):
    """{namespace: [(time, verb, uri)]} of the collection's writes on both planes, once both logs are complete."""
    found = {}
    for plane in {id(p): p for p in fleet["planes"].values()}.values():
        found.update(plane.writes({ns for ns, p in fleet["planes"].items() if p is plane}))
    return found


def test_a_fleet_goes_canary_first_then_in_batches_and_stops_at_the_first_failure(fleet):
    namespaces, planes = fleet["namespaces"], fleet["planes"]
    ns = dict(enumerate(namespaces, start=1))
    # The fourth cluster's repository lacks the new tag.
    planes[ns[4]].kubectl(
        "patch", "bk", "bk", "-n", ns[4], "--type", "merge", "-p",
        json.dumps({"spec": {"image": {"imageSpec": {"repository": LACKING}}}}),
    )  # fmt: skip
    untouched = planes[ns[6]].fingerprint(ns[6])
    before = writes(fleet)

    code, stdout = run(fleet, "fleet-upgrade.yml", "-e", "version=" + GOOD, "-e", "fleet_serial=2", "-f", "2")
    assert code != 0, stdout[-3000:]
    after = writes(fleet)
    new = {namespace: after.get(namespace, [])[len(before.get(namespace, [])) :] for namespace in namespaces}

    # The canary alone first; then batches [2, 3], [4, 5] in order; 5 finished what it started beside 4; 6 untouched.
    times = {number: [write[0] for write in new[ns[number]]] for number in ns}
    for number in (1, 2, 3, 4, 5):
        assert times[number], "no write to cluster %d" % number
    assert max(times[1]) < min(min(times[n]) for n in (2, 3, 4, 5))
    assert max(times[2] + times[3]) < min(times[4] + times[5])
    assert new[ns[6]] == [] and planes[ns[6]].fingerprint(ns[6]) == untouched

    states = {number: ClusterAPI(planes[ns[number]].client, "bk", ns[number]).get_cluster()["status"] for number in ns}
    for number in (1, 2, 3, 5):
        assert states[number]["currentVersion"] == GOOD
    failed = {c["type"]: (c["status"], c.get("reason")) for c in states[4]["conditions"]}
    assert states[4]["currentVersion"] == STABLE and failed["Error"] == ("True", "UpgradeFailed")
    assert states[6]["currentVersion"] == STABLE

    rows = table(stdout)
    assert rows[ns[1]] == ("one", GOOD, GOOD, "PodsReady", "upgraded")
    assert rows[ns[3]] == ("one", GOOD, GOOD, "PodsReady", "upgraded")
    assert rows[ns[4]] == ("two", STABLE, GOOD, "Error:UpgradeFailed", "failed")
    assert rows[ns[5]] == ("two", GOOD, GOOD, "PodsReady", "upgraded")
    assert rows[ns[6]] == ("two", STABLE, "-", "PodsReady", "not started")

    # The repository fixed and the failed cluster rolled back, only it; a rerun finishes the rest.
    planes[ns[4]].kubectl(
        "patch", "bk", "bk", "-n", ns[4], "--type", "merge", "-p",
        json.dumps({"spec": {"image": {"imageSpec": {"repository": "pravega/bookkeeper"}}}}),
    )  # fmt: skip
    code, stdout = run(fleet, "fleet-rollback.yml", "-f", "3")
    assert code == 0, stdout[-3000:]
    rows = table(stdout)
    assert rows[ns[4]] == ("two", STABLE, STABLE, "PodsReady", "rolled back")
    assert rows[ns[1]][4] == rows[ns[6]][4] == "nothing to do"
    rolled = writes(fleet)
    extra = {n: rolled.get(ns[n], [])[len(after.get(ns[n], [])) :] for n in ns}
    assert [n for n in ns if extra[n]] == [4], extra

    code, stdout = run(fleet, "fleet-upgrade.yml", "-e", "version=" + GOOD, "-e", "fleet_serial=50%", "-f", "3")
    assert code == 0, stdout[-3000:]
    done = writes(fleet)
    # Clusters already on the version are skipped without a write.
    extra = {n: done.get(ns[n], [])[len(rolled.get(ns[n], [])) :] for n in ns}
    assert [n for n in ns if extra[n]] == [4, 6], extra
    rows = table(stdout)
    assert {n: rows[ns[n]][4] for n in ns} == {
        1: "on target", 2: "on target", 3: "on target", 4: "upgraded", 5: "on target", 6: "upgraded"
    }  # fmt: skip
    assert {rows[ns[n]][1] for n in ns} == {GOOD}

    code, stdout = run(fleet, "fleet-status.yml")
    assert code == 0, stdout[-3000:]
    rows = table(stdout)
    assert rows[ns[6]] == ("two", GOOD, "-", "PodsReady", "upgrade Succeeded")
    assert writes(fleet) == done
