"""The secrets of an inline kubeconfig and of the connection options, and how the modules hide them."""

import json
import types

import pytest
import yaml
from ansible.module_utils import basic
from ansible.module_utils.common.parameters import remove_values

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import args, errors, redaction
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge import module
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection
from ansible_collections.bookkeeper.ops.plugins.plugin_utils import progress
from ansible_collections.bookkeeper.ops.tests.support.older_cores import patch_module_args

# Each secret a kubeconfig can hold, by where it sits.
SECRETS = {
    "token": "tok-3f9a1c",
    "password": "pw-7b2e44",
    "client-key-data": "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCmtleS05YzFk",
    "oidc id-token": "eyJhbGciOiJSUzI1NiJ9.id-5d0e",
    "oidc refresh-token": "refresh-8a61f0",
    "oidc client-secret": "client-secret-2c7d",
    "azure access-token": "access-4e90b1",
    "exec env": "hvs.vault-6f13",
    "exec env apiKey": "api-key-0d2b",
    "exec args --flag=value": "args-secret-91aa",
    "exec args --flag value": "args-pass-33c8",
    "proxy-url password": "proxy-pw-5a5a",
}
# What stays visible: names, servers, paths, certificates, plain settings.
VISIBLE = [
    "https://127.0.0.1:6443",
    "alice",
    "/home/alice/.kube/alice.key",
    "Q0VSVElGSUNBVEUtQVVUSE9SSVRZ",
    "Q0xJRU5ULUNFUlRJRklDQVRF",
    "kubelogin",
    "get-token",
    "eu-west-1",
    "bookkeeper-ops-client",
    "https://issuer.example.com",
]


def kubeconfig():
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "main",
        "clusters": [
            {
                "name": "main",
                "cluster": {
                    "server": "https://127.0.0.1:6443",
                    "certificate-authority-data": "Q0VSVElGSUNBVEUtQVVUSE9SSVRZ",
                    "proxy-url": "http://proxyuser:%s@proxy.example.com:3128" % SECRETS["proxy-url password"],
                },
            }
        ],
        "contexts": [{"name": "main", "context": {"cluster": "main", "user": "token"}}],
        "users": [
            {"name": "token", "user": {"token": SECRETS["token"]}},
            {"name": "basic", "user": {"username": "alice", "password": SECRETS["password"]}},
            {
                "name": "certificate",
                "user": {
                    "client-certificate-data": "Q0xJRU5ULUNFUlRJRklDQVRF",
                    "client-key-data": SECRETS["client-key-data"],
                },
            },
            {
                "name": "certificate-files",
                "user": {
                    "client-certificate": "/home/alice/.kube/alice.crt",
                    "client-key": "/home/alice/.kube/alice.key",
                },
            },
            {
                "name": "oidc",
                "user": {
                    "auth-provider": {
                        "name": "oidc",
                        "config": {
                            "client-id": "bookkeeper-ops-client",
                            "client-secret": SECRETS["oidc client-secret"],
                            "id-token": SECRETS["oidc id-token"],
                            "refresh-token": SECRETS["oidc refresh-token"],
                            "idp-issuer-url": "https://issuer.example.com",
                        },
                    }
                },
            },
            {
                "name": "azure",
                "user": {
                    "auth-provider": {
                        "name": "azure",
                        "config": {"access-token": SECRETS["azure access-token"], "expires-in": 3599},
                    }
                },
            },
            {
                "name": "exec",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1",
                        "command": "kubelogin",
                        "args": [
                            "get-token",
                            "--client-secret=%s" % SECRETS["exec args --flag=value"],
                            "--password",
                            SECRETS["exec args --flag value"],
                            "--verbose",
                        ],
                        "env": [
                            {"name": "VAULT_TOKEN", "value": SECRETS["exec env"]},
                            {"name": "cloudApiKey", "value": SECRETS["exec env apiKey"]},
                            {"name": "AWS_REGION", "value": "eu-west-1"},
                        ],
                    }
                },
            },
        ],
    }


@pytest.mark.parametrize("where", sorted(SECRETS))
def test_every_kind_of_kubeconfig_secret_is_found(where):
    assert SECRETS[where] in redaction.kubeconfig_secrets(kubeconfig())


def test_names_servers_paths_and_certificates_stay_visible():
    shown = json.dumps(remove_values(kubeconfig(), redaction.kubeconfig_secrets(kubeconfig())))
    for text in VISIBLE:
        assert text in shown
    for secret in SECRETS.values():
        assert secret not in shown


@pytest.mark.parametrize("text", [json.dumps(kubeconfig()), yaml.safe_dump(kubeconfig())], ids=["json", "yaml"])
def test_a_kubeconfig_given_as_text_has_the_same_secrets(text):
    found = redaction.kubeconfig_secrets(text)
    assert set(SECRETS.values()) <= found
    assert text not in found  # each secret is written as it is: the rest of the text stays readable


def test_a_kubeconfig_path_has_no_secret():
    assert redaction.kubeconfig_secrets("/home/alice/.kube/config") == set()
    assert redaction.kubeconfig_secrets(None) == set()


def test_a_secret_the_text_spells_otherwise_makes_the_whole_text_secret():
    text = "users:\n- name: u\n  user:\n    password: 'it''s-9d1f'\n"
    assert text in redaction.kubeconfig_secrets(text)


