"""The Lease's holder: a process of this host that is gone frees the Lease; one of another host never does."""

from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import lease


def test_a_holder_on_another_host_is_never_presumed_dead():
    assert lease.holder_is_dead("elsewhere/1/x") is False
    assert lease.holder_is_dead("garbage") is False
    assert lease.identity().count("/") == 2
