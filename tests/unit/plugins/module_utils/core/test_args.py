"""The checks of option values that Ansible's argument spec cannot express."""

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import args


@pytest.mark.parametrize(
    "given, problem",
    [
        ({"name": ""}, "name '' is not a DNS-1123 subdomain"),
        ({"name": "Bookkeeper"}, "name 'Bookkeeper' is not a DNS-1123 subdomain"),
        ({"name": "bk", "namespace": "team.a"}, "namespace 'team.a' is not a DNS-1123 label"),
        ({"name": "bk", "namespace": "n" * 64}, "at most 63 characters"),
    ],
)
def test_names_kubernetes_would_refuse_are_refused_first(given, problem):
    assert problem in args.check_names(given)


def test_good_names_pass():
    assert args.check_names({"name": "bookkeeper.prod-1", "namespace": "pravega"}) is None


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
