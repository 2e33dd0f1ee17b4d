"""Data-plane mode: its rules (core/data_plane.py), driven through the runner over a fake cluster and fake bookies."""

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import data_plane, resource
from ansible_collections.bookkeeper.ops.plugins.module_utils.core.errors import RunFailed
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations, runner
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.support.fake_api import FakeAPI
from ansible_collections.bookkeeper.ops.tests.support.fake_bookkeeper import FakeBookKeeper

MODE = {"ensemble_size": 3, "accept_write_stall": False, "read_only_seconds": 30, "port": 8000, "timeout": 10}


def bookies(replicas=4, extra=0, **fake):
    api = FakeAPI("0.13.0", replicas=replicas)
    api.bookkeeper = FakeBookKeeper(api, extra=extra, **fake)
    return api


def upgrade(api, version="0.14.0", wait=True, mode="on", **options):
    """The upgrade in data-plane mode with MODE ("on"), another ``mode``, or the plain one (None)."""
    mode = MODE if mode == "on" else mode
    return operations.upgrade(
        api,
        version=version,
        options=RolloutOptions(wait=wait, timeout=3600, data_plane=mode, **options),
        clock=api.clock,
        monotonic=api.monotonic,
    )


def changes(api):
    """The run's changes to the bookies and pods, in order: ("put", pod, what) and ("evict", pod)."""
    shown = []
    for write in api.writes:
        if write[0] == "put":
            shown.append(("put", write[1], "%s=%s" % (write[2].split("/")[-1], list(write[3].values())[0])))
        elif write[0] == "evict":
            shown.append(("evict", write[1]))
    return shown


def stopped_once_bookie_0_is_read_only():
    """Fake bookies whose upgrade ran one look at a time and stopped once it set bookie 0 read-only."""
    api = bookies()
    for _look in range(6):
        upgrade(api, wait=False)
        if api.bookkeeper.read_only:
            break
    assert api.bookkeeper.read_only == {"bk-bookie-0"} and api.bookkeeper.autorecovery is False
    return api


def test_each_bookie_goes_read_only_before_it_goes_and_autorecovery_is_paused_for_the_whole_rollout():
    api = bookies()
    result = upgrade(api)
    assert changes(api) == [
        ("put", "bk-bookie-3", "status=False"),
        ("put", "bk-bookie-0", "readonly=True"),
        ("evict", "bk-bookie-0"),
        ("put", "bk-bookie-1", "readonly=True"),
        ("evict", "bk-bookie-1"),
        ("put", "bk-bookie-2", "readonly=True"),
        ("evict", "bk-bookie-2"),
        ("put", "bk-bookie-3", "readonly=True"),
        ("evict", "bk-bookie-3"),
        ("put", "bk-bookie-3", "status=True"),
    ]
    assert api.bookkeeper.autorecovery is True and not api.bookkeeper.read_only
    assert "dataPlane" not in api.fake.cr["status"]
    assert result["cluster"]["current_version"] == "0.14.0" and result["cluster"]["data_plane"] == {}
    steps = [step["step"] for step in result["steps"]]
    assert steps.count(data_plane.SET_READ_ONLY) == 4 and steps[-3:-1] == [data_plane.RESUME_AUTORECOVERY, "complete"]
    replaced = [step["message"] for step in result["steps"] if step["step"] == "replace_pod"]
    assert replaced[0] == "replacing pod bk-bookie-0 (0.13.0 -> 0.14.0), read-only"
    # Read-only, each goes within data_plane.shutdown_seconds rather than its pod's grace period.
    assert api.graces == [2, 2, 2, 2]


def test_a_bookie_is_not_taken_down_while_the_others_would_not_cover_the_ensemble():
    api = bookies(replicas=3)
    for _look in range(4):
        upgrade(api, wait=False)
    assert [change for change in changes(api) if change[0] == "evict"] == []
    [held] = [c for c in api.fake.cr["status"]["conditions"] if c["type"] == cond.HEALTH_CHECK_FAILING]
    assert (held["status"], held["reason"]) == ("True", data_plane.WRITERS_WOULD_STALL)
    assert held["message"] == (
        "writers would stall: with bk-bookie-0 gone, 2 writable bookies are left (bk-bookie-1, bk-bookie-2), fewer "
        "than the largest ensemble in use, 3; wait for a bookie to return or add one, or set "
        "data_plane.accept_write_stall to replace it anyway"
    )
    api.bookkeeper.extra = ["outside-0"]  # a bookie returns
    upgrade(api)
    evicted = [change[1] for change in changes(api) if change[0] == "evict"]
    assert evicted == ["bk-bookie-0", "bk-bookie-1", "bk-bookie-2"]
    assert cond.find(api.fake.cr["status"]["conditions"], cond.HEALTH_CHECK_FAILING)["status"] == "False"


