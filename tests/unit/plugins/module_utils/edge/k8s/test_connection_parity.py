"""Each connection option and K8S_AUTH_* variable, through connection.api_client and through kubernetes.core.

kubernetes.core comes from the ansible package pinned in requirements/reference.txt, which `make unit`
installs into build/reference. Its client creation is run up to the kubernetes ApiClient (its dynamic client
on top would ask the server for its API groups). Each row says what our client sends and is configured with;
where kubernetes.core deliberately does otherwise, the row says what kubernetes.core does instead.
"""

import json
import pathlib
import ssl
import sys
import types

import certifi
import kubernetes
import pytest
import urllib3

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import args, errors
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection

REFERENCE = pathlib.Path(__file__).resolve().parents[6] / "build" / "reference"


@pytest.fixture(scope="module")
def reference():
    """kubernetes.core's client and argument modules; a missing reference fails the run rather than skipping."""
    collection = REFERENCE / "ansible_collections" / "kubernetes" / "core"
    assert collection.is_dir(), "kubernetes.core is missing from %s: run make unit" % REFERENCE
    # Appended: ansible_collections is a namespace package, and bookkeeper.ops must still come from build/links.
    sys.path.append(str(REFERENCE))
    from ansible_collections.kubernetes.core.plugins.module_utils import args_common
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s import client

    assert pathlib.Path(client.__file__).is_relative_to(collection)
    yield types.SimpleNamespace(client=client, args_common=args_common)
    sys.path.remove(str(REFERENCE))


def kubeconfig(name):
    """A kubeconfig whose current context ``name`` and context ``name-admin`` each name their own server and token."""
    contexts = (name, name + "-admin")
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": name,
        "clusters": [
            {"name": c, "cluster": {"server": "https://%s:6443" % c, "tls-server-name": "%s.example" % c}}
            for c in contexts
        ],
        "users": [{"name": c, "user": {"token": "%s-token" % c}} for c in contexts],
        "contexts": [{"name": c, "context": {"cluster": c, "user": c}} for c in contexts],
    }


# What a client sends and is configured with when only ~/.kube/config is there.
HOME = {
    "host": "https://home:6443",
    "tls_server_name": "home.example",
    "authorization": "Bearer home-token",
    "cert_reqs": ssl.CERT_REQUIRED,
    "ssl_ca_cert": None,
    "cert_file": None,
    "key_file": None,
    "proxy": None,
    "no_proxy": None,
    "proxy_headers": None,
    "impersonation": [],
}
# The same with the kubeconfig not read.
NO_KUBECONFIG = dict(HOME, tls_server_name=None, authorization=None)
OPT = {"host": "https://opt:6443", "api_key": "opt-token"}
OPT_SENT = dict(NO_KUBECONFIG, host="https://opt:6443", authorization="Bearer opt-token")
ENV_HOST = {"K8S_AUTH_HOST": "https://env:6443", "K8S_AUTH_API_KEY": "env-token"}
OTHER = dict(HOME, host="https://other:6443", tls_server_name="other.example", authorization="Bearer other-token")
OTHER_ADMIN = dict(
    HOME,
    host="https://other-admin:6443",
    tls_server_name="other-admin.example",
    authorization="Bearer other-admin-token",
)
HOME_ADMIN = dict(
    HOME, host="https://home-admin:6443", tls_server_name="home-admin.example", authorization="Bearer home-admin-token"
)
POD = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
INSECURE = dict(OPT_SENT, cert_reqs=ssl.CERT_NONE)
BOOLEAN_ERROR = "%s is %r, which is not a boolean"
SAME = {}

