"""Malformed and forbidden requests, each through a real module run against the real API server.

Every case runs ``ansible localhost -m bookkeeper.ops.<module> -a <arguments>`` as a user would, and
checks three things: the task fails; its message names the problem; and the API server's audit log
shows no create, update, patch or delete sent by the collection (User-Agent bookkeeper-ops) while the
case ran. The module tests' clusters are driven with the least-privilege ServiceAccount
(``operator_kubeconfig``); the cases about credentials bring their own.

The missing-CRD case needs a cluster without the BookkeeperCluster CRD: a second local cluster
(BK_CLUSTER_NAME=bk-bad-input) is started for it, its CRD deleted, and it is removed at the end.
"""

import json
import os
import pathlib
import subprocess
import sys
import uuid

import pytest
import yaml
from kubernetes.client.rest import ApiException

from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.connection import api_client, k8s
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.support import audit, planes
from ansible_collections.bookkeeper.ops.tests.support.clusters import GOOD, MISSING, STABLE, failed_upgrade
from ansible_collections.bookkeeper.ops.tests.support.kubectl import create_namespace
from ansible_collections.bookkeeper.ops.tests.support.processes import kill_tree
from ansible_collections.bookkeeper.ops.tests.support.service_accounts import (
    OPERATOR_NAMESPACE,
    service_account_kubeconfig,
)
from ansible_collections.bookkeeper.ops.tests.support.wait import wait_for

ABSENT_NAMESPACE = "bk-absent-%s" % uuid.uuid4().hex[:6]
CRDLESS = "bk-bad-input"


def run_module(module, arguments, environ):
    """``ansible localhost -vvv -m bookkeeper.ops.<module>``: (parsed result, whole output)."""
    command = [
        os.path.join(os.path.dirname(sys.executable), "ansible"),
        "localhost",
        "-vvv",
        "-m",
        "bookkeeper.ops.%s" % module,
        "-a",
        json.dumps(arguments),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("K8S_AUTH_") and k != "KUBECONFIG"}
    env.update(ANSIBLE_DEPRECATION_WARNINGS="False", ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_NOCOLOR="1")
    env.update(environ)
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=120)
    except subprocess.TimeoutExpired as expired:
        kill_tree(process.pid)  # a module left running would write during the next case
        stdout, stderr = process.communicate()
        raise AssertionError("the module still ran after 120 s: %s" % (stdout + stderr)[-3000:]) from expired
    done = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    output = done.stdout + done.stderr
    marker = "localhost | "
    assert marker in done.stdout, output
    verdict, _arrow, text = done.stdout.split(marker, 1)[1].partition(" => ")
    result = json.loads(text[: text.rindex("}") + 1])
    result["_verdict"] = verdict.strip()
    result["_rc"] = done.returncode
    return result, output


