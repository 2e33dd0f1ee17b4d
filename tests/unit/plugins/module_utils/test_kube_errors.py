"""How the adapter answers API errors it cannot avoid, with the API objects stubbed (no server)."""

import datetime
import json
import types

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils import kube

NOW = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.timezone.utc)


def failure(status, message="no", body=None):
    error = kube.ApiException(status=status, reason="Reason")
    error.body = body if body is not None else json.dumps({"message": message})
    return error


def raising(error):
    def call(*args, **kwargs):
        raise error

    return call


@pytest.fixture
def api(monkeypatch):
    monkeypatch.setattr(kube, "RETRY_DELAYS", ())
    cluster = kube.ClusterAPI(kube.k8s.ApiClient(kube.k8s.Configuration()), "bk", "pravega", holder="me/1/x")
    cluster.core = types.SimpleNamespace()
    cluster.custom = types.SimpleNamespace()
    cluster.coordination = types.SimpleNamespace()
    return cluster


@pytest.mark.parametrize(
    "error, outcome",
    [
        (failure(429, "Cannot evict pod as it would violate the pod's disruption budget."), "is blocked by a"),
        (failure(404), ""),
        (failure(409), ""),
        (failure(503, "etcd leader changed"), "eviction of pod bk-bookie-0 failed for now: etcd leader changed"),
        (OSError("connection reset"), "eviction of pod bk-bookie-0 failed for now: connection reset"),
    ],
)
def test_evictions_that_do_not_go_say_why_or_are_taken_as_done(api, error, outcome):
    api.core.create_namespaced_pod_eviction = raising(error)
    answer = api.evict("bk-bookie-0", "uid-0")
    assert (outcome in answer) if outcome else answer == ""


def test_an_eviction_the_server_rejects_is_an_error(api):
    api.core.create_namespaced_pod_eviction = raising(failure(422, "bad eviction"))
    with pytest.raises(kube.KubeError, match="evicting pod pravega/bk-bookie-0: bad eviction"):
        api.evict("bk-bookie-0", "uid-0")


def test_forbidden_writes_name_what_was_attempted(api):
    forbidden = failure(403, "events is forbidden")
    api.core.create_namespaced_event = raising(forbidden)
    api.core.list_namespaced_secret = raising(failure(403, "secrets is forbidden"))
    api.custom.patch_namespaced_custom_object = raising(failure(403, "patch is forbidden"))
    cluster = {"metadata": {"uid": "u", "resourceVersion": "1"}}
    event = {"reason": "Upgrade Error", "message": "m", "type": "Warning"}
    with pytest.raises(kube.KubeError, match="recording event 'Upgrade Error' .* forbidden by the API server"):
        api.emit_event(cluster, event, NOW)
    with pytest.raises(kube.KubeError, match="reading the history of Helm release pravega/bk: forbidden"):
        api.helm_release_records("bk")
    with pytest.raises(kube.KubeError, match="annotating BookkeeperCluster pravega/bk with bookkeeper.ops/abort"):
        api.annotate("bookkeeper.ops/abort", "stop")


def test_pod_proxy_answers_are_passed_on(api, monkeypatch):
    monkeypatch.setattr(api.client, "call_api", raising(failure(503, body=b"error trying to reach service")))
    assert api.proxy_get("bk-bookie-1", 8000, "/x", 2) == (503, "error trying to reach service")
    monkeypatch.setattr(api.client, "call_api", raising(OSError("refused")))
    assert api.proxy_get("bk-bookie-1", 8000, "/x", 2) == (0, "no answer from the API server's pod proxy: refused")


class FakeWatch:
    def __init__(self, error):
        self.error = error

    def __call__(self):
        return self

    def stream(self, *args, **kwargs):
        raise self.error

    def stop(self):
        pass


def test_a_watch_from_a_stale_version_ends_quietly_and_other_failures_say_so(api, monkeypatch):
    api.core.list_namespaced_pod = lambda *args, **kwargs: None
    monkeypatch.setattr(kube.k8s_watch, "Watch", FakeWatch(failure(410, "too old")))
    api.wait_for_change(1)
    assert list(api.watch(lambda **kw: None, "1", 1)) == []
    monkeypatch.setattr(kube.k8s_watch, "Watch", FakeWatch(failure(403, "watch is forbidden")))
    with pytest.raises(kube.KubeError, match="watching the pods of pravega/bk: forbidden"):
        api.wait_for_change(1)
    monkeypatch.setattr(kube.k8s_watch, "Watch", FakeWatch(OSError("reset")))
    monkeypatch.setattr(kube.time, "sleep", lambda seconds: None)
    api.wait_for_change(1)


def lease(holder, version="7"):
    renewed = kube.cond.format_time(NOW)
    return {"metadata": {"resourceVersion": version}, "spec": {"holderIdentity": holder, "renewTime": renewed}}


def test_lease_failures(api):
    api.coordination.read_namespaced_lease = raising(failure(403, "leases is forbidden"))
    with pytest.raises(kube.KubeError, match="reading Lease pravega/bookkeeper-ops-bk: forbidden"):
        api.acquire(NOW)
    # Someone else created the Lease between our read and our create.
    reads = iter([None, lease("other/2/y")])
    api._read_lease = lambda: next(reads)
    api.coordination.create_namespaced_lease = raising(failure(409, "already exists"))
    with pytest.raises(kube.KubeError, match=r"being driven by another run \(other/2/y\)") as held:
        api.acquire(NOW)
    assert held.value.retryable


def test_renew_and_release(api):
    api.lease_renewed = NOW
    api._read_lease = lambda: lease("me/1/x")
    api.coordination.replace_namespaced_lease = raising(failure(403, "update is forbidden"))
    with pytest.raises(kube.KubeError, match="renewing Lease pravega/bookkeeper-ops-bk: forbidden"):
        api.renew(NOW + datetime.timedelta(seconds=kube.LEASE_SECONDS))
    api.coordination.delete_namespaced_lease = raising(failure(404))
    api.release()
    assert api.lease_renewed is None
    api.release()  # not held: nothing to do
    api.lease_renewed = NOW
    api.coordination.delete_namespaced_lease = raising(failure(422, "invalid precondition"))
    with pytest.raises(kube.KubeError, match="releasing Lease pravega/bookkeeper-ops-bk"):
        api.release()