# (row id, options, variables, what our client does (or the start of its error), what kubernetes.core does otherwise)
# In variables, "{other}" stands for the path of a kubeconfig file made by kubeconfig("other").
TABLE = [
    ("nothing given: ~/.kube/config", {}, {}, HOME, SAME),
    ("KUBECONFIG", {}, {"KUBECONFIG": "{other}"}, OTHER, SAME),
    ("kubeconfig path", {"kubeconfig": "{other}"}, {}, OTHER, SAME),
    ("kubeconfig dict", {"kubeconfig": kubeconfig("other")}, {}, OTHER, SAME),
    ("K8S_AUTH_KUBECONFIG", {}, {"K8S_AUTH_KUBECONFIG": "{other}"}, OTHER, SAME),
    (
        "kubeconfig wins over K8S_AUTH_KUBECONFIG",
        {"kubeconfig": "{other}"},
        {"K8S_AUTH_KUBECONFIG": "/absent"},
        OTHER,
        SAME,
    ),
    ("context", {"context": "home-admin"}, {}, HOME_ADMIN, SAME),
    ("K8S_AUTH_CONTEXT", {}, {"K8S_AUTH_CONTEXT": "home-admin"}, HOME_ADMIN, SAME),
    ("kubeconfig and context", {"kubeconfig": "{other}", "context": "other-admin"}, {}, OTHER_ADMIN, SAME),
    ("host and api_key: no kubeconfig", OPT, {}, OPT_SENT, SAME),
    (
        "K8S_AUTH_HOST and K8S_AUTH_API_KEY",
        {},
        ENV_HOST,
        dict(OPT_SENT, host="https://env:6443", authorization="Bearer env-token"),
        SAME,
    ),
    ("options win over variables", OPT, ENV_HOST, OPT_SENT, SAME),
    # A kubeconfig with a token, or a pod's service account, writes its server and token back before each
    # request; kubernetes.core then sends to that server with that token, whatever the options say.
    (
        "host with the kubeconfig's token",
        {"host": "https://opt:6443"},
        {},
        dict(HOME, host="https://opt:6443"),
        {"host": "https://home:6443"},
    ),
    (
        "api_key with the kubeconfig's server",
        {"kubeconfig": "{other}", "api_key": "mine"},
        {},
        dict(OTHER, authorization="Bearer mine"),
        {"authorization": "Bearer other-token"},
    ),
    (
        "in a pod: api_key with the pod's server",
        {"api_key": "mine"},
        dict(POD, token="pod-token"),
        dict(NO_KUBECONFIG, host="https://10.96.0.1:443", authorization="Bearer mine", ssl_ca_cert="{ca}"),
        {"authorization": "Bearer pod-token"},
    ),
    ("host with a trailing slash", {"host": "https://opt:6443/", "api_key": "opt-token"}, {}, OPT_SENT, SAME),
    (
        "K8S_AUTH_HOST with a trailing slash",
        {},
        dict(ENV_HOST, K8S_AUTH_HOST="https://env:6443//"),
        dict(OPT_SENT, host="https://env:6443", authorization="Bearer env-token"),
        SAME,
    ),
    # kubernetes.core leaves username and password to the kubernetes client, which sends nothing from them.
    (
        "username and password",
        {"host": "https://opt:6443", "username": "u", "password": "p"},
        {},
        dict(NO_KUBECONFIG, host="https://opt:6443", authorization="Basic dTpw"),
        {"authorization": None},
    ),
    (
        "K8S_AUTH_USERNAME and K8S_AUTH_PASSWORD",
        {"host": "https://opt:6443"},
        {"K8S_AUTH_USERNAME": "u", "K8S_AUTH_PASSWORD": "p"},
        dict(NO_KUBECONFIG, host="https://opt:6443", authorization="Basic dTpw"),
        {"authorization": None},
    ),
    ("validate_certs false", dict(OPT, validate_certs=False), {}, INSECURE, SAME),
    (
        "validate_certs wins over K8S_AUTH_VALIDATE_CERTS",
        dict(OPT, validate_certs=True),
        {"K8S_AUTH_VALIDATE_CERTS": "false"},
        OPT_SENT,
        SAME,
    ),
    ("K8S_AUTH_VALIDATE_CERTS", OPT, {"K8S_AUTH_VALIDATE_CERTS": "false"}, INSECURE, SAME),
    ("K8S_AUTH_VERIFY_SSL", OPT, {"K8S_AUTH_VERIFY_SSL": "no"}, INSECURE, SAME),
    (
        "K8S_AUTH_VALIDATE_CERTS before K8S_AUTH_VERIFY_SSL",
        OPT,
        {"K8S_AUTH_VALIDATE_CERTS": "true", "K8S_AUTH_VERIFY_SSL": "0"},
        OPT_SENT,
        SAME,
    ),
    ("K8S_AUTH_VERIFY_SSL=y", OPT, {"K8S_AUTH_VERIFY_SSL": "y"}, OPT_SENT, SAME),
    ("K8S_AUTH_VERIFY_SSL=On", OPT, {"K8S_AUTH_VERIFY_SSL": "On"}, OPT_SENT, SAME),
    ("K8S_AUTH_VERIFY_SSL empty", OPT, {"K8S_AUTH_VERIFY_SSL": ""}, OPT_SENT, SAME),
    # Ansible's boolean rules: n, f and off are false; kubernetes.core takes only 0, false and no as false.
    ("K8S_AUTH_VERIFY_SSL=n", OPT, {"K8S_AUTH_VERIFY_SSL": "n"}, INSECURE, {"cert_reqs": ssl.CERT_REQUIRED}),
    (
        "K8S_AUTH_VALIDATE_CERTS=off",
        OPT,
        {"K8S_AUTH_VALIDATE_CERTS": "off"},
        INSECURE,
        {"cert_reqs": ssl.CERT_REQUIRED},
    ),
    # Not a boolean: refused, where kubernetes.core verifies.
    (
        "K8S_AUTH_VERIFY_SSL=ture",
        OPT,
        {"K8S_AUTH_VERIFY_SSL": "ture"},
        BOOLEAN_ERROR % ("K8S_AUTH_VERIFY_SSL", "ture"),
        OPT_SENT,
    ),
    (
        "K8S_AUTH_VALIDATE_CERTS=2",
        OPT,
        {"K8S_AUTH_VALIDATE_CERTS": "2"},
        BOOLEAN_ERROR % ("K8S_AUTH_VALIDATE_CERTS", "2"),
        OPT_SENT,
    ),
    (
        "K8S_AUTH_PERSIST_CONFIG=maybe",
        OPT,
        {"K8S_AUTH_PERSIST_CONFIG": "maybe"},
        BOOLEAN_ERROR % ("K8S_AUTH_PERSIST_CONFIG", "maybe"),
        OPT_SENT,
    ),
    ("persist_config", dict(OPT, persist_config=True), {"K8S_AUTH_PERSIST_CONFIG": "yes"}, OPT_SENT, SAME),
    ("ca_cert", dict(OPT, ca_cert="/ca"), {}, dict(OPT_SENT, ssl_ca_cert="/ca"), SAME),
    ("K8S_AUTH_CA_CERT", OPT, {"K8S_AUTH_CA_CERT": "/ca"}, dict(OPT_SENT, ssl_ca_cert="/ca"), SAME),
    ("K8S_AUTH_SSL_CA_CERT", OPT, {"K8S_AUTH_SSL_CA_CERT": "/ca"}, dict(OPT_SENT, ssl_ca_cert="/ca"), SAME),
    (
        "K8S_AUTH_CA_CERT before K8S_AUTH_SSL_CA_CERT",
        OPT,
        {"K8S_AUTH_CA_CERT": "/ca", "K8S_AUTH_SSL_CA_CERT": "/x"},
        dict(OPT_SENT, ssl_ca_cert="/ca"),
        SAME,
    ),
    (
        "ca_cert wins over K8S_AUTH_CA_CERT",
        dict(OPT, ca_cert="/ca"),
        {"K8S_AUTH_CA_CERT": "/x"},
        dict(OPT_SENT, ssl_ca_cert="/ca"),
        SAME,
    ),
    (
        "client_cert and client_key: no kubeconfig",
        {"host": "https://opt:6443", "client_cert": "/c", "client_key": "/k"},
        {},
        dict(NO_KUBECONFIG, host="https://opt:6443", cert_file="/c", key_file="/k"),
        SAME,
    ),
    ("client_cert alone keeps the kubeconfig", {"client_cert": "/c"}, {}, dict(HOME, cert_file="/c"), SAME),
    (
        "K8S_AUTH_CLIENT_CERT and K8S_AUTH_CLIENT_KEY",
        {"host": "https://opt:6443"},
        {"K8S_AUTH_CLIENT_CERT": "/c", "K8S_AUTH_CLIENT_KEY": "/k"},
        dict(NO_KUBECONFIG, host="https://opt:6443", cert_file="/c", key_file="/k"),
        SAME,
    ),
    (
        "K8S_AUTH_CERT_FILE and K8S_AUTH_KEY_FILE",
        OPT,
        {"K8S_AUTH_CERT_FILE": "/c", "K8S_AUTH_KEY_FILE": "/k"},
        dict(OPT_SENT, cert_file="/c", key_file="/k"),
        SAME,
    ),
    (
        "K8S_AUTH_CLIENT_* before K8S_AUTH_*_FILE",
        OPT,
        {
            "K8S_AUTH_CLIENT_CERT": "/c",
            "K8S_AUTH_CERT_FILE": "/x",
            "K8S_AUTH_CLIENT_KEY": "/k",
            "K8S_AUTH_KEY_FILE": "/y",
        },
        dict(OPT_SENT, cert_file="/c", key_file="/k"),
        SAME,
    ),
    (
        "proxy and no_proxy",
        dict(OPT, proxy="http://p:3128", no_proxy="10.0.0.0/8"),
        {},
        dict(OPT_SENT, proxy="http://p:3128", no_proxy="10.0.0.0/8"),
        SAME,
    ),
    (
        "K8S_AUTH_PROXY and K8S_AUTH_NO_PROXY",
        OPT,
        {"K8S_AUTH_PROXY": "http://p:3128", "K8S_AUTH_NO_PROXY": ".local"},
        dict(OPT_SENT, proxy="http://p:3128", no_proxy=".local"),
        SAME,
    ),
    (
        "proxy_headers",
        dict(OPT, proxy_headers={"proxy_basic_auth": "a:b", "basic_auth": None, "user_agent": "ua"}),
        {},
        dict(OPT_SENT, proxy_headers={"proxy-authorization": "Basic YTpi", "user-agent": "ua"}),
        SAME,
    ),
    (
        "K8S_AUTH_PROXY_HEADERS_*",
        OPT,
        {
            "K8S_AUTH_PROXY_HEADERS_PROXY_BASIC_AUTH": "a:b",
            "K8S_AUTH_PROXY_HEADERS_BASIC_AUTH": "c:d",
            "K8S_AUTH_PROXY_HEADERS_USER_AGENT": "ua",
        },
        dict(
            OPT_SENT,
            proxy_headers={"proxy-authorization": "Basic YTpi", "authorization": "Basic Yzpk", "user-agent": "ua"},
        ),
        SAME,
    ),
    (
        "proxy_headers win over K8S_AUTH_PROXY_HEADERS_*",
        dict(OPT, proxy_headers={"user_agent": "ua"}),
        {"K8S_AUTH_PROXY_HEADERS_PROXY_BASIC_AUTH": "a:b"},
        dict(OPT_SENT, proxy_headers={"user-agent": "ua"}),
        SAME,
    ),
    (
        "impersonate_user and impersonate_groups",
        dict(OPT, impersonate_user="alice", impersonate_groups=["ops", "dev"]),
        {},
        dict(
            OPT_SENT,
            impersonation=[("impersonate-user", "alice"), ("impersonate-group", "ops"), ("impersonate-group", "dev")],
        ),
        SAME,
    ),
    (
        "K8S_AUTH_IMPERSONATE_USER and K8S_AUTH_IMPERSONATE_GROUPS",
        OPT,
        {"K8S_AUTH_IMPERSONATE_USER": "alice", "K8S_AUTH_IMPERSONATE_GROUPS": "ops, dev"},
        dict(
            OPT_SENT,
            impersonation=[("impersonate-user", "alice"), ("impersonate-group", "ops"), ("impersonate-group", "dev")],
        ),
        SAME,
    ),
    (
        "impersonate_groups win over K8S_AUTH_IMPERSONATE_GROUPS",
        dict(OPT, impersonate_groups=["ops"]),
        {"K8S_AUTH_IMPERSONATE_GROUPS": "x,y"},
        dict(OPT_SENT, impersonation=[("impersonate-group", "ops")]),
        SAME,
    ),
    ("in a pod without a service-account token: KUBECONFIG", {}, dict(POD, KUBECONFIG="{other}"), OTHER, SAME),
    ("in a pod without a service-account token: ~/.kube/config", {}, POD, HOME, SAME),
    (
        "in a pod: the service account",
        {},
        dict(POD, KUBECONFIG="{other}", token="pod-token"),
        dict(NO_KUBECONFIG, host="https://10.96.0.1:443", authorization="Bearer pod-token", ssl_ca_cert="{ca}"),
        SAME,
    ),
    ("in a pod, host and api_key: no service account", OPT, dict(POD, token="pod-token"), OPT_SENT, SAME),
]


