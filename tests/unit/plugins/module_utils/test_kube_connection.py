"""Connection settings resolve as kubernetes.core resolves them; no API server is contacted."""

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils import args, kube

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
    settings = kube.auth_settings(params(host="https://given:6443"), environ)
    assert settings["host"] == "https://given:6443"
    assert settings["api_key"] == "env-token"
    assert settings["validate_certs"] is False
    assert settings["impersonate_groups"] == ["a", "b"]


def test_kubeconfig_as_a_dict_with_a_context():
    client = kube.api_client(params(kubeconfig=KUBECONFIG, context="other"), environ={})
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
    client = kube.api_client(params(), environ=environ)
    assert client.configuration.host == "https://10.0.0.1:6443"
    assert client.configuration.api_key["authorization"] == "Bearer awx-token"
    assert client.configuration.ssl_ca_cert == str(tmp_path / "ca.crt")
    assert client.configuration.verify_ssl is True


def test_basic_auth_impersonation_and_proxy():
    client = kube.api_client(
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
    assert client.default_headers["Impersonate-Group"] == "ops, dev"
    assert "proxy-authorization" in client.configuration.proxy_headers


def test_a_missing_kubeconfig_is_a_clear_error(tmp_path):
    with pytest.raises(kube.KubeError) as failed:
        kube.api_client(params(kubeconfig=str(tmp_path / "absent")), environ={})
    assert "cannot load the Kubernetes connection settings" in str(failed.value)
    assert "K8S_AUTH_KUBECONFIG" in str(failed.value)


def test_api_errors_are_described_for_humans():
    def error(status, body):
        failure = kube.ApiException(status=status, reason="Reason")
        failure.body = body
        return failure

    assert "401 Unauthorized" in str(kube.describe(error(401, "{}"), "reading"))
    forbidden = kube.describe(error(403, '{"message": "pods is forbidden"}'), "listing")
    assert str(forbidden) == "listing: forbidden by the API server (403): pods is forbidden"
    unavailable = kube.describe(error(503, "not json"), "reading")
    assert unavailable.retryable and "retryable" in str(unavailable)
    assert not kube.describe(error(422, "{}"), "writing").retryable
    schema = error(500, '{"message": "failed to create typed patch object: .spec.replicas: expected numeric"}')
    assert not kube.describe(schema, "applying").retryable, "a wrong field type does not go away on a rerun"
    calls = []

    def mistyped():
        calls.append(1)
        raise schema

    with pytest.raises(kube.ApiException):
        kube.retrying("applying", mistyped)
    assert len(calls) == 1, "not retried"


def test_timeouts_are_bounded():
    assert args.check_timeout(0) == "timeout must be between 1 and 86400 seconds, got 0"
    assert args.check_timeout(86401)
    assert args.check_timeout(600) is None


def test_every_module_spec_has_the_shared_connection_and_cluster_options():
    spec = args.argspec(args.WAIT_ARG_SPEC, {"version": {"type": "str"}})
    assert set(args.AUTH_ARG_SPEC) <= set(spec)
    assert spec["name"]["aliases"] == ["cluster"] and spec["namespace"]["default"] == "default"
    assert spec["api_key"]["no_log"] and spec["password"]["no_log"]
    assert spec["wait"]["default"] is True
    spec["name"]["aliases"].append("mutated")
    assert args.argspec()["name"]["aliases"] == ["cluster"]


def test_transient_failures_are_retried_then_reported(monkeypatch):
    monkeypatch.setattr(kube.time, "sleep", lambda seconds: None)
    answers = [kube.ApiException(status=503, reason="busy"), kube.urllib3.exceptions.ProtocolError("reset"), "ok"]

    def flaky():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert kube.retrying("reading", flaky) == "ok"

    def down():
        raise kube.urllib3.exceptions.MaxRetryError(None, "/", "refused")

    with pytest.raises(kube.KubeError) as failed:
        kube.retrying("reading the cluster", down)
    assert failed.value.retryable and "did not answer after 7 attempts" in str(failed.value)

    def busy():
        raise kube.ApiException(status=503, reason="busy")

    with pytest.raises(kube.KubeError) as unavailable:
        kube.retrying("reading", busy)
    assert "HTTP 503" in str(unavailable.value)

    def missing():
        raise kube.ApiException(status=404, reason="Not Found")

    with pytest.raises(kube.ApiException):
        kube.retrying("reading", missing)


def test_a_holder_on_another_host_is_never_presumed_dead():
    assert kube._holder_is_dead("elsewhere/1/x") is False
    assert kube._holder_is_dead("garbage") is False
    assert kube.identity().count("/") == 2
