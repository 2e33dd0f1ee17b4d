"""How the adapter answers API errors it cannot avoid, with the API objects stubbed (no server)."""

import datetime
import json
import types

import pytest
from kubernetes.client.rest import ApiException
from urllib3.exceptions import ReadTimeoutError

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import errors
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import cluster as cluster_module
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection, http_door, lease, watch
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI
from ansible_collections.bookkeeper.ops.tests.support.clock import FakeClock

NOW = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.timezone.utc)


def failure(status, message="no", body=None):
    error = ApiException(status=status, reason="Reason")
    error.body = body if body is not None else json.dumps({"message": message})
    return error


def raising(error):
    def call(*args, **kwargs):
        raise error

    return call


@pytest.fixture
def api():
    cluster = ClusterAPI(connection.k8s.ApiClient(connection.k8s.Configuration()), "bk", "pravega", holder="me/1/x")
    clock = FakeClock(0.0)
    cluster.door.monotonic, cluster.door.sleep = clock, clock.sleep
    cluster.core = types.SimpleNamespace()
    cluster.custom = types.SimpleNamespace()
    cluster.lease.coordination = types.SimpleNamespace()
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
    with pytest.raises(errors.KubeError, match="evicting pod pravega/bk-bookie-0: bad eviction"):
        api.evict("bk-bookie-0", "uid-0")


def test_forbidden_writes_name_what_was_attempted(api):
    forbidden = failure(403, "events is forbidden")
    api.core.create_namespaced_event = raising(forbidden)
    api.core.list_namespaced_secret = raising(failure(403, "secrets is forbidden"))
    api.custom.patch_namespaced_custom_object = raising(failure(403, "patch is forbidden"))
    cluster = {"metadata": {"uid": "u", "resourceVersion": "1"}}
    event = {"reason": "Upgrade Error", "message": "m", "type": "Warning"}
    with pytest.raises(errors.KubeError, match="recording event 'Upgrade Error' .* forbidden by the API server"):
        api.emit_event(cluster, event, NOW)
    with pytest.raises(errors.KubeError, match="reading the history of Helm release pravega/bk: forbidden"):
        api.helm_release_records("bk")
    with pytest.raises(errors.KubeError, match="annotating BookkeeperCluster pravega/bk with bookkeeper.ops/abort"):
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
    api.pods_version = "1"  # as the last observation left it
    pauses = []
    monkeypatch.setattr(cluster_module.time, "sleep", pauses.append)
    monkeypatch.setattr(watch.k8s_watch, "Watch", FakeWatch(failure(410, "too old")))
    api.wait_for_change(1)
    assert pauses == []  # a stale version only ends the wait: the next observation lists afresh
    assert next(api.follow_pods(1, "1"))["type"] == watch.QUIET
    monkeypatch.setattr(watch.k8s_watch, "Watch", FakeWatch(failure(403, "watch is forbidden")))
    with pytest.raises(errors.KubeError, match="watching the pods of pravega/bk: forbidden"):
        api.wait_for_change(1)
    monkeypatch.setattr(watch.k8s_watch, "Watch", FakeWatch(OSError("reset")))
    api.wait_for_change(1)
    assert pauses == [1]  # unanswered: a short back-off rather than a busy loop


class SilentWatch:
    """Watches that each stay silent until their read timeout, recording how they were asked."""

    def __init__(self):
        self.requests = []

    def __call__(self):
        return self

    def stream(self, list_call, *args, **kwargs):
        self.requests.append(kwargs)
        raise ReadTimeoutError(None, "/api/v1/pods", "Read timed out.")

    def stop(self):
        pass


def test_a_silent_watch_ends_quietly_at_its_read_timeout_and_is_opened_again_from_its_version(api, monkeypatch):
    api.core.list_namespaced_pod = lambda *args, **kwargs: None
    silent = SilentWatch()
    monkeypatch.setattr(watch.k8s_watch, "Watch", silent)
    events = api.follow_pods(7, "41")
    assert [next(events)["type"], next(events)["type"]] == [watch.QUIET, watch.QUIET]
    assert [(r["resource_version"], r["timeout_seconds"]) for r in silent.requests] == [("41", 7), ("41", 7)]
    assert silent.requests[0]["_request_timeout"] == (http_door.CONNECT_SECONDS, 7 + http_door.WATCH_MARGIN_SECONDS)


def held_lease(holder, version="7"):
    renewed = cond.format_time(NOW)
    return {"metadata": {"resourceVersion": version}, "spec": {"holderIdentity": holder, "renewTime": renewed}}


