"""bk_deploy, bk_status, bk_upgrade and bk_rollback against the real local API server."""

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import errors, versions
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations, runner
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.support import audit
from ansible_collections.bookkeeper.ops.tests.support.clusters import (
    CRASHING,
    GOOD,
    MISSING,
    NAME,
    STABLE,
    deploy,
    failed_upgrade,
    pod_versions,
    shown,
    versions_of,
)
from ansible_collections.bookkeeper.ops.tests.support.kubectl import get_json
from ansible_collections.bookkeeper.ops.tests.support.playbooks import run_playbook
from ansible_collections.bookkeeper.ops.tests.support.processes import kill_tree
from ansible_collections.bookkeeper.ops.tests.support.wait import wait_for
from ansible_collections.bookkeeper.ops.tests.support.watchers import BookieWatch


def test_failed_upgrade_then_rollback_as_the_reference_records_them(client, kubectl, namespace):
    api = deploy(client, namespace)
    with BookieWatch(client, namespace, NAME, 3) as watch:
        message = failed_upgrade(api)
        assert message == "pod bk-bookie-0 update failed because of ImagePullBackOff"
        conditions = shown(api)
        assert conditions["Error"] == ("True", "UpgradeFailed", message)
        assert conditions["Upgrading"][0] == "False"
        assert versions_of(api) == (STABLE, "", [STABLE])
        events = get_json(kubectl, "events", "-n", namespace, "--field-selector", "involvedObject.name=%s" % NAME)
        [event] = [e for e in events["items"] if e["reason"] == "Upgrade Error"]
        assert event["type"] == "Warning" and event["involvedObject"]["kind"] == "BookkeeperCluster"
        assert event["message"] == "Error Upgrading from version %s to %s. %s" % (STABLE, MISSING, message)

        # The user sets the version back; the rollback then runs one step per call.
        kubectl("patch", "bk", NAME, "-n", namespace, "--type=merge", "-p", json.dumps({"spec": {"version": STABLE}}))
        started = operations.rollback(api, options=RolloutOptions(wait=False, timeout=60))
        assert [s["step"] for s in started["steps"]] == ["start_rollback"]
        assert shown(api)["RollbackInProgress"] == ("True", "", "")
        operations.rollback(api, options=RolloutOptions(wait=False, timeout=60))
        assert shown(api)["RollbackInProgress"] == ("True", "Updating Bookkeeper", "2")
        assert shown(api)["Error"][:2] == ("True", "UpgradeFailed")
        done = operations.rollback(api, options=RolloutOptions(wait=True, timeout=120))
    assert done["changed"] is True
    assert shown(api) == {
        "Upgrading": ("False", "", ""),
        "PodsReady": ("True", "", ""),
        "Error": ("False", "", ""),
        "RollbackInProgress": ("False", "", ""),
    }
    assert versions_of(api) == (STABLE, "", [STABLE])
    assert pod_versions(kubectl, namespace) == [STABLE] * 3
    assert watch.most_down <= 1 and watch.events > 10


def test_a_crash_loop_fails_the_upgrade(client, namespace):
    api = deploy(client, namespace)
    assert failed_upgrade(api, CRASHING) == "pod bk-bookie-0 update failed because of CrashLoopBackOff"
    assert shown(api)["Error"][:2] == ("True", "UpgradeFailed")


def test_a_successful_upgrade_appends_to_the_history(client, kubectl, namespace):
    api = deploy(client, namespace, replicas=4)
    with BookieWatch(client, namespace, NAME, 4) as watch:
        result = operations.upgrade(api, version=GOOD, options=RolloutOptions(wait=True, timeout=180))
    assert result["changed"] is True
    assert versions_of(api) == (GOOD, "", [STABLE, GOOD])
    assert pod_versions(kubectl, namespace) == [GOOD] * 4
    assert watch.most_down <= 1
    assert all(len(uids) == 2 for uids in watch.uids.values()), "each bookie is replaced exactly once"
    replaced = [s["action"]["pod"] for s in result["steps"] if s["step"] == "replace_pod"]
    assert replaced == ["bk-bookie-0", "bk-bookie-1", "bk-bookie-2", "bk-bookie-3"]
    assert operations.upgrade(api, version=GOOD, options=RolloutOptions(wait=True, timeout=60))["changed"] is False