class Recorder:
    """Stands for the client's urllib3 pool manager: keeps the headers of the request it is given."""

    status = 200

    def __init__(self):
        self.headers = None

    def request(self, method, url, headers=None, **ignored):
        self.headers = urllib3.HTTPHeaderDict(headers)
        return self


def observe(api):
    """What ``api`` sends on a request, and the TLS settings of its connections."""
    tls = api.rest_client.pool_manager.connection_pool_kw
    api.rest_client.pool_manager = recorder = Recorder()
    api.call_api("/version", "GET", auth_settings=["BearerToken"], _preload_content=False, _return_http_data_only=True)
    # str(): kubernetes.core names its group headers with a str subclass that compares by identity.
    sent = [(str(name).lower(), value) for name, value in recorder.headers.items()]
    configuration = api.configuration
    return {
        "host": configuration.host,
        "tls_server_name": configuration.tls_server_name,
        # The kubeconfig loader writes "bearer", the options "Bearer": the server takes either.
        "authorization": next((v.replace("bearer ", "Bearer ") for n, v in sent if n == "authorization"), None),
        "cert_reqs": tls["cert_reqs"],
        "ssl_ca_cert": None if tls["ca_certs"] == certifi.where() else tls["ca_certs"],
        "cert_file": tls["cert_file"],
        "key_file": tls["key_file"],
        "proxy": configuration.proxy,
        "no_proxy": configuration.no_proxy,
        "proxy_headers": configuration.proxy_headers or None,
        # As the server reads them: the blanks around a header value are not part of it.
        "impersonation": [(n, v.strip()) for n, v in sent if n.startswith("impersonate-")],
    }