def test_lease_failures(api):
    api.lease.coordination.read_namespaced_lease = raising(failure(403, "leases is forbidden"))
    with pytest.raises(errors.KubeError, match="reading Lease pravega/bookkeeper-ops-bk: forbidden"):
        api.acquire(NOW)
    # Someone else created the Lease between our read and our create.
    reads = iter([None, held_lease("other/2/y")])
    api.lease.read = lambda: next(reads)
    api.lease.coordination.create_namespaced_lease = raising(failure(409, "already exists"))
    with pytest.raises(errors.KubeError, match=r"being driven by another run \(other/2/y\)") as held:
        api.acquire(NOW)
    assert held.value.retryable


def test_renew_and_release(api):
    api.lease.renewed = NOW
    api.lease.read = lambda: held_lease("me/1/x")
    api.lease.coordination.replace_namespaced_lease = raising(failure(403, "update is forbidden"))
    with pytest.raises(errors.KubeError, match="renewing Lease pravega/bookkeeper-ops-bk: forbidden"):
        api.renew(NOW + datetime.timedelta(seconds=lease.SECONDS))
    api.lease.coordination.delete_namespaced_lease = raising(failure(404))
    api.release()
    assert api.lease.renewed is None
    api.release()  # not held: nothing to do
    api.lease.renewed = NOW
    api.lease.coordination.delete_namespaced_lease = raising(failure(422, "invalid precondition"))
    with pytest.raises(errors.KubeError, match="releasing Lease pravega/bookkeeper-ops-bk"):
        api.release()


def test_lease_writes_are_retried_and_an_unanswered_one_is_a_retryable_error(api):
    api.lease.read = lambda: None
    answers = [OSError("reset"), None]

    def create(*args, **kwargs):
        answer = answers.pop(0)
        if answer:
            raise answer

    api.lease.coordination.create_namespaced_lease = create
    api.acquire(NOW)
    assert api.lease.renewed == NOW and answers == []
    api.lease.coordination.create_namespaced_lease = raising(OSError("refused"))
    with pytest.raises(
        errors.KubeError, match="taking Lease pravega/bookkeeper-ops-bk: the API server at http://localhost did not"
    ) as down:
        api.acquire(NOW)
    assert down.value.retryable


def test_a_retried_lease_write_that_had_succeeded_is_not_taken_for_another_run(api):
    reads = iter([None, held_lease("me/1/x")])
    api.lease.read = lambda: next(reads)
    api.lease.coordination.create_namespaced_lease = raising(failure(409, "already exists"))
    api.acquire(NOW)
    assert api.lease.renewed == NOW


def test_waiting_for_the_resource_type_looks_again_until_it_is_served_else_says_what_the_server_said(api, monkeypatch):
    answers = iter([failure(404, "the server could not find the requested resource"), None])

    def list_clusters(*args, **kwargs):
        answer = next(answers)
        if answer:
            raise answer
        return {"items": []}

    pauses = []
    monkeypatch.setattr(cluster_module.time, "sleep", pauses.append)
    api.custom.list_namespaced_custom_object = list_clusters
    api.wait_for_type(30)
    assert pauses == [0.2]
    api.custom.list_namespaced_custom_object = raising(failure(404, "the server could not find the resource"))
    with pytest.raises(errors.NotFound) as missing:
        api.wait_for_type(0)
    assert str(missing.value) == (
        "waiting for the BookkeeperCluster resource type to be served: the server could not find the resource "
        "(HTTP 404)"
    )


def test_a_put_through_the_pod_proxy_sends_its_body_as_a_json_object(api, monkeypatch):
    sent = {}

    class Answer:
        status, data = 200, b""

        def getheaders(self):
            return {}

    def request(method, url, **kwargs):
        sent.update(method=method, url=url, body=kwargs.get("body"), headers=kwargs.get("headers"))
        return Answer()

    monkeypatch.setattr(api.client.rest_client, "request", request)
    assert api.proxy_put("bk-bookie-1", 8000, "api/v1/bookie/state/readonly", {"readOnly": True}, 2) == (200, "")
    assert sent["method"] == "PUT"
    assert sent["url"].endswith("/api/v1/namespaces/pravega/pods/bk-bookie-1:8000/proxy/api/v1/bookie/state/readonly")
    # What the client writes on the wire: an object, as BookKeeper reads it (a str would go as a JSON string).
    assert json.dumps(sent["body"]) == '{"readOnly": true}'
    assert sent["headers"]["Content-Type"] == "application/json"