def test_rollback_failed_and_the_way_out(client, kubectl, namespace):
    api = deploy(client, namespace)
    failed_upgrade(api)
    # A mistake made while the cluster is down: the repository now points nowhere.
    typo = {"spec": {"version": STABLE, "image": {"imageSpec": {"repository": "registry.local/typo"}}}}
    kubectl("patch", "bk", NAME, "-n", namespace, "--type=merge", "-p", json.dumps(typo))
    with pytest.raises(runner.RunFailed) as failed:
        operations.rollback(api, options=RolloutOptions(wait=True, timeout=120))
    assert str(failed.value) == "pod bk-bookie-0 update failed because of ImagePullBackOff"
    assert shown(api)["Error"] == ("True", "RollbackFailed", str(failed.value))
    assert shown(api)["RollbackInProgress"][0] == "False"
    # The cause is fixed; the rollback is asked for again and completes.
    fixed = {"spec": {"image": {"imageSpec": {"repository": "pravega/bookkeeper"}}}}
    kubectl("patch", "bk", NAME, "-n", namespace, "--type=merge", "-p", json.dumps(fixed))
    operations.rollback(api, version=STABLE, options=RolloutOptions(wait=True, timeout=120))
    assert shown(api)["Error"] == ("False", "", "")
    assert shown(api)["PodsReady"] == ("True", "", "")
    assert pod_versions(kubectl, namespace) == [STABLE] * 3


def fingerprint(kubectl, namespace):
    """Resource versions of everything the collection could change."""
    objects = get_json(kubectl, "bk,sts,pods,configmaps,pdb,leases", "-n", namespace)["items"]
    return sorted((o["kind"], o["metadata"]["name"], o["metadata"]["resourceVersion"]) for o in objects)


def test_refusals_change_nothing(client, kubectl, namespace):
    api = deploy(client, namespace)
    refusals = [
        (
            lambda: operations.upgrade(api, version="0.12.0", options=RolloutOptions(wait=True, timeout=60)),
            "downgrading the cluster from version 0.13.0",
        ),
        (
            lambda: operations.upgrade(
                api, version=versions.check_requested("0.14"), options=RolloutOptions(wait=True, timeout=60)
            ),
            "X.Y.Z",
        ),
        (
            lambda: operations.rollback(api, version="0.12.0", options=RolloutOptions(wait=True, timeout=60)),
            "only allowed after a failed upgrade",
        ),
    ]
    for call, message in refusals:
        before = fingerprint(kubectl, namespace)
        with pytest.raises(operations.Refused) as refused:
            call()
        assert message in str(refused.value)
        assert fingerprint(kubectl, namespace) == before
    # A rollback of a healthy cluster is no refusal but nothing to do: no write, not even the Lease.
    before = fingerprint(kubectl, namespace)
    answer = operations.rollback(api, options=RolloutOptions(wait=True, timeout=60))
    assert (answer["changed"], answer["msg"]) == (False, "nothing to roll back: the cluster is healthy at %s" % STABLE)
    assert fingerprint(kubectl, namespace) == before
    failed_upgrade(api)
    for call, message in [
        (
            lambda: operations.rollback(api, version="0.12.0", options=RolloutOptions(wait=True, timeout=60)),
            "Only rollback to version 0.13.0",
        ),
        (
            lambda: operations.upgrade(api, version="0.15.0", options=RolloutOptions(wait=True, timeout=60)),
            "Only rollback to version 0.13.0",
        ),
    ]:
        before = fingerprint(kubectl, namespace)
        with pytest.raises(operations.Refused) as refused:
            call()
        assert message in str(refused.value)
        assert fingerprint(kubectl, namespace) == before
    for missing in (ClusterAPI(client, "absent", namespace), ClusterAPI(client, NAME, "no-such-ns")):
        with pytest.raises(errors.KubeError) as unknown:
            operations.upgrade(missing, version=GOOD, options=RolloutOptions(wait=True, timeout=60))
        assert "not found in namespace" in str(unknown.value)


def test_a_version_change_while_upgrading_is_refused(client, kubectl, namespace):
    api = deploy(client, namespace)
    operations.upgrade(api, version=GOOD, options=RolloutOptions(wait=False, timeout=60))
    before = fingerprint(kubectl, namespace)
    with pytest.raises(operations.Refused) as refused:
        operations.upgrade(api, version="0.15.0", options=RolloutOptions(wait=True, timeout=60))
    assert "cluster is upgrading" in str(refused.value)
    assert fingerprint(kubectl, namespace) == before
    operations.upgrade(api, version=GOOD, options=RolloutOptions(wait=True, timeout=120))
    assert versions_of(api)[0] == GOOD


def writes_here(log, namespace):
    """The collection's writes in ``namespace`` or cluster-wide, logged so far.

    Writes in other namespaces are other tests' (sessions may share the cluster).
    """
    log.settle(namespace)
    return [
        audit.described(entry)
        for entry in audit.collection_writes(log.requests())
        if audit.namespace_of(entry) in (None, namespace)
    ]