class StandIn:
    """The little of an AnsibleModule that kubernetes.core's client creation reads."""

    def __init__(self, params):
        self.params = params

    def requires(self, *ignored):
        pass


def reference_client(reference, params):
    client = reference.client
    module = StandIn(params)
    configuration = client._create_configuration(client._create_auth_spec(module))
    api = kubernetes.client.ApiClient(configuration)
    for header, value in client._create_headers(module).items():
        client._set_header(api, header, value)
    return api


@pytest.fixture
def place(tmp_path, monkeypatch):
    """A home with ~/.kube/config, another kubeconfig, no K8S_AUTH_* variables, and no pod unless a row says so."""
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    (home / ".kube" / "config").write_text(json.dumps(kubeconfig("home")))
    other = tmp_path / "other"
    other.write_text(json.dumps(kubeconfig("other")))
    for name in list(connection.os.environ):
        if name.startswith(("K8S_AUTH_", "KUBERNETES_")) or name == "KUBECONFIG":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    # kubernetes.core reads the kubeconfig named by KUBECONFIG when the kubernetes package was imported.
    monkeypatch.setattr(
        kubernetes.config.kube_config,
        "KUBE_CONFIG_DEFAULT_LOCATION",
        connection.os.environ.get("KUBECONFIG", "~/.kube/config"),
    )
    # kubernetes.core loads into the process-wide default configuration: start each row from none.
    monkeypatch.setattr(kubernetes.client.Configuration, "_default", None)
    incluster = kubernetes.config.incluster_config
    monkeypatch.setattr(incluster, "SERVICE_TOKEN_FILENAME", str(tmp_path / "token"))
    monkeypatch.setattr(incluster, "SERVICE_CERT_FILENAME", str(tmp_path / "ca.crt"))
    (tmp_path / "ca.crt").write_text("not read before a connection")
    return {"{other}": str(other), "{ca}": str(tmp_path / "ca.crt"), "token": tmp_path / "token"}


