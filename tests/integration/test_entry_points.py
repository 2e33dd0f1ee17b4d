"""The entry points driven the way their users drive them.

AWX hands survey answers to the playbook as extra variables typed as the survey
question is: strings for text and multiple-choice questions, integers for integer
questions. The documented commands must run without a warning a user would read
as their own mistake, and the modules must work under ``async``.
"""

import os
import re
import shlex
import subprocess
import sys

import ansible_runner
import yaml

from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI
from ansible_collections.bookkeeper.ops.tests.support import audit, surveys
from ansible_collections.bookkeeper.ops.tests.support.clusters import (
    GOOD,
    MISSING,
    STABLE,
    deploy,
    shown,
    versions_of,
)
from ansible_collections.bookkeeper.ops.tests.support.paths import REPO
from ansible_collections.bookkeeper.ops.tests.support.playbooks import playbook

# An inventory as AWX's is for these job templates: localhost, run by the local connection.
AWX_INVENTORY = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
SURVEY_TYPES = {"text": str, "textarea": str, "password": str, "multiplechoice": str, "integer": int}


def job_templates():
    return {
        template["name"]: template
        for template in yaml.safe_load((REPO / "awx" / "job-templates.yml").read_text())["job_templates"]
    }


def survey_answers(template, answers):
    """Extra variables as AWX builds them from a survey: every question answered (``answers`` or its default).

    The value is typed as AWX types it; a question neither answered nor with a default is left out, as AWX does.
    """
    extravars = {}
    for question in surveys.questions(template):
        value = answers.get(question["variable"], question.get("default"))
        if value is None:
            assert not question["required"], "no answer for the required question %s" % question["variable"]
            continue
        kind = SURVEY_TYPES[question["type"]]
        assert isinstance(value, kind), "AWX sends %s answers as %s" % (question["type"], kind.__name__)
        if question["type"] == "multiplechoice":
            assert value in question["choices"], "%r is not a choice of %s" % (value, question["variable"])
        extravars[question["variable"]] = value
    unknown = set(answers) - {question["variable"] for question in surveys.questions(template)}
    assert not unknown, "answers to questions the survey does not ask: %s" % sorted(unknown)
    return extravars


def launch(template_name, answers, kubeconfig, tmp_path):
    """Run one job template as AWX runs it, through ansible-runner; returns (status, output)."""
    template = job_templates()[template_name]
    private = tmp_path / ("runner-%s" % re.sub(r"\W+", "-", template_name.lower()))
    private.mkdir(exist_ok=True)
    result = ansible_runner.run(
        private_data_dir=str(private),
        project_dir=str(REPO),
        playbook=str(REPO / template["playbook"]),
        inventory=AWX_INVENTORY,
        extravars=survey_answers(template, answers),
        envvars={
            "K8S_AUTH_KUBECONFIG": kubeconfig,
            "ANSIBLE_COLLECTIONS_PATH": os.environ["ANSIBLE_COLLECTIONS_PATH"],
            "PATH": "%s:%s" % (os.path.dirname(sys.executable), os.environ["PATH"]),
        },
        quiet=True,
    )
    return result.status, result.stdout.read()


def test_every_job_template_takes_its_survey_answers_as_awx_sends_them(
    client, kubectl, kubeconfig, operator_kubeconfig, namespace, tmp_path
):
    where = {"cluster": "bk", "cluster_namespace": namespace}
    # The deploy installs the CRD, which the least-privilege role may not: it runs as the cluster's admin.
    status, output = launch("BookKeeper deploy", dict(where, version=STABLE, replicas=4), kubeconfig, tmp_path)
    assert status == "successful", output[-3000:]
    assert len(kubectl("get", "pods", "-n", namespace, "-o", "name").split()) == 4

    # The multiple-choice answer "false" is a string: the failed upgrade must stay failed, not roll back.
    upgrade = dict(where, version=MISSING, auto_rollback="false", health_check="none")
    status, output = launch("BookKeeper upgrade", upgrade, operator_kubeconfig, tmp_path)
    assert status == "failed"
    assert "rolled back" not in output, output[-3000:]
    api = ClusterAPI(client, "bk", namespace)
    assert shown(api)["Error"] == ("True", "UpgradeFailed", "pod bk-bookie-0 update failed because of ImagePullBackOff")
    assert versions_of(api) == (STABLE, "", [STABLE])

    status, output = launch("BookKeeper status", where, operator_kubeconfig, tmp_path)
    assert status == "successful", output[-3000:]
    assert "UpgradeFailed" in output

    status, output = launch("BookKeeper rollback", where, operator_kubeconfig, tmp_path)
    assert status == "successful", output[-3000:]
    assert shown(api)["PodsReady"] == ("True", "", "") and shown(api)["Error"][0] == "False"

    # "true" rolls back in the same run; the health gate's choice reaches the module as a dict.
    upgrade.update(auto_rollback="true")
    status, output = launch("BookKeeper upgrade", upgrade, operator_kubeconfig, tmp_path)
    assert status == "failed"
    assert "; rolled back to %s automatically" % STABLE in output, output[-3000:]
    assert shown(api)["PodsReady"] == ("True", "", "") and shown(api)["Error"][0] == "False"
    upgrade.update(version=STABLE, auto_rollback="false", health_check="bookkeeper")
    status, output = launch("BookKeeper upgrade", upgrade, operator_kubeconfig, tmp_path)
    assert status == "successful", output[-3000:]

    # Nothing to abort: the job says so and changes nothing.
    status, output = launch(
        "BookKeeper upgrade abort", dict(where, reason="change freeze"), operator_kubeconfig, tmp_path
    )
    assert status == "failed" and "no upgrade" in output.lower(), output[-3000:]
    assert versions_of(api) == (STABLE, "", [STABLE])