def test_check_mode_sends_no_mutating_request(client, kubectl, kubeconfig, namespace):
    api = deploy(client, namespace)
    failed_upgrade(api)
    log = audit.AuditLog(kubectl)
    before = writes_here(log, namespace)
    plan = operations.rollback(api, options=RolloutOptions(wait=True, timeout=60, check_mode=True))
    assert [step["pod"] for step in plan["plan"]] == ["bk-bookie-0"]
    assert plan["plan"][0]["to_image"] == "pravega/bookkeeper:0.13.0"
    playbook = textwrap.dedent("""
        - hosts: localhost
          gather_facts: false
          tasks:
            - bookkeeper.ops.bk_rollback: {name: bk, namespace: %s}
              check_mode: true
              register: planned
            - bookkeeper.ops.bk_status:
                name: bk
                namespace: %s
                condition: {type: Error, status: "False"}
              check_mode: true
              register: status
            - ansible.builtin.assert:
                that:
                  - planned.plan | map(attribute='pod') | list == ['bk-bookie-0']
                  - status.changed
    """) % (namespace, namespace)
    run_playbook(playbook, kubeconfig)
    assert writes_here(log, namespace) == before
    assert shown(api)["Error"][:2] == ("True", "UpgradeFailed")


def upgrade_process(namespace, kubeconfig, version=GOOD):
    """An upgrade with bk_upgrade in its own process group, as ansible-playbook runs it."""
    playbook = textwrap.dedent("""
        - hosts: localhost
          gather_facts: false
          tasks:
            - bookkeeper.ops.bk_upgrade: {name: bk, namespace: %s, version: "%s", timeout: 300}
    """) % (namespace, version)
    path = pathlib.Path("/tmp") / ("bk-upgrade-%s.yml" % namespace)
    path.write_text(playbook)
    return subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env=dict(os.environ, K8S_AUTH_KUBECONFIG=kubeconfig),
    )


def test_a_killed_run_is_resumed_without_two_bookies_down(client, kubectl, kubeconfig, namespace):
    api = deploy(client, namespace, replicas=5)
    with BookieWatch(client, namespace, NAME, 5) as watch:
        process = upgrade_process(namespace, kubeconfig)
        wait_for("two bookies replaced", lambda: pod_versions(kubectl, namespace).count(GOOD) >= 2, timeout=120)
        kill_tree(process.pid)
        process.wait()
        assert api.get_cluster()["status"]["targetVersion"] == GOOD, "killed in the middle of the upgrade"
        operations.upgrade(api, version=GOOD, options=RolloutOptions(wait=True, timeout=180))
    assert versions_of(api) == (GOOD, "", [STABLE, GOOD])
    assert pod_versions(kubectl, namespace) == [GOOD] * 5
    assert watch.most_down <= 1


def test_two_runs_cannot_drive_one_cluster(client, kubectl, kubeconfig, namespace):
    api = deploy(client, namespace, replicas=4)
    with BookieWatch(client, namespace, NAME, 4) as watch:
        process = upgrade_process(namespace, kubeconfig)
        wait_for(
            "the first run's lease",
            lambda: kubectl("get", "lease", "bookkeeper-ops-bk", "-n", namespace, check=False).returncode == 0,
            timeout=60,
        )
        with pytest.raises(errors.KubeError) as refused:
            operations.upgrade(api, version=GOOD, options=RolloutOptions(wait=True, timeout=60))
        assert "is being driven by another run" in str(refused.value)
        assert "holds Lease bookkeeper-ops-bk" in str(refused.value)
        output, _unused = process.communicate(timeout=240)
        assert process.returncode == 0, output
    assert versions_of(api)[0] == GOOD
    assert all(len(uids) == 2 for uids in watch.uids.values()), "no bookie replaced twice"


def test_a_disruption_budget_holds_the_rollout(client, kubectl, namespace):
    api = deploy(client, namespace)
    # The cluster's own budget, tightened so that no bookie may go.
    kubectl("patch", "pdb", "bk-bookie", "-n", namespace, "--type=merge", "-p", '{"spec": {"maxUnavailable": 0}}')
    wait_for(
        "the budget",
        lambda: (
            get_json(kubectl, "pdb", "bk-bookie", "-n", namespace).get("status", {}).get("disruptionsAllowed") == 0
            and get_json(kubectl, "pdb", "bk-bookie", "-n", namespace)["status"].get("observedGeneration") == 2
        ),
    )
    with pytest.raises(errors.TimedOut) as waited:
        operations.upgrade(api, version=GOOD, options=RolloutOptions(wait=True, timeout=6))
    assert "blocked by a PodDisruptionBudget" in str(waited.value) and waited.value.retryable
    assert waited.value.result["steps"][-1]["step"] == "replace_pod", "it carries what the run reached"
    assert pod_versions(kubectl, namespace) == [STABLE] * 3


def test_deploy_twice_changes_nothing(client, namespace):
    api = deploy(client, namespace)
    again = operations.deploy(
        api, spec={"version": STABLE, "replicas": 3}, options=RolloutOptions(wait=True, timeout=60)
    )
    assert again["changed"] is False and again["applied"] == []
    planned = operations.deploy(
        api, spec={"version": STABLE, "replicas": 4}, options=RolloutOptions(wait=True, timeout=60, check_mode=True)
    )
    assert planned["applied"] == ["BookkeeperCluster bk", "StatefulSet bk-bookie"]