# (id, module, arguments, connection, words the message must contain)
# Arguments name the clusters "healthy" (at STABLE), "failed" (its upgrade failed) and "upgrading"
# (Upgrading True, to GOOD). Connections: "operator" is the least-privilege ServiceAccount; the others
# are built by the ``connection`` fixture below.
CASES = [
    ("version-word", "bk_upgrade", {"name": "healthy", "version": "latest"}, "operator", ["'latest'", "X.Y.Z"]),
    ("version-two-parts", "bk_upgrade", {"name": "healthy", "version": "0.14"}, "operator", ["'0.14'", "X.Y.Z"]),
    ("version-dangling-suffix", "bk_upgrade", {"name": "healthy", "version": "0.14.0-"}, "operator", ["X.Y.Z"]),
    ("version-letters", "bk_upgrade", {"name": "healthy", "version": "0.x.0"}, "operator", ["'0.x.0'", "X.Y.Z"]),
    ("version-empty", "bk_upgrade", {"name": "healthy", "version": ""}, "operator", ["''", "X.Y.Z"]),
    (
        "version-shell",
        "bk_upgrade",
        {"name": "healthy", "version": "0.14.0;rm -rf /"},
        "operator",
        ["not in valid format", "X.Y.Z"],
    ),
    ("version-image-ref", "bk_upgrade", {"name": "healthy", "version": "0.14.0@sha256:00"}, "operator", ["X.Y.Z"]),
    ("version-yaml-float", "bk_upgrade", {"name": "healthy", "version": 0.14}, "operator", ["'0.14'", "X.Y.Z"]),
    ("version-list", "bk_upgrade", {"name": "healthy", "version": ["0.14.0"]}, "operator", ["X.Y.Z"]),
    (
        "rollback-version-word",
        "bk_rollback",
        {"name": "failed", "version": "stable"},
        "operator",
        ["'stable'", "X.Y.Z"],
    ),
    (
        "deploy-version-word",
        "bk_deploy",
        {"name": "newcomer", "spec": {"version": "newest", "replicas": 1}},
        "operator",
        ["'newest'", "X.Y.Z"],
    ),
    (
        "unknown-cluster",
        "bk_upgrade",
        {"name": "nosuch", "version": GOOD},
        "operator",
        ["BookkeeperCluster nosuch not found in namespace"],
    ),
    (
        "unknown-namespace",
        "bk_upgrade",
        {"name": "healthy", "namespace": ABSENT_NAMESPACE, "version": GOOD},
        "operator",
        ["not found in namespace %s" % ABSENT_NAMESPACE],
    ),
    (
        "status-of-unknown-cluster",
        "bk_status",
        {"name": "nosuch"},
        "operator",
        ["BookkeeperCluster nosuch not found"],
    ),
    (
        "missing-crd",
        "bk_upgrade",
        {"name": "healthy", "namespace": "default", "version": GOOD},
        "crdless",
        ["BookkeeperCluster resource type", "not installed", "CRD"],
    ),
    (
        "timeout-negative",
        "bk_upgrade",
        {"name": "healthy", "version": GOOD, "timeout": -1},
        "operator",
        ["timeout must be between 1 and 86400 seconds, got -1"],
    ),
    (
        "timeout-zero",
        "bk_rollback",
        {"name": "failed", "timeout": 0},
        "operator",
        ["timeout must be between 1 and 86400 seconds, got 0"],
    ),
    (
        "timeout-huge",
        "bk_upgrade",
        {"name": "healthy", "version": GOOD, "timeout": 10**12},
        "operator",
        ["timeout must be between 1 and 86400 seconds, got 1000000000000"],
    ),
    (
        "timeout-not-a-number",
        "bk_upgrade",
        {"name": "healthy", "version": GOOD, "timeout": "abc"},
        "operator",
        ["timeout", "unable to convert to int"],
    ),
    (
        "wait-maybe",
        "bk_upgrade",
        {"name": "healthy", "version": GOOD, "wait": "maybe"},
        "operator",
        ["wait", "not a valid boolean"],
    ),
    (
        "health-check-unknown-type",
        "bk_upgrade",
        {"name": "healthy", "version": GOOD, "health_check": {"type": "tcp"}},
        "operator",
        ["health_check", "type", "bookkeeper, http, command", "tcp"],
    ),
    (
        "health-check-http-without-url",
        "bk_upgrade",
        {"name": "healthy", "version": GOOD, "health_check": {"type": "http"}},
        "operator",
        ["health_check", "http", "url"],
    ),
    (
        "health-check-port-not-a-number",
        "bk_rollback",
        {"name": "failed", "health_check": {"type": "bookkeeper", "port": "admin"}},
        "operator",
        ["port", "health_check", "unable to convert to int"],
    ),
    (
        "status-unknown-condition",
        "bk_status",
        {"name": "healthy", "condition": {"type": "Ready", "status": "True"}},
        "operator",
        ["condition", "Upgrading, PodsReady, Error", "Ready"],
    ),
    (
        "misspelt-option",
        "bk_upgrade",
        {"name": "healthy", "version": GOOD, "wiat": False},
        "operator",
        ["Unsupported parameters", "wiat"],
    ),
    ("no-name", "bk_upgrade", {"version": GOOD}, "operator", ["missing required arguments: name"]),
    (
        "rollback-to-older-than-last-stable",
        "bk_rollback",
        {"name": "failed", "version": "0.12.0"},
        "operator",
        ["Rollback to version 0.12.0 not supported", "Only rollback to version %s" % STABLE],
    ),
    (
        "rollback-to-the-failed-version",
        "bk_rollback",
        {"name": "failed", "version": GOOD},
        "operator",
        ["Rollback to version %s not supported" % GOOD, "Only rollback to version %s" % STABLE],
    ),
    (
        "rollback-of-a-healthy-cluster-to-an-older-version",
        "bk_rollback",
        {"name": "healthy", "version": "0.12.0"},
        "operator",
        ["rollback is only allowed after a failed upgrade", "healthy at version %s" % STABLE],
    ),
    (
        "rollback-while-upgrading",
        "bk_rollback",
        {"name": "upgrading"},
        "operator",
        ["rollback is only allowed after a failed upgrade", "upgrading to %s" % GOOD],
    ),
    (
        "upgrade-after-a-failed-upgrade",
        "bk_upgrade",
        {"name": "failed", "version": "0.15.0"},
        "operator",
        ["Only rollback to version %s is supported" % STABLE],
    ),
    (
        "version-change-while-upgrading",
        "bk_upgrade",
        {"name": "upgrading", "version": "0.15.0"},
        "operator",
        ["cluster is upgrading", "to %s" % GOOD],
    ),
    (
        "downgrade",
        "bk_upgrade",
        {"name": "healthy", "version": "0.12.0"},
        "operator",
        ["downgrading the cluster from version %s to 0.12.0 is not supported" % STABLE],
    ),
    (
        "abort-when-not-upgrading",
        "bk_upgrade",
        {"name": "healthy", "abort": True},
        "operator",
        ["there is no upgrade to abort", "not upgrading"],
    ),
    (
        "abort-with-version",
        "bk_upgrade",
        {"name": "upgrading", "abort": True, "version": GOOD},
        "operator",
        ["mutually exclusive", "abort|version"],
    ),
    (
        "abort-with-auto-rollback",
        "bk_upgrade",
        {"name": "upgrading", "abort": True, "auto_rollback": True},
        "operator",
        ["mutually exclusive", "abort|auto_rollback"],
    ),
    (
        "missing-kubeconfig-file",
        "bk_upgrade",
        {"name": "healthy", "version": GOOD, "kubeconfig": "/nonexistent/kubeconfig.yaml"},
        "none",
        ["cannot load the Kubernetes connection settings", "kubeconfig"],
    ),
    (
        "unknown-context",
        "bk_status",
        {"name": "healthy", "context": "no-such-context"},
        "operator",
        ["cannot load the Kubernetes connection settings", "no-such-context"],
    ),
    (
        "no-connection-settings-at-all",
        "bk_status",
        {"name": "healthy"},
        "none",
        ["cannot load the Kubernetes connection settings"],
    ),
    ("bad-token", "bk_upgrade", {"name": "healthy", "version": GOOD}, "bad-token", ["401 Unauthorized", "token"]),
    (
        "forged-token",
        "bk_upgrade",
        {"name": "healthy", "version": GOOD},
        "forged-token",
        ["401 Unauthorized", "token"],
    ),
    (
        "token-of-a-deleted-service-account",
        "bk_rollback",
        {"name": "failed"},
        "revoked-token",
        ["401 Unauthorized", "expired"],
    ),
    (
        "service-account-without-permission",
        "bk_upgrade",
        {"name": "healthy", "version": GOOD},
        "no-permission",
        [
            "forbidden by the API server (403)",
            "bookkeeperclusters",
            "system:serviceaccount:%s:bk-nobody-" % OPERATOR_NAMESPACE,
        ],
    ),
    (
        "impersonation-not-allowed",
        "bk_status",
        {"name": "healthy", "impersonate_user": "system:admin"},
        "operator",
        ["forbidden by the API server (403)", "impersonate"],
    ),
    (
        "version-trailing-space",
        "bk_upgrade",
        {"name": "healthy", "version": GOOD + " "},
        "operator",
        ["'%s '" % GOOD, "X.Y.Z"],
    ),
    (
        "version-not-an-image-tag",
        "bk_upgrade",
        {"name": "healthy", "version": GOOD + "+build.1"},
        "operator",
        ["cannot be an image tag"],
    ),
    (
        "pod-not-a-bookie",
        "bk_upgrade",
        {"name": "healthy", "version": GOOD, "pod": "nosuch-bookie-7"},
        "operator",
        ["pod nosuch-bookie-7 is not a bookie of cluster healthy", "healthy-bookie-0"],
    ),
    ("empty-name", "bk_status", {"name": ""}, "operator", ["name '' is not a DNS-1123 subdomain"]),
    (
        "deploy-spec-wrong-type",
        "bk_deploy",
        {"name": "typo", "spec": {"version": STABLE, "replicas": "three"}},
        "operator",
        ["spec.replicas must be an integer, got 'three'"],
    ),
    (
        "health-check-as-a-word",
        "bk_upgrade",
        {"name": "healthy", "version": GOOD, "health_check": "bookkeeper"},
        "operator",
        ["health_check must be a dictionary of command, port, timeout, type"],
    ),
]


