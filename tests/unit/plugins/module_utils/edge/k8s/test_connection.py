"""Connection settings resolve as kubernetes.core resolves them; no API server is contacted.

test_connection_parity.py runs the same inputs through kubernetes.core itself.
"""

import json
import socket
import ssl
import threading

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import args, errors
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import apply, connection

KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "local", "cluster": {"server": "https://127.0.0.1:6443"}}],
    "users": [{"name": "admin", "user": {"token": "kubeconfig-token"}}],
    "contexts": [
        {"name": "main", "context": {"cluster": "local", "user": "admin"}},
        {"name": "other", "context": {"cluster": "local", "user": "admin", "namespace": "x"}},
    ],
    "current-context": "main",
}


def params(**given):
    values = dict.fromkeys(args.AUTH_ARG_SPEC)
    values.update(given)
    return values


def test_options_win_over_environment_variables():
    environ = {
        "K8S_AUTH_HOST": "https://env:6443",
        "K8S_AUTH_API_KEY": "env-token",
        "K8S_AUTH_VERIFY_SSL": "no",
        "K8S_AUTH_IMPERSONATE_GROUPS": "a, b,",
    }
    settings = connection.auth_settings(params(host="https://given:6443"), environ)
    assert settings["host"] == "https://given:6443"
    assert settings["api_key"] == "env-token"
    assert settings["validate_certs"] is False
    assert settings["impersonate_groups"] == ["a", "b"]


def test_kubeconfig_as_a_dict_with_a_context():
    client = connection.api_client(params(kubeconfig=KUBECONFIG, context="other"), environ={})
    assert client.configuration.host == "https://127.0.0.1:6443"
    assert client.configuration.api_key["authorization"] == "Bearer kubeconfig-token"
    assert client.configuration.verify_ssl is True


def test_host_and_token_from_awx_style_variables_need_no_kubeconfig(tmp_path):
    environ = {
        "K8S_AUTH_HOST": "https://10.0.0.1:6443",
        "K8S_AUTH_API_KEY": "awx-token",
        "K8S_AUTH_SSL_CA_CERT": str(tmp_path / "ca.crt"),
        "K8S_AUTH_VERIFY_SSL": "true",
    }
    client = connection.api_client(params(), environ=environ)
    assert client.configuration.host == "https://10.0.0.1:6443"
    assert client.configuration.api_key["authorization"] == "Bearer awx-token"
    assert client.configuration.ssl_ca_cert == str(tmp_path / "ca.crt")
    assert client.configuration.verify_ssl is True


def test_basic_auth_impersonation_and_proxy():
    client = connection.api_client(
        params(
            host="https://h:6443",
            username="u",
            password="p",
            validate_certs=False,
            proxy="http://proxy:3128",
            no_proxy="10.0.0.0/8",
            impersonate_user="alice",
            impersonate_groups=["ops", "dev"],
            proxy_headers={"proxy_basic_auth": "a:b", "basic_auth": None, "user_agent": "bk"},
        ),
        environ={},
    )
    assert client.configuration.api_key["authorization"].startswith("Basic ")
    assert client.configuration.verify_ssl is False
    assert client.configuration.proxy == "http://proxy:3128"
    assert client.default_headers["Impersonate-User"] == "alice"
    assert client.impersonate_groups == ("ops", "dev")
    assert "proxy-authorization" in client.configuration.proxy_headers


