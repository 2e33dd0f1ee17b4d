from ansible_collections.bookkeeper.ops.plugins.module_utils.core import pods
from ansible_collections.bookkeeper.ops.tests.support.factories import pod


def test_pods_are_ordered_by_numeric_ordinal():
    names = ["bk-bookie-10", "bk-bookie-2", "bk-bookie-1", "bk-bookie-0"]
    ordered = pods.by_ordinal([pod(name, "0.13.0") for name in names])
    assert [pods.name(p) for p in ordered] == ["bk-bookie-0", "bk-bookie-1", "bk-bookie-2", "bk-bookie-10"]


def test_a_name_without_ordinal_sorts_first():
    assert pods.ordinal(pod("odd", "0.13.0")) == -1


def test_readiness_version_and_termination():
    ready = pod("bk-bookie-0", "0.13.0")
    assert pods.is_ready(ready) and pods.version(ready) == "0.13.0"
    assert pods.image(ready) == "pravega/bookkeeper:0.13.0"
    going = pod("bk-bookie-0", "0.13.0", terminating=True)
    assert pods.is_terminating(going) and not pods.is_ready(going)
    assert not pods.is_ready({"metadata": {"name": "x"}, "status": {}})
    assert pods.version({"metadata": {}}) == ""