@pytest.fixture(scope="module")
def operator(kubeconfig, kubectl, tmp_path_factory):
    """(kubeconfig, token, user) of a ServiceAccount of this module's own, bound to rbac/bookkeeper-ops.yaml.

    Its own, so that the audit log tells its requests from those of other sessions on the cluster.
    """
    name = "bk-bad-input-%s" % uuid.uuid4().hex[:6]
    path, token = service_account_kubeconfig(
        kubectl, kubeconfig, tmp_path_factory.mktemp("operator") / "kubeconfig.yaml", name, ["bookkeeper-ops"]
    )
    yield path, token, "system:serviceaccount:%s:%s" % (OPERATOR_NAMESPACE, name)
    kubectl("delete", "clusterrolebinding", "%s-%s-bookkeeper-ops" % (OPERATOR_NAMESPACE, name))
    kubectl("delete", "serviceaccount", name, "-n", OPERATOR_NAMESPACE)


@pytest.fixture(scope="module")
def clusters(client, kubectl):
    """A namespace with three clusters: healthy, failed (its upgrade failed) and upgrading."""
    name = create_namespace(kubectl, "bk-bad-input-%s" % uuid.uuid4().hex[:6])
    for cluster in ("healthy", "failed", "upgrading"):
        api = ClusterAPI(client, cluster, name)
        operations.deploy(api, spec={"version": STABLE, "replicas": 2}, options=RolloutOptions(wait=True, timeout=120))
        if cluster == "failed":
            failed_upgrade(api, MISSING)
        if cluster == "upgrading":
            operations.upgrade(
                api, version=GOOD, options=RolloutOptions(wait=False, timeout=60)
            )  # one step: Upgrading True, nothing replaced yet
    yield name
    kubectl("delete", "namespace", name, "--wait=false")