def filled(value, place):
    if isinstance(value, dict):
        return {key: filled(item, place) for key, item in value.items()}
    return place.get(value, value) if isinstance(value, str) else value


@pytest.mark.parametrize("options, variables, ours, theirs", [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_each_option_and_variable_configures_the_client_as_kubernetes_core_does(
    reference, place, monkeypatch, options, variables, ours, theirs
):
    variables = filled(variables, place)
    token = variables.pop("token", None)
    if token:
        place["token"].write_text(token)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    if "KUBECONFIG" in variables:
        monkeypatch.setattr(kubernetes.config.kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", variables["KUBECONFIG"])
    params = dict.fromkeys(args.AUTH_ARG_SPEC)
    params.update(filled(options, place))
    expected = filled(ours, place)
    if isinstance(expected, str):
        with pytest.raises(errors.KubeError) as refused:
            connection.api_client(params)
        assert str(refused.value).startswith(expected)
        assert observe(reference_client(reference, params)) == filled(theirs, place)
        return
    assert observe(connection.api_client(params)) == expected
    assert observe(reference_client(reference, params)) == dict(expected, **filled(theirs, place))


def test_options_aliases_and_suboptions_are_kubernetes_core_s(reference):
    args_common = reference.args_common

    def shape(spec):
        return {
            name: (option.get("type", "str"), sorted(option.get("aliases", [])), shape(option.get("options", {})))
            for name, option in spec.items()
        }

    assert shape(args.AUTH_ARG_SPEC) == shape(args_common.AUTH_ARG_SPEC)
    # Each option with a differently named client setting is also read from that setting's variable.
    for setting, option in args_common.AUTH_ARG_MAP.items():
        if option == "proxy_headers":
            continue
        expected = ["K8S_AUTH_%s" % option.upper()] + (["K8S_AUTH_%s" % setting.upper()] if setting != option else [])
        assert list(args.AUTH_ENV[option]) == expected
