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
