"""Clusters the Pravega operator made: its status, as its Go types write it, read by the playbooks and modules.

The statuses are those of tests/support/fixtures/operator-statuses.json, written through the
status subresource as the operator writes them, so that nothing of the collection's own status is left.
"""

import json
import textwrap

from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI
from ansible_collections.bookkeeper.ops.tests.support import operator_statuses as operator
from ansible_collections.bookkeeper.ops.tests.support.clusters import (
    GOOD,
    MISSING,
    NAME,
    STABLE,
    deploy,
    failed_upgrade,
    pod_versions,
    versions_of,
)
from ansible_collections.bookkeeper.ops.tests.support.playbooks import playbook, run_playbook


def conditions(api):
    """Each stored condition as the API server holds it: (status, reason, message), absent fields as None."""
    stored = api.get_cluster()["status"]["conditions"]
    return {c["type"]: (c["status"], c.get("reason"), c.get("message")) for c in stored}


def take_over(api, fixture):
    """Give the cluster the fixture's spec.version and status, replacing the whole status as the operator does."""
    version = operator.cluster(fixture)["spec"]["version"]
    cluster = api.get_cluster()
    if cluster["spec"].get("version") != version:
        api.set_version(cluster, version)
        cluster = api.get_cluster()
    api.write_status(cluster, operator.cluster(fixture, api.name)["status"])
    assert api.get_cluster()["status"] == operator.cluster(fixture, api.name)["status"], (
        "stored as the operator wrote it"
    )


def create(kubectl, fixture, name, namespace):
    """The BookkeeperCluster as a user creates it for the operator: spec only."""
    resource = operator.cluster(fixture, name)
    resource.pop("status", None)
    resource["metadata"]["namespace"] = namespace
    kubectl("create", "-f", "-", stdin=json.dumps(resource))


def status_playbook(kubeconfig, name, namespace):
    # Both spellings of the namespace variable, so that this runs before and after its rename.
    return playbook(
        "status.yml",
        kubeconfig,
        "-e",
        "cluster=" + name,
        "-e",
        "namespace=" + namespace,
        "-e",
        "cluster_namespace=" + namespace,
    )


def test_the_status_playbook_reads_every_status_the_operator_writes(client, kubectl, kubeconfig, namespace):
    for fixture in operator.NAMES:
        name = "op-" + fixture
        create(kubectl, fixture, name, namespace)
        if "status" in operator.FIXTURES[fixture]:
            take_over(ClusterAPI(client, name, namespace), fixture)
    problems = {}
    for fixture in operator.NAMES:
        run = status_playbook(kubeconfig, "op-" + fixture, namespace)
        if run.returncode != 0:
            problems[fixture] = [line for line in run.stdout.splitlines() if "FAILED" in line or "ERROR" in line]
            continue
        status = operator.FIXTURES[fixture].get("status") or {}
        wanted = ["BookkeeperCluster %s/op-%s" % (namespace, fixture)]
        wanted.append("Current version   %s" % (status.get("currentVersion") or "-"))
        for condition in status.get("conditions") or ():
            wanted.append("%-20s %-7s %-22s" % (condition["type"], condition["status"], condition.get("reason") or "-"))
            wanted.append(condition.get("message") or "-")
        missing = [text for text in wanted if text not in run.stdout]
        if missing:
            problems[fixture] = ["not shown: %r" % text for text in missing]
    assert not problems, problems


def test_bk_status_sets_a_condition_with_its_text_on_an_operator_status(client, kubectl, kubeconfig, namespace):
    create(kubectl, "rollback-failed", NAME, namespace)
    api = ClusterAPI(client, NAME, namespace)
    take_over(api, "rollback-failed")
    play = textwrap.dedent("""
        - hosts: localhost
          gather_facts: false
          tasks:
            - bookkeeper.ops.bk_status:
                name: %s
                namespace: %s
                condition: {type: Error, status: "False", text: repaired by hand}
              register: cleared
            - ansible.builtin.assert:
                that:
                  - cleared.changed
                  - (cleared.cluster.conditions | selectattr('type', 'equalto', 'Error') | first).message
                    == 'repaired by hand'
    """) % (NAME, namespace)
    run_playbook(play, kubeconfig)
    after = conditions(api)
    assert after["Error"] == ("False", "", "repaired by hand")
    assert after["Upgrading"] == ("False", None, None), "conditions that were not set keep their stored form"
    assert api.get_cluster()["status"]["members"] == operator.cluster("rollback-failed")["status"]["members"]


def test_bk_rollback_and_bk_upgrade_carry_on_from_the_operators_status(client, kubectl, kubeconfig, namespace):
    api = deploy(client, namespace)
    failed_upgrade(api)
    # Where the operator leaves a failed upgrade: the pod template on the new version, UpgradeFailed, no targetVersion,
    # and none of the collection's own status fields.
    image = "pravega/bookkeeper:" + MISSING
    api.set_template(
        {"component": "bookie", "workload": NAME + "-bookie", "image": image, "version": MISSING}, api.observe()
    )
    take_over(api, "upgrade-failed")
    run_playbook(
        textwrap.dedent("""
            - hosts: localhost
              gather_facts: false
              tasks:
                - bookkeeper.ops.bk_rollback: {name: %s, namespace: %s, timeout: 180}
        """)
        % (NAME, namespace),
        kubeconfig,
    )
    assert versions_of(api) == (STABLE, "", [STABLE])
    assert conditions(api)["Error"] == ("False", "", "")
    assert pod_versions(kubectl, namespace) == [STABLE] * 3

    take_over(api, "ready")
    run_playbook(
        textwrap.dedent("""
            - hosts: localhost
              gather_facts: false
              tasks:
                - bookkeeper.ops.bk_upgrade: {name: %s, namespace: %s, version: "%s", timeout: 300}
                  register: upgraded
                - ansible.builtin.assert:
                    that:
                      - upgraded.cluster.version_history == ['%s', '%s']
                      - upgraded.cluster.conditions | map(attribute='reason') | list == ['', '', '']
        """)
        % (NAME, namespace, GOOD, STABLE, GOOD),
        kubeconfig,
    )
    assert versions_of(api) == (GOOD, "", [STABLE, GOOD])
    assert pod_versions(kubectl, namespace) == [GOOD] * 3