def test_the_stall_can_be_accepted():
    api = bookies(replicas=3)
    upgrade(api, mode=dict(MODE, accept_write_stall=True))
    assert len([change for change in changes(api) if change[0] == "evict"]) == 3


def test_a_failed_upgrade_resumes_autorecovery_before_it_is_recorded():
    api = bookies()
    api.fake.behaviour = {"0.14.1": "crash"}
    with pytest.raises(RunFailed) as failed:
        upgrade(api, version="0.14.1")
    assert "CrashLoopBackOff" in str(failed.value)
    assert api.bookkeeper.autorecovery is True
    # The crashing bookie is checked writable once it is Ready again (after the rollback).
    assert set(api.fake.cr["status"]["dataPlane"]) == {"readOnly", "readOnlySince"}
    assert [step["step"] for step in failed.value.result["steps"]][-2:] == [data_plane.RESUME_AUTORECOVERY, "fail"]


def test_autorecovery_stays_paused_through_the_automatic_rollback_and_is_resumed_after_it():
    api = bookies()
    api.fake.behaviour = {"0.14.1": "crash"}
    with pytest.raises(RunFailed) as failed:
        upgrade(api, version="0.14.1", auto_rollback=True)
    assert failed.value.result["rolled_back"] is True
    # The crashing bookie, down already, is replaced without asking it to turn read-only.
    replaced = [step["message"] for step in failed.value.result["steps"] if step["step"] == "replace_pod"]
    assert replaced[-1] == "replacing pod bk-bookie-0 (0.14.1 -> 0.13.0)"
    autorecovery = [change for change in changes(api) if change[-1].startswith("status=")]
    assert autorecovery == [("put", "bk-bookie-3", "status=False"), ("put", "bk-bookie-3", "status=True")]
    assert api.bookkeeper.autorecovery is True and "dataPlane" not in api.fake.cr["status"]


def test_what_a_stopped_run_took_is_given_back_by_bk_status():
    api = stopped_once_bookie_0_is_read_only()
    assert api.fake.cr["status"]["dataPlane"]["readOnly"] == "bk-bookie-0"
    # The run stopped; someone sets spec.version back by hand, so the upgrade is cancelled.
    status = api.fake.cr["status"]
    status.update(targetVersion="")
    status["conditions"] = cond.clear(status["conditions"], cond.UPGRADING, api.clock())
    result = operations.status(api, clock=api.clock, monotonic=api.monotonic)
    assert result["changed"] is True
    assert [step["step"] for step in result["steps"]] == [data_plane.SET_WRITABLE, data_plane.RESUME_AUTORECOVERY]
    assert api.bookkeeper.autorecovery is True and not api.bookkeeper.read_only
    assert result["cluster"]["data_plane"] == {}


def test_a_stopped_run_is_resumed_by_the_next_one_without_asking_twice():
    api = bookies()
    for _look in range(6):
        upgrade(api, wait=False)
    upgrade(api)
    assert changes(api).count(("put", "bk-bookie-3", "status=False")) == 1
    assert api.bookkeeper.autorecovery is True and "dataPlane" not in api.fake.cr["status"]


def test_bookies_without_the_endpoints_are_replaced_as_the_plain_rollout_replaces_them():
    api = bookies(missing=[data_plane.STATE_PATH, data_plane.AUTORECOVERY_PATH, "api/v1/bookie/list_bookies"])
    result = upgrade(api)
    assert [change[0] for change in changes(api)] == ["evict"] * 4
    assert api.graces == [None] * 4, "not read-only: the pods' own grace period"
    replaced = [step["message"] for step in result["steps"] if step["step"] == "replace_pod"]
    assert replaced[0] == (
        "replacing pod bk-bookie-0 (0.13.0 -> 0.14.0) without read-only first (bookie bk-bookie-0 has no read-only "
        "endpoint: bookie bk-bookie-0: HTTP 404: <html><body><h1>Resource not found</h1></body></html>)"
    )


def test_a_plain_run_leaves_the_data_plane_alone():
    api = bookies()
    upgrade(api, mode=None)
    assert [change[0] for change in changes(api)] == ["evict"] * 4