@pytest.mark.parametrize("secret", ['quote"d-41a2', "back\\slash-6c0e", "accentu\u00e9-77b3", "tab\there-1f5d"])
def test_a_secret_is_hidden_however_an_output_escapes_it(secret):
    config = {"users": [{"name": "u", "user": {"password": secret}}]}
    found = redaction.kubeconfig_secrets(config)
    mark = secret[-4:]
    for shown in (json.dumps(config), json.dumps(config, ensure_ascii=False), str(config)):
        assert mark in shown and mark not in remove_values(shown, found)
    text = json.dumps(config)
    assert mark not in remove_values(text, redaction.kubeconfig_secrets(text))


def test_empty_values_are_no_secret():
    # An empty no_log value would put ******** between every two characters of the output.
    assert "" not in redaction.connection_secrets(
        {"kubeconfig": {"users": [{"name": "u", "user": {"token": "", "password": " "}}]}, "api_key": ""}
    )


@pytest.mark.parametrize(
    "name, secret",
    [
        ("id-token", True),
        ("client-key-data", True),
        ("VAULT_TOKEN", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("apiKey", True),
        ("--client-secret", True),
        ("client-key", False),  # the path of the key file
        ("client-certificate-data", False),
        ("username", False),
        ("AWS_REGION", False),
        ("--bypass-cache", False),
    ],
)
def test_secret_names(name, secret):
    assert redaction.secret_name(name) is secret


def test_connection_options_secrets():
    found = redaction.connection_secrets(
        {
            "api_key": "api-8f00",
            "password": 123456,
            "proxy": "http://user:proxy-41de@proxy:3128",
            "proxy_headers": {"proxy_basic_auth": "user:basic-0a9b", "user_agent": "agent/1"},
            "host": "https://127.0.0.1:6443",
        }
    )
    assert {"api-8f00", "123456", "proxy-41de", "user:basic-0a9b"} <= found
    assert "agent/1" not in found and "https://127.0.0.1:6443" not in found


# The modules, run as Ansible runs them: the secrets are hidden from the invocation that
# AnsibleModule logs and returns, also when it fails on its options, and from failures.

MODULE_ARGS = {"name": "bk", "kubeconfig": kubeconfig(), "_ansible_verbosity": 3}


@pytest.fixture
def logged(monkeypatch):
    """The messages the module sends to syslog."""
    messages = []
    monkeypatch.setattr(basic, "has_journal", False)
    monkeypatch.setattr(basic.AnsibleModule, "_log_to_syslog", lambda self, message: messages.append(message))
    return messages


def run_module(arguments, operation, capsys):
    spec = args.argspec(args.WAIT_ARG_SPEC)
    with patch_module_args(arguments), pytest.raises(SystemExit):
        module.run(spec, operation)
    out = capsys.readouterr().out
    return json.loads(out), out


def assert_hidden(*outputs):
    for output in outputs:
        for secret in SECRETS.values():
            assert secret not in output


def test_a_module_hides_the_secrets_from_its_invocation_and_its_log(capsys, logged):
    result, out = run_module(MODULE_ARGS, lambda api, params, check_mode: {"changed": False, "diff": {}}, capsys)
    assert not result.get("failed")
    shown = result["invocation"]["module_args"]["kubeconfig"]
    assert shown["users"][0]["user"]["token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert shown["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443"
    assert logged and "Invoked with" in logged[0]
    assert_hidden(out, *logged)


def test_a_kubeconfig_path_is_shown(capsys, logged):
    arguments = dict(MODULE_ARGS, kubeconfig="/home/alice/.kube/config")
    result, _out = run_module(arguments, lambda api, params, check_mode: {"changed": False, "diff": {}}, capsys)
    assert result["invocation"]["module_args"]["kubeconfig"] == "/home/alice/.kube/config"


def test_options_refused_by_ansible_fail_with_the_secrets_hidden(capsys, logged):
    result, out = run_module(dict(MODULE_ARGS, timeout="soon"), None, capsys)
    assert result["failed"] and "timeout" in result["msg"]
    assert result["invocation"]["module_args"]["kubeconfig"]["users"][0]["name"] == "token"
    assert_hidden(out)


@pytest.mark.parametrize(
    "error",
    [errors.KubeError("cannot load %s" % SECRETS["token"]), ValueError("bad value %r" % SECRETS["exec env"])],
    ids=["kube", "unexpected"],
)
def test_a_failure_quoting_a_secret_hides_it(error, capsys, logged):
    def operation(api, params, check_mode):
        raise error

    result, out = run_module(MODULE_ARGS, operation, capsys)
    assert result["failed"] and "********" in result["msg"]
    assert_hidden(out)


# The progress display of bk_upgrade and bk_rollback, on the controller.


def action(arguments):
    plugin = progress.ProgressAction.__new__(progress.ProgressAction)
    plugin._task = types.SimpleNamespace(args=arguments)
    plugin._play_context = types.SimpleNamespace(check_mode=False)
    return plugin


def test_the_progress_display_hides_the_secrets(monkeypatch):
    shown = []
    monkeypatch.setattr(progress.display, "display", lambda line, *a, **k: shown.append(line))
    monkeypatch.setattr(progress.display, "vv", lambda line, *a, **k: shown.append(line))
    display = action({"name": "bk", "kubeconfig": kubeconfig()})._progress()
    display.say("progress display stopped: 401 for %s" % SECRETS["token"])

    def refused(params, environ):
        raise errors.KubeError("cannot load (%s)" % SECRETS["password"])

    monkeypatch.setattr(connection, "api_client", refused)
    # The display connects in its own thread, which reports why it shows nothing.
    action({"name": "bk", "kubeconfig": kubeconfig()})._progress()._start()
    assert len(shown) == 2 and all("********" in line for line in shown)
    assert "no progress display" in shown[1]
    assert_hidden(*shown)