@pytest.fixture
def recording_server():
    """An HTTP server on 127.0.0.1 that answers {} and keeps each request's raw header lines."""
    listener = socket.create_server(("127.0.0.1", 0))
    requests = []

    def serve():
        connection = listener.accept()[0]
        with connection:
            data = b""
            while b"\r\n\r\n" not in data:
                data += connection.recv(65536)
            requests.append(data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")[1:])
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % listener.getsockname()[1], requests
    thread.join(timeout=10)
    listener.close()


def test_each_impersonated_group_goes_on_the_wire_in_a_header_of_its_own(recording_server):
    url, requests = recording_server
    client = connection.api_client(
        params(host=url, api_key="t", impersonate_user="alice", impersonate_groups=["ops", "dev, qa"]), environ={}
    )
    assert apply.send(client, "/api", "GET") == {}
    impersonation = [line for line in requests[0] if line.lower().startswith("impersonate-")]
    assert impersonation == ["Impersonate-User: alice", "Impersonate-Group: ops", "Impersonate-Group: dev, qa"]
    assert "authorization: bearer t" in [line.lower() for line in requests[0]]
    assert client.default_headers.get("Impersonate-Group") is None, "not also in the headers of every client copy"


def test_impersonated_groups_from_the_variable_are_split_at_commas():
    client = connection.api_client(
        params(host="https://h", api_key="t"), environ={"K8S_AUTH_IMPERSONATE_GROUPS": "a, b,"}
    )
    assert client.impersonate_groups == ("a", "b")


@pytest.mark.parametrize(
    "variable, value",
    [
        ("K8S_AUTH_VERIFY_SSL", "tru"),
        ("K8S_AUTH_VERIFY_SSL", "yess"),
        ("K8S_AUTH_VALIDATE_CERTS", "2"),
        ("K8S_AUTH_VALIDATE_CERTS", "disabled"),
        ("K8S_AUTH_PERSIST_CONFIG", "maybe"),
    ],
)
def test_a_boolean_variable_that_is_not_one_is_refused(variable, value):
    with pytest.raises(errors.KubeError) as refused:
        connection.api_client(params(host="https://h", api_key="t"), environ={variable: value})
    assert str(refused.value) == (
        "%s is %r, which is not a boolean: use 1, on, t, true, y, yes for true or 0, f, false, n, no, off for false "
        "(in any letter case)" % (variable, value)
    )
    assert not refused.value.retryable


@pytest.mark.parametrize(
    "value, verify",
    [("y", True), ("Yes", True), ("on", True), ("1", True), (" TRUE ", True), ("t", True)]
    + [("n", False), ("No", False), ("off", False), ("0", False), ("False", False), ("f", False)],
)
def test_tls_verification_follows_ansible_boolean_spellings(value, verify):
    for variable in ("K8S_AUTH_VERIFY_SSL", "K8S_AUTH_VALIDATE_CERTS"):
        client = connection.api_client(params(host="https://h", api_key="t"), environ={variable: value})
        assert client.configuration.verify_ssl is verify
        assert client.rest_client.pool_manager.connection_pool_kw["cert_reqs"] == (
            ssl.CERT_REQUIRED if verify else ssl.CERT_NONE
        )


def test_options_given_as_text_follow_the_rules_of_the_variables():
    # The progress display hands the task's arguments over unconverted.
    assert connection.auth_settings({"validate_certs": "no"}, {})["validate_certs"] is False
    assert connection.auth_settings({"impersonate_groups": "ops, dev"}, {})["impersonate_groups"] == ["ops", "dev"]
    with pytest.raises(errors.KubeError) as refused:
        connection.auth_settings({"validate_certs": "nope"}, {})
    assert str(refused.value).startswith("option validate_certs is 'nope', which is not a boolean")


def test_a_bad_boolean_variable_fails_the_module_before_anything_is_done(monkeypatch):
    from ansible_collections.bookkeeper.ops.plugins.module_utils.edge import module

    class Ended(Exception):
        pass

    class StandIn:
        params = dict(params(host="https://h", api_key="t"), name="bk", namespace="default")
        _diff = False

        def fail_json(self, **result):
            raise Ended(result)

        exit_json = fail_json

    operations = []
    monkeypatch.setenv("K8S_AUTH_VERIFY_SSL", "ture")
    with pytest.raises(Ended) as ended:
        module.execute(StandIn(), operations.append)
    assert ended.value.args[0]["msg"].startswith("K8S_AUTH_VERIFY_SSL is 'ture', which is not a boolean")
    assert operations == []


def test_the_option_name_variable_comes_before_the_client_setting_variable():
    environ = {
        "K8S_AUTH_VALIDATE_CERTS": "true",
        "K8S_AUTH_VERIFY_SSL": "false",
        "K8S_AUTH_CA_CERT": "/ca-a",
        "K8S_AUTH_SSL_CA_CERT": "/ca-b",
        "K8S_AUTH_CLIENT_CERT": "/cert-a",
        "K8S_AUTH_CERT_FILE": "/cert-b",
        "K8S_AUTH_CLIENT_KEY": "/key-a",
        "K8S_AUTH_KEY_FILE": "/key-b",
    }
    configuration = connection.api_client(params(host="https://h"), environ=environ).configuration
    assert (configuration.verify_ssl, configuration.ssl_ca_cert) == (True, "/ca-a")
    assert (configuration.cert_file, configuration.key_file) == ("/cert-a", "/key-a")
    second = ("K8S_AUTH_VERIFY_SSL", "K8S_AUTH_SSL_CA_CERT", "K8S_AUTH_CERT_FILE", "K8S_AUTH_KEY_FILE")
    environ = {name: environ[name] for name in second}
    configuration = connection.api_client(params(host="https://h"), environ=environ).configuration
    assert (configuration.verify_ssl, configuration.ssl_ca_cert) == (False, "/ca-b")
    assert (configuration.cert_file, configuration.key_file) == ("/cert-b", "/key-b")


def test_proxy_headers_come_from_their_variables_unless_given():
    environ = {
        "K8S_AUTH_PROXY_HEADERS_PROXY_BASIC_AUTH": "p:q",
        "K8S_AUTH_PROXY_HEADERS_BASIC_AUTH": "b:c",
        "K8S_AUTH_PROXY_HEADERS_USER_AGENT": "agent",
    }
    headers = connection.api_client(params(host="https://h", api_key="t"), environ=environ).configuration.proxy_headers
    assert headers == connection.urllib3.util.make_headers(proxy_basic_auth="p:q", basic_auth="b:c", user_agent="agent")
    given = params(host="https://h", api_key="t", proxy_headers={"user_agent": "mine"})
    assert connection.api_client(given, environ=environ).configuration.proxy_headers == {"user-agent": "mine"}


def test_a_trailing_slash_is_taken_off_the_host():
    client = connection.api_client(params(host="https://h:6443//", api_key="t"), environ={})
    assert client.configuration.host == "https://h:6443"
    assert connection.auth_settings({}, {"K8S_AUTH_HOST": "https://e:6443/"})["host"] == "https://e:6443"


def test_in_a_pod_without_a_service_account_token_the_kubeconfig_is_used(tmp_path, monkeypatch):
    monkeypatch.setattr(connection.incluster_config, "SERVICE_TOKEN_FILENAME", str(tmp_path / "absent-token"))
    path = tmp_path / "config"
    path.write_text(json.dumps(KUBECONFIG))
    pod = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    client = connection.api_client(params(), environ=dict(pod, KUBECONFIG=str(path)))
    assert client.configuration.host == "https://127.0.0.1:6443"
    assert client.configuration.api_key["authorization"] == "Bearer kubeconfig-token"
    with pytest.raises(errors.KubeError) as failed:
        connection.api_client(params(), environ=dict(pod, KUBECONFIG=str(tmp_path / "absent")))
    assert "the pod's service account is not usable: Service token file does not exist." in str(failed.value)


def test_in_a_pod_with_a_service_account_token_that_account_is_used(tmp_path, monkeypatch):
    (tmp_path / "token").write_text("pod-token")
    (tmp_path / "ca.crt").write_text("not parsed here")
    monkeypatch.setattr(connection.incluster_config, "SERVICE_TOKEN_FILENAME", str(tmp_path / "token"))
    monkeypatch.setattr(connection.incluster_config, "SERVICE_CERT_FILENAME", str(tmp_path / "ca.crt"))
    pod = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443", "KUBECONFIG": "/absent"}
    configuration = connection.api_client(params(), environ=pod).configuration
    assert configuration.host == "https://10.96.0.1:443"
    assert configuration.api_key["authorization"].lower() == "bearer pod-token"
    assert configuration.ssl_ca_cert == str(tmp_path / "ca.crt")


def test_a_missing_kubeconfig_is_a_clear_error(tmp_path):
    with pytest.raises(errors.KubeError) as failed:
        connection.api_client(params(kubeconfig=str(tmp_path / "absent")), environ={})
    assert "cannot load the Kubernetes connection settings" in str(failed.value)
    assert "K8S_AUTH_KUBECONFIG" in str(failed.value)