def test_admin_answers_are_read_as_bookkeeper_writes_them():
    assert data_plane.answer(200, '{\n  "bk-bookie-0" : null,\n  "bk-bookie-1" : null\n}') == (
        "ok",
        ["bk-bookie-0", "bk-bookie-1"],
    )
    assert data_plane.answer(200, '{ "enabled" : true }', "enabled") == ("ok", True)
    assert data_plane.answer(200, '{ "readOnly" : false }', "readOnly") == ("ok", False)
    assert data_plane.answer(404, "<html><body><h1>Resource not found</h1></body></html>")[0] == "missing"
    # The API server's own 404 (the pod is gone) is no missing endpoint.
    assert data_plane.answer(404, '{"kind":"Status","code":404}')[0] == "failed"
    assert data_plane.answer(200, "{}", "enabled")[0] == "failed"
    assert data_plane.answer(0, "")[1] == "HTTP none: no answer"


def test_a_bookie_id_is_found_by_its_pod_name_as_either_image_names_it():
    ids = ["bk-bookie-10:3181", "bk-bookie-1.bk-bookie-headless.ns.svc.cluster.local:3181", "bk-bookie-2"]
    assert data_plane.bookie_id("bk-bookie-1", ids) == ids[1]
    assert data_plane.bookie_id("bk-bookie-2", ids) == "bk-bookie-2"
    assert data_plane.bookie_id("bk-bookie-3", ids) is None


def test_the_option_is_off_unless_given_and_enabled():
    assert runner.data_plane_option(None) is None
    assert runner.data_plane_option(dict(MODE, enabled=False)) is None
    assert runner.data_plane_option(dict(MODE, enabled=True)) == MODE


def test_a_recorded_pause_that_bookkeeper_does_not_show_is_asked_again():
    api = bookies()
    refused = []
    answer = api.bookkeeper.put

    def refuse_the_first_pause(pod_name, port, path, body, timeout):
        if path.endswith("enabled=false") and not refused:
            refused.append(path)
            return 403, '{"kind":"Status","code":403,"message":"pods \\"bk-bookie-3\\" is forbidden"}'
        return answer(pod_name, port, path, body, timeout)

    api.bookkeeper.put = refuse_the_first_pause
    result = upgrade(api)
    messages = [step["message"] for step in result["steps"] if step["step"] == data_plane.PAUSE_AUTORECOVERY]
    assert messages[0].startswith("bookie bk-bookie-3 did not take the request to pause autorecovery: HTTP 403")
    assert messages[1] == "pausing autorecovery for the rollout (asked again)"
    first_eviction = changes(api).index(("evict", "bk-bookie-0"))
    assert ("put", "bk-bookie-3", "status=False") in changes(api)[:first_eviction]
    assert api.bookkeeper.autorecovery is True


def test_a_bookie_that_does_not_turn_read_only_is_replaced_after_read_only_seconds():
    api = bookies()
    answer = api.bookkeeper.put
    api.bookkeeper.put = lambda pod_name, port, path, body, timeout: (
        (500, "Internal Server Error") if "readonly" in path else answer(pod_name, port, path, body, timeout)
    )
    result = upgrade(api, mode=dict(MODE, read_only_seconds=12))
    asked = [
        step for step in result["steps"] if step["step"] == data_plane.SET_READ_ONLY and step["pod"] == "bk-bookie-0"
    ]
    [replaced] = [step for step in result["steps"] if step["step"] == "replace_pod" and step["pod"] == "bk-bookie-0"]
    waited = (cond.parse_time(replaced["time"]) - cond.parse_time(asked[0]["time"])).total_seconds()
    assert 12 <= waited <= 20, (waited, asked, replaced)
    assert replaced["message"].endswith(", still writable after the read-only wait")
    assert api.fake.cr["status"]["currentVersion"] == "0.14.0"


def test_bookies_that_take_a_request_without_showing_it_are_asked_again_at_a_pace_until_the_deadline():
    api = bookies()
    answer = api.bookkeeper.put
    api.bookkeeper.put = lambda pod_name, port, path, body, timeout: (
        (200, "") if "autorecovery" in path else answer(pod_name, port, path, body, timeout)
    )
    with pytest.raises(RunFailed, match="progress deadline exceeded"):
        upgrade(api)
    assert len([write for write in api.writes if write[0] == "put"]) == 0
    assert [change for change in changes(api) if change[0] == "evict"] == []
    assert api.seconds >= 600, "the default upgradeTimeout (10 minutes) ended it, asking every few seconds"


def test_an_abort_gives_back_the_read_only_bookie_and_autorecovery_before_it_is_recorded():
    api = stopped_once_bookie_0_is_read_only()
    api.fake.cr["metadata"].setdefault("annotations", {})[resource.ABORT_ANNOTATION] = "change freeze"
    with pytest.raises(RunFailed, match="aborted on request"):
        upgrade(api)
    assert api.bookkeeper.read_only == set() and api.bookkeeper.autorecovery is True
    assert "dataPlane" not in api.fake.cr["status"]
    assert [change for change in changes(api) if change[0] == "evict"] == [], "the abort came before the eviction"
