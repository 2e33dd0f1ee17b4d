"""No secret of an inline kubeconfig reaches the output of ansible-playbook -vvv, the results or the diff.

The kubeconfig is given as AWX credential plugins and vault users give it: a dict in the task's
arguments. It connects as the tests' least-privilege ServiceAccount (a real token) and carries
every other kind of secret in users and clusters that its context does not use: the admin's
client key, a password, auth-provider tokens and client secret, an exec plugin's secret
environment variable and command-line flags, a proxy password. The playbook runs tasks that
succeed (a read, a condition set, an upgrade with its progress display, a kubeconfig path) and
tasks that fail (a refused rollback, a rejected token, an unreachable server, options Ansible
refuses, the kubeconfig as JSON text), once as it is and once with --diff.
"""

import copy
import json
import os
import pathlib
import subprocess
import sys
import uuid

import pytest
import yaml

from ansible_collections.bookkeeper.ops.tests.support.clusters import STABLE, deploy


def secret(kind):
    return "bksecret-%s-%s" % (kind, uuid.uuid4().hex[:12])


def inline_kubeconfig(admin_path, operator_path):
    """(the kubeconfig dict, every secret it holds)."""
    admin = yaml.safe_load(pathlib.Path(admin_path).read_text())
    config = yaml.safe_load(pathlib.Path(operator_path).read_text())
    secrets = {"token": config["users"][0]["user"]["token"]}
    admin_user = admin["users"][0]["user"]
    secrets.update({key: admin_user[key] for key in ("client-key-data", "token") if admin_user.get(key)})
    fake = {
        kind: secret(kind)
        for kind in (
            "password",
            "client-key-data",
            "id-token",
            "refresh-token",
            "client-secret",
            "access-token",
            "exec-env",
            "exec-flag",
            "exec-flag-value",
            "proxy-password",
        )
    }
    secrets.update({"fake " + kind: value for kind, value in fake.items()})
    config["users"] += [
        {"name": "admin", "user": admin_user},
        {"name": "basic", "user": {"username": "alice", "password": fake["password"]}},
        {"name": "certificate", "user": {"client-key-data": fake["client-key-data"]}},
        {
            "name": "oidc",
            "user": {
                "auth-provider": {
                    "name": "oidc",
                    "config": {
                        "client-id": "bookkeeper-ops",
                        "client-secret": fake["client-secret"],
                        "id-token": fake["id-token"],
                        "refresh-token": fake["refresh-token"],
                        "idp-issuer-url": "https://issuer.invalid",
                    },
                }
            },
        },
        {
            "name": "azure",
            "user": {"auth-provider": {"name": "azure", "config": {"access-token": fake["access-token"]}}},
        },
        {
            "name": "exec",
            "user": {
                "exec": {
                    "apiVersion": "client.authentication.k8s.io/v1",
                    "command": "kubelogin",
                    "args": [
                        "get-token",
                        "--client-secret=%s" % fake["exec-flag"],
                        "--password",
                        fake["exec-flag-value"],
                    ],
                    "env": [{"name": "VAULT_TOKEN", "value": fake["exec-env"]}],
                }
            },
        },
    ]
    config["clusters"].append(
        {
            "name": "behind-proxy",
            "cluster": {
                "server": "https://bookkeeper.invalid:6443",
                "proxy-url": "http://proxy:%s@proxy.invalid:3128" % fake["proxy-password"],
            },
        }
    )
    config["contexts"] += [
        {"name": user["name"], "context": {"cluster": "behind-proxy", "user": user["name"]}}
        for user in config["users"][1:]
    ]
    return config, secrets


PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  connection: local
  module_defaults:
    group/bookkeeper.ops.bk:
      name: bk
      namespace: "{{ cluster_namespace }}"
  tasks:
    - {name: read, bookkeeper.ops.bk_status: {kubeconfig: "{{ inline }}"}, register: read}
    - name: set a condition
      bookkeeper.ops.bk_status:
        kubeconfig: "{{ inline }}"
        condition: {type: HealthCheckFailing, status: "False", reason: Checked}
      register: condition
    - {name: upgrade, bookkeeper.ops.bk_upgrade: {kubeconfig: "{{ inline }}", version: "%(stable)s"}, register: upgrade}
    - {name: path, bookkeeper.ops.bk_status: {kubeconfig: "{{ path }}"}, register: path_given}
    - name: refused rollback
      bookkeeper.ops.bk_rollback: {kubeconfig: "{{ inline }}", version: 0.12.0, timeout: 60}
      register: refused
      ignore_errors: true
    - name: rejected token
      bookkeeper.ops.bk_status: {kubeconfig: "{{ rejected }}"}
      register: rejected_token
      ignore_errors: true
    - name: unreachable
      bookkeeper.ops.bk_status: {kubeconfig: "{{ unreachable }}"}
      register: unreachable_server
      ignore_errors: true
    - name: refused options
      bookkeeper.ops.bk_upgrade: {kubeconfig: "{{ inline }}", version: "%(stable)s", timeout: soon}
      register: refused_options
      ignore_errors: true
    - name: kubeconfig as text
      bookkeeper.ops.bk_upgrade: {kubeconfig: "{{ text }}", version: "%(stable)s"}
      register: as_text
      ignore_errors: true
    - name: keep the results
      ansible.builtin.copy:
        content: "{{ {'read': read, 'condition': condition, 'upgrade': upgrade, 'path': path_given,
                      'refused': refused, 'rejected': rejected_token, 'unreachable': unreachable_server,
                      'options': refused_options, 'text': as_text} | to_json }}"
        dest: "{{ results }}"
        mode: "0600"
      diff: false
""" % {"stable": STABLE}


@pytest.fixture
def deployed(client, namespace):
    deploy(client, namespace)
    return namespace


@pytest.mark.parametrize("diff", [False, True], ids=["plain", "diff"])
def test_no_secret_in_verbose_output_results_or_diff(diff, deployed, kubeconfig, operator_kubeconfig, tmp_path):
    inline, secrets = inline_kubeconfig(kubeconfig, operator_kubeconfig)
    rejected = copy.deepcopy(inline)
    rejected["users"][0]["user"]["token"] = secrets["fake rejected-token"] = secret("rejected-token")
    unreachable = copy.deepcopy(inline)
    unreachable["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:1"
    results = tmp_path / "results.json"
    variables = tmp_path / "vars.json"
    variables.write_text(
        json.dumps(
            {
                "cluster_namespace": deployed,
                "inline": inline,
                "rejected": rejected,
                "unreachable": unreachable,
                "text": json.dumps(inline),
                "path": operator_kubeconfig,
                "results": str(results),
            }
        )
    )
    variables.chmod(0o600)
    playbook = tmp_path / "secrets.yml"
    playbook.write_text(PLAYBOOK)
    env = {k: v for k, v in os.environ.items() if not k.startswith("K8S_AUTH_") and k != "KUBECONFIG"}
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="False")
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-vvv", str(playbook)]
    command += ["-e", "@%s" % variables] + (["--diff"] if diff else [])
    run = subprocess.run(command, capture_output=True, text=True, check=False, env=env, timeout=600)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    done = json.loads(results.read_text())

    # What ran is what the test means: each task succeeded or failed as intended.
    assert not any(done[task].get("failed") for task in ("read", "condition", "upgrade", "path"))
    assert done["refused"]["failed"] and done["refused"]["refused"]
    assert done["rejected"]["failed"] and "401" in done["rejected"]["msg"]
    assert done["unreachable"]["failed"] and done["unreachable"]["retryable"]
    assert done["options"]["failed"] and "timeout" in done["options"]["msg"]
    for kind, value in secrets.items():
        assert value not in run.stdout, "the %s is in the output" % kind
        assert value not in run.stderr, "the %s is in the error output" % kind
        assert value not in json.dumps(done), "the %s is in a registered result" % kind
    # Registered results leave the invocation out; -vvv shows it, the secrets masked, the rest as it is.
    assert '"token": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"' in run.stdout
    assert '"server": "%s"' % inline["clusters"][0]["cluster"]["server"] in run.stdout
    assert '"kubeconfig": "%s"' % operator_kubeconfig in run.stdout
    assert '\\"token\\": \\"********\\"' in run.stdout  # the kubeconfig as text, masked in place
    assert ("diff" in done["condition"]) is diff
