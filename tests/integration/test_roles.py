"""The playbooks and roles, run with ansible-playbook as a user runs them."""

import json
import re

from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI
from ansible_collections.bookkeeper.ops.tests.support.clusters import MISSING, STABLE, deploy, shown
from ansible_collections.bookkeeper.ops.tests.support.playbooks import playbook, run_playbook


def test_auto_rollback_brings_a_failed_upgrade_back(client, kubeconfig, namespace):
    api = deploy(client, namespace)
    run = playbook(
        "upgrade.yml",
        kubeconfig,
        "-e",
        "cluster=bk",
        "-e",
        "cluster_namespace=" + namespace,
        "-e",
        "version=" + MISSING,
        "-e",
        "auto_rollback=true",
    )
    assert run.returncode != 0
    # The module rolls back in the same run; the role only passes auto_rollback on.
    assert "pod bk-bookie-0 update failed because of ImagePullBackOff; rolled back to %s automatically" % STABLE in (
        run.stdout
    )
    assert run.stdout.count("TASK [bookkeeper.ops.upgrade : Upgrade, ") == 1, run.stdout[-3000:]
    assert shown(api)["PodsReady"] == ("True", "", "")
    assert shown(api)["Error"] == ("False", "", "")
    assert api.get_cluster()["status"]["currentVersion"] == STABLE


def test_bad_role_variables_are_refused_before_the_first_task(kubeconfig):
    run = playbook("deploy.yml", kubeconfig, "-e", "replicas=many")
    assert run.returncode != 0
    assert "Validating arguments against arg spec" in run.stdout
    assert "replicas" in run.stdout and "int" in run.stdout


def test_a_rerun_of_a_finished_upgrade_changes_nothing(client, kubeconfig, namespace, tmp_path):
    deploy(client, namespace)
    log = tmp_path / "gate.log"
    arguments = ["-e", "cluster=bk", "-e", "cluster_namespace=" + namespace, "-e", "version=0.14.0"]
    gate = ["-e", '{"health_check": {"type": "command", "command": ["sh", "-c", "echo $BK_NEXT_POD >> %s"]}}' % log]
    first = playbook("upgrade.yml", kubeconfig, *arguments, *gate)
    assert first.returncode == 0, first.stdout[-3000:]
    # One module run for the whole rollout, then a line per step of each bookie, bookie by bookie; and the health
    # gate asked before each Ready bookie went down.
    assert first.stdout.count("TASK [bookkeeper.ops.upgrade : Upgrade, ") == 1, first.stdout[-3000:]
    steps = first.stdout.split("TASK [bookkeeper.ops.upgrade : Steps of each bookie]")[1]
    for ordinal in range(3):
        bookie = steps.split("(item=bk-bookie-%d)" % ordinal)[1].split("(item=")[0]
        assert "replacing pod bk-bookie-%d (0.13.0 -> 0.14.0)" % ordinal in bookie, steps
        assert "bk-bookie-%d to become Ready on version 0.14.0" % ordinal in bookie, steps
    assert "bk-bookie-1" not in steps.split("(item=bk-bookie-1)")[0]
    assert log.read_text().split() == ["bk-bookie-0", "bk-bookie-1", "bk-bookie-2"]
    # The live progress display, printed by the controller while the run waited.
    assert re.search(r"bk \[ *\d+s\] bk-bookie-1 0\.13\.0: Terminating", first.stdout), first.stdout[-3000:]
    assert re.search(r"bk \[ *\d+s\] bk-bookie-1 0\.14\.0: Ready", first.stdout)
    again = playbook("upgrade.yml", kubeconfig, *arguments)
    assert again.returncode == 0 and "changed=0" in again.stdout


def test_reconcile_as_ansible_operator_runs_it_honours_the_spec_health_check(
    client, kubectl, kubeconfig, namespace, tmp_path
):
    deploy(client, namespace)
    log = tmp_path / "gate.log"
    gate = {"type": "command", "command": ["sh", "-c", "echo $BK_NEXT_POD >> %s" % log]}
    # The user edits the resource; ansible-operator then runs the reconcile playbook.
    edit = {"spec": {"version": "0.14.0", "healthCheck": gate, "autoRollback": False}}
    kubectl("patch", "bk", "bk", "-n", namespace, "--type=merge", "-p", json.dumps(edit))
    # ansible-operator passes the spec in snake_case and the resource's name and namespace.
    variables = {
        "ansible_operator_meta": {"name": "bk", "namespace": namespace},
        "version": "0.14.0",
        "replicas": 3,
        "health_check": gate,
        "auto_rollback": False,
    }
    run = playbook("reconcile.yml", kubeconfig, "-e", json.dumps(variables))
    assert run.returncode == 0, run.stdout[-3000:]
    # The playbook does what the core decided (the deploy role's step may have started the upgrade), and says why.
    assert re.search(r'"msg": "upgrade: [^"]*0\.14\.0', run.stdout), run.stdout[-3000:]
    assert log.read_text().split() == ["bk-bookie-0", "bk-bookie-1", "bk-bookie-2"]
    status = ClusterAPI(client, "bk", namespace).get_cluster()["status"]
    assert (status["currentVersion"], status["versionHistory"]) == ("0.14.0", [STABLE, "0.14.0"])
    again = playbook("reconcile.yml", kubeconfig, "-e", json.dumps(variables))
    assert again.returncode == 0 and "none: cluster is at version 0.14.0" in again.stdout, again.stdout[-3000:]
    assert "bookkeeper.ops.upgrade" not in again.stdout


def test_the_upgrade_and_rollback_roles_leave_their_results_to_the_play_even_on_failure(client, kubeconfig, namespace):
    deploy(client, namespace)
    run = run_playbook(
        json.dumps(
            [
                {
                    "hosts": "localhost",
                    "connection": "local",
                    "gather_facts": False,
                    "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                    "tasks": [
                        {
                            "block": [
                                {
                                    "ansible.builtin.include_role": {"name": "bookkeeper.ops.upgrade"},
                                    "vars": {
                                        "upgrade_cluster": "bk",
                                        "upgrade_namespace": namespace,
                                        "upgrade_version": MISSING,
                                    },
                                }
                            ],
                            "rescue": [
                                {
                                    "ansible.builtin.debug": {
                                        "msg": "upgrade_result failed={{ upgrade_result.failed }} "
                                        "last={{ upgrade_result.steps[-1].step }}"
                                    }
                                }
                            ],
                        },
                        {
                            "ansible.builtin.include_role": {"name": "bookkeeper.ops.rollback"},
                            "vars": {
                                "rollback_cluster": "bk",
                                "rollback_namespace": namespace,
                            },
                        },
                        {
                            "ansible.builtin.debug": {
                                "msg": "rollback_result changed={{ rollback_result.changed }} "
                                "at={{ rollback_result.cluster.current_version }}"
                            }
                        },
                    ],
                }
            ]
        ),
        kubeconfig,
        "-i",
        "localhost,",
    )
    assert "upgrade_result failed=True last=fail" in run.stdout, run.stdout[-3000:]
    assert "rollback_result changed=True at=%s" % STABLE in run.stdout, run.stdout[-3000:]