@pytest.fixture(scope="module")
def crdless():
    """A second local control plane without the BookkeeperCluster CRD, removed after the module."""
    with planes.running(planes.Plane(CRDLESS), keep=False) as plane:
        plane.kubectl("delete", "crd", "bookkeeperclusters.bookkeeper.pravega.io", "--ignore-not-found", "--wait=true")
        yield plane


def server_and_ca(kubeconfig):
    cluster = yaml.safe_load(pathlib.Path(kubeconfig).read_text())["clusters"][0]["cluster"]
    return cluster["server"], cluster["certificate-authority"]


def rejected(server, ca, token):
    """True once the API server answers 401 to ``token``."""
    client = api_client({"host": server, "api_key": token, "ca_cert": ca}, environ={})
    try:
        k8s.CoreV1Api(client).list_namespaced_service_account(OPERATOR_NAMESPACE, limit=1)
    except ApiException as error:
        return error.status == 401
    return False


@pytest.fixture(scope="module")
def credentials(kubeconfig, kubectl, operator, tmp_path_factory):
    """The tokens of the credential cases: name -> token."""
    server, ca = server_and_ca(kubeconfig)
    tokens = {"bad-token": "not-a-token-" + uuid.uuid4().hex}
    header, payload, signature = operator[1].split(".")
    flipped = "A" if signature[10] != "A" else "B"
    tokens["forged-token"] = ".".join((header, payload, signature[:10] + flipped + signature[11:]))
    directory = tmp_path_factory.mktemp("credentials")
    nobody = "bk-nobody-%s" % uuid.uuid4().hex[:6]
    _path, tokens["no-permission"] = service_account_kubeconfig(kubectl, kubeconfig, directory / "a.yaml", nobody, [])
    revoked = "bk-revoked-%s" % uuid.uuid4().hex[:6]
    _path, tokens["revoked-token"] = service_account_kubeconfig(kubectl, kubeconfig, directory / "b.yaml", revoked, [])
    kubectl("delete", "serviceaccount", revoked, "-n", OPERATOR_NAMESPACE)
    wait_for("the deleted ServiceAccount's token to be refused", lambda: rejected(server, ca, tokens["revoked-token"]))
    tokens["users"] = {operator[2], "system:serviceaccount:%s:%s" % (OPERATOR_NAMESPACE, nobody)}
    yield tokens
    kubectl("delete", "serviceaccount", nobody, "-n", OPERATOR_NAMESPACE)