def test_an_answer_that_is_no_boolean_is_refused_before_anything_is_written(
    client, kubectl, kubeconfig, operator_kubeconfig, namespace, tmp_path
):
    deploy(client, namespace)
    log = audit.AuditLog(kubectl)
    start = log.settle(namespace)
    # What a text survey question or a typo in -e gives: neither true nor false, nor a check type.
    bad_answers = (
        ("auto_rollback=flase", ("upgrade_auto_rollback", "not a valid boolean")),
        ("auto_rollback=maybe", ("upgrade_auto_rollback", "not a valid boolean")),
        ("health_check=bookkeepr", ("bookkeepr", "bookkeeper, http, command")),
    )
    for answer, said in bad_answers:
        arguments = ("cluster=bk", "cluster_namespace=" + namespace, "version=" + GOOD, answer)
        run = playbook("upgrade.yml", operator_kubeconfig, *[word for value in arguments for word in ("-e", value)])
        assert run.returncode != 0
        assert all(words in run.stdout for words in said), run.stdout[-2000:]
    end = log.settle(namespace)
    writes = audit.collection_writes(log.requests(start, end))
    assert [audit.described(entry) for entry in writes if audit.namespace_of(entry) == namespace] == []
    assert versions_of(ClusterAPI(client, "bk", namespace)) == (STABLE, "", [STABLE])


def documented_commands():
    """The ``ansible-playbook`` commands of the README and the user guide, as written there."""
    commands = []
    for document in ("README.md", "docs/user-guide.md"):
        for block in re.findall(r"```sh\n(.*?)```", (REPO / document).read_text(), re.S):
            commands += [line.strip() for line in block.splitlines() if line.strip().startswith("ansible-playbook")]
    return commands


def test_the_documented_commands_print_no_warning(operator_kubeconfig, namespace):
    commands = documented_commands()
    assert len(commands) >= 8, commands
    # Every command on one test cluster, in the documented order. The upgrades go to a version whose image is
    # missing, so that the rollbacks after them are allowed; the health gate cannot pass on simulated bookies,
    # so that command runs in check mode, which still reads every option.
    for command in commands:
        words = [
            word.replace("cluster=bookkeeper", "cluster=bk")
            .replace("cluster_namespace=default", "cluster_namespace=" + namespace)
            .replace("version=0.14.0", "version=" + MISSING)
            for word in shlex.split(command)
        ]
        if "cluster_namespace=" + namespace not in words:
            words += ["-e", "cluster_namespace=" + namespace]
        if "health_check=bookkeeper" in words:
            words.append("--check")
        run = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), "ansible-playbook")] + words[1:],
            capture_output=True,
            text=True,
            check=False,
            cwd=str(REPO),
            env=dict(os.environ, K8S_AUTH_KUBECONFIG=operator_kubeconfig),
        )
        assert "PLAY RECAP" in run.stdout, "%s did not run:\n%s" % (command, run.stdout[-2000:] + run.stderr[-2000:])
        warnings = [line for line in (run.stdout + run.stderr).splitlines() if "[WARNING]" in line]
        assert warnings == [], "%s warned:\n%s" % (command, "\n".join(warnings))


ASYNC_PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
  tasks:
    - name: Upgrade, polled by Ansible
      bookkeeper.ops.bk_upgrade:
        name: bk
        namespace: {namespace}
        version: {missing}
        timeout: 120
      async: 300
      poll: 1
      register: upgrade
      ignore_errors: true

    - name: Roll back in the background
      bookkeeper.ops.bk_rollback:
        name: bk
        namespace: {namespace}
        timeout: 120
      async: 300
      poll: 0
      register: rollback_job

    - name: Wait for the rollback
      ansible.builtin.async_status:
        jid: "{{{{ rollback_job.ansible_job_id }}}}"
      register: rollback
      until: rollback.finished
      retries: 120
      delay: 1

    - name: Show both results
      ansible.builtin.debug:
        msg: >-
          upgrade failed={{{{ upgrade.failed }}}} [{{{{ upgrade.msg }}}}]
          rollback changed={{{{ rollback.changed }}}}
"""


def test_upgrade_and_rollback_work_under_async(client, kubeconfig, namespace, tmp_path):
    api = deploy(client, namespace)
    path = tmp_path / "async.yml"
    path.write_text(ASYNC_PLAY.format(namespace=namespace, missing=MISSING))
    run = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", str(path)],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, K8S_AUTH_KUBECONFIG=kubeconfig),
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "does not support async" not in run.stdout
    assert (
        "upgrade failed=True [pod bk-bookie-0 update failed because of ImagePullBackOff] rollback changed=True"
        in run.stdout
    ), run.stdout[-3000:]
    assert shown(api)["PodsReady"] == ("True", "", "")
    assert versions_of(api) == (STABLE, "", [STABLE])


def test_the_old_namespace_variable_still_works(client, kubeconfig, namespace):
    deploy(client, namespace)
    run = playbook("status.yml", kubeconfig, "-e", "cluster=bk", "-e", "namespace=" + namespace)
    assert run.returncode == 0, run.stdout[-2000:]
    assert "%s/bk" % namespace in run.stdout
