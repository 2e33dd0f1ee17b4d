"""awx/configure.yml run with the awx.awx modules of the ansible package (build/reference, see
requirements/reference.txt) against an AWX that is not there. A module checks its arguments against its argument
spec before it connects, so every call must fail on the connection alone: the arguments, as Ansible renders them
from awx/job-templates.yml and awx/credential-type.yml, fit the awx.awx modules' argument specs."""

import collections
import json
import os
import pathlib
import shutil

import ansible_runner
import yaml

from ansible_collections.bookkeeper.ops.tests.support import surveys

REPO = pathlib.Path(__file__).resolve().parents[2]
AWX = REPO / "build" / "reference" / "ansible_collections" / "awx" / "awx"
CONTROLLER = "http://127.0.0.1:9"  # nothing listens there
IMAGE = "registry.example.com/bookkeeper-ops-ee:1.0.0"
KUBECONFIG = "apiVersion: v1\nkind: Config\nusers: [{name: u, user: {token: kubeconfig-secret-token}}]\n"


def configure(tmp_path, extravars, ignore_errors):
    """Runs a copy of awx/configure.yml (with the files it reads) and returns the runner's result and its output.

    ``ignore_errors`` lets every task run although each fails on the connection."""
    assert AWX.is_dir(), "awx.awx is missing from %s: run make unit" % AWX.parents[2]
    project = tmp_path / "project"
    shutil.copytree(REPO / "awx", project / "awx")
    shutil.copy(REPO / "galaxy.yml", project)
    playbook = project / "awx" / "configure.yml"
    plays = yaml.safe_load(playbook.read_text())
    for play in plays:
        play["ignore_errors"] = ignore_errors
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    (tmp_path / "runner").mkdir()
    result = ansible_runner.run(
        private_data_dir=str(tmp_path / "runner"),
        project_dir=str(project),
        playbook="awx/configure.yml",
        extravars=extravars,
        envvars={
            "ANSIBLE_COLLECTIONS_PATH": "%s:%s" % (os.environ["ANSIBLE_COLLECTIONS_PATH"], AWX.parents[2]),
            "CONTROLLER_HOST": CONTROLLER,
            "HOME": str(tmp_path),  # no ~/.tower_cli.cfg to read
        },
        quiet=True,
    )
    return result, result.stdout.read()


Call = collections.namedtuple("Call", "module arguments message")


def calls(result):
    """Each module call that failed: its module, its arguments as the module read them, and its message."""
    found = []
    for event in result.events:
        if event["event"] not in ("runner_on_failed", "runner_item_on_failed"):
            continue
        data = event["event_data"]
        if event["event"] == "runner_on_failed" and "results" in data["res"]:
            continue  # a loop's summary; its items have their own events
        module = data["task_action"]
        found.append(Call(module, data["res"].get("invocation", {}).get("module_args", {}), data["res"]["msg"]))
    return found


def test_configure_calls_every_awx_module_with_arguments_its_spec_accepts(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG)
    result, output = configure(
        tmp_path, {"awx_ee_image": IMAGE, "awx_kubeconfig_file": str(kubeconfig)}, ignore_errors=True
    )
    assert result.status == "successful", output[-4000:]
    found = calls(result)
    for call in found:
        assert "connect to %s/api/" % CONTROLLER in call.message, "%s: %s" % (call.module, call.message)
    templates = yaml.safe_load((REPO / "awx" / "job-templates.yml").read_text())["job_templates"]
    assert [call.module for call in found] == [
        "awx.awx.credential_type",
        "awx.awx.credential",
        "awx.awx.execution_environment",
        "awx.awx.inventory",
        "awx.awx.project",
    ] + ["awx.awx.job_template"] * len(templates)
    arguments = {call.module: call.arguments for call in found}

    credential_type = yaml.safe_load((REPO / "awx" / "credential-type.yml").read_text())
    assert arguments["awx.awx.credential_type"]["injectors"] == credential_type["injectors"]  # AWX's, not rendered
    assert arguments["awx.awx.credential"]["credential_type"] == credential_type["name"]
    assert arguments["awx.awx.credential"]["inputs"] == {"kubeconfig": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}
    events = "".join(json.dumps(event) for event in result.events)
    assert "kubeconfig-secret-token" not in output + events, "the kubeconfig leaked into the job output"

    environment = arguments["awx.awx.execution_environment"]
    assert environment["image"] == IMAGE
    project = arguments["awx.awx.project"]
    assert (project["scm_type"], project["scm_url"]) == (
        "git",
        yaml.safe_load((REPO / "galaxy.yml").read_text())["repository"],
    )
    assert project["default_environment"] == environment["name"]

    jobs = [call.arguments for call in found if call.module == "awx.awx.job_template"]
    assert [job["name"] for job in jobs] == [template["name"] for template in templates]
    for job, template in zip(jobs, templates):
        assert (REPO / job["playbook"]).is_file(), job["playbook"]
        assert job["execution_environment"] == environment["name"]
        assert job["credentials"] == [arguments["awx.awx.credential"]["name"]]
        assert (job["project"], job["inventory"]) == (project["name"], arguments["awx.awx.inventory"]["name"])
        assert [question["variable"] for question in job["survey_spec"]["spec"]] == [
            question["variable"] for question in surveys.questions(template)
        ]


def test_configure_refuses_to_run_without_the_execution_environment_image(tmp_path):
    result, output = configure(tmp_path, {"awx_ee_image": ""}, ignore_errors=False)
    assert result.status == "failed"
    assert [(call.module, "awx_ee_image is required" in call.message) for call in calls(result)] == [
        ("ansible.builtin.assert", True)
    ]


def test_every_survey_is_built_from_the_one_definition_of_its_questions():
    known = surveys.definitions()
    asked = set()
    for name, template in surveys.templates().items():
        keys = template["survey"]
        assert all(isinstance(key, str) for key in keys), "%s defines a question of its own: %s" % (name, keys)
        assert set(keys) <= set(known), "%s asks undefined questions: %s" % (name, sorted(set(keys) - set(known)))
        variables = [known[key]["variable"] for key in keys]
        assert len(variables) == len(set(variables)), "%s asks for one variable twice" % name
        asked |= set(keys)
    assert asked == set(known), "questions no survey asks: %s" % sorted(set(known) - asked)
    for key, question in known.items():
        assert {"variable", "question_name", "type", "required"} <= set(question), key
