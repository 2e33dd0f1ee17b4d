"""The modules' entry points: options are parsed and checked before any connection is made."""

import json

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import http_door
from ansible_collections.bookkeeper.ops.plugins.modules import bk_deploy, bk_rollback, bk_status, bk_upgrade
from ansible_collections.bookkeeper.ops.tests.support.older_cores import patch_module_args


def run_main(main, arguments, capsys):
    with patch_module_args(arguments), pytest.raises(SystemExit):
        main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("timeout", [0, -5, 86401])
def test_out_of_range_timeouts_are_refused(timeout, capsys):
    result = run_main(bk_upgrade.main, {"name": "bk", "version": "0.14.0", "timeout": timeout}, capsys)
    assert result["failed"] and result["msg"] == "timeout must be between 1 and 86400 seconds, got %d" % timeout


def test_a_malformed_version_is_refused_with_the_allowed_form(capsys):
    result = run_main(
        bk_upgrade.main,
        {
            "name": "bk",
            "version": "latest",
            "kubeconfig": {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "c",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
            },
        },
        capsys,
    )
    assert result["failed"] and result["refused"] and "X.Y.Z" in result["msg"]


@pytest.mark.parametrize(
    "main, arguments, problem",
    [
        (
            bk_status.main,
            {"name": "bk", "condition": {"type": "Ready", "status": "True"}},
            "Upgrading, PodsReady, Error, RollbackInProgress, HealthCheckFailing, got: Ready found in condition",
        ),
        (bk_status.main, {}, "name"),
        (bk_rollback.main, {"name": "bk", "wait": "maybe"}, "wait"),
        (bk_deploy.main, {"name": "bk"}, "spec"),
    ],
)
def test_wrong_options_are_refused_naming_the_option(main, arguments, problem, capsys):
    result = run_main(main, arguments, capsys)
    assert result["failed"] and problem in result["msg"]


def test_an_unreachable_cluster_is_a_retryable_failure(capsys, monkeypatch):
    monkeypatch.setattr(http_door, "WINDOW_SECONDS", 1.0)
    result = run_main(
        bk_status.main,
        {"name": "bk", "host": "https://127.0.0.1:9", "api_key": "secret-token", "validate_certs": False},
        capsys,
    )
    assert result["failed"] and result["retryable"]
    assert "did not answer" in result["msg"]
    assert "secret-token" not in json.dumps(result)