@pytest.fixture
def connection(request, operator, kubeconfig, credentials, tmp_path):
    """``connection(kind)``: (environment, extra module arguments, secrets that must not be shown)."""

    def make(kind):
        home = {"HOME": str(tmp_path)}  # no ~/.kube/config to fall back on
        if kind == "operator":
            return dict(home, K8S_AUTH_KUBECONFIG=operator[0]), {}, [operator[1]]
        if kind == "none":
            return home, {}, []
        if kind == "crdless":
            return dict(home, K8S_AUTH_KUBECONFIG=request.getfixturevalue("crdless").kubeconfig), {}, []
        # As AWX's Kubernetes credential passes them: a token on the command line would be shown by
        # ansible itself when an ad hoc task fails (it prints the task's arguments).
        server, ca = server_and_ca(kubeconfig)
        token = credentials[kind]
        return dict(home, K8S_AUTH_HOST=server, K8S_AUTH_API_KEY=token, K8S_AUTH_SSL_CA_CERT=ca), {}, [token]

    return make


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_bad_input_fails_clearly_and_writes_nothing(case, clusters, connection, credentials, kubectl, request):
    _id, module, arguments, kind, words = case
    environ, extra, secrets = connection(kind)
    arguments = dict({"namespace": clusters}, **arguments, **extra)
    if kind == "crdless":
        log, here, namespaces = audit.AuditLog(request.getfixturevalue("crdless").kubectl), "default", {"default"}
    else:
        log, here, namespaces = audit.AuditLog(kubectl), clusters, {clusters, ABSENT_NAMESPACE}
    start = log.settle(here)
    result, output = run_module(module, arguments, environ)
    end = log.settle(here)
    assert result["_verdict"] == "FAILED!" and result["_rc"] != 0, output
    assert result.get("changed") is False, output
    for word in words:
        assert word in result["msg"], "%r not in the message: %s" % (word, result["msg"])
    for secret in secrets:
        assert secret not in output and secret[-16:] not in output, "a token is shown in the output"
    assert end > start

    def ours(entry):
        """In ``namespaces``, or anywhere as this module's users or no authenticated user: sessions sharing the
        cluster write elsewhere, as other users."""
        user = audit.user_of(entry)
        return audit.namespace_of(entry) in namespaces or user in credentials["users"] or not user

    writes = audit.collection_writes(log.requests(start, end))
    assert [audit.described(entry) for entry in writes if ours(entry)] == []
