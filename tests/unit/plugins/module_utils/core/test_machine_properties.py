"""Invariants of the state machine over generated snapshots and stories."""

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import machine, pods, versions
from ansible_collections.bookkeeper.ops.tests.support.factories import (
    T0,
    FakeCluster,
    at,
    cluster,
    idle_status,
    pod,
    snapshot,
    statefulset,
)

A, B = "0.13.0", "0.14.0"
WAITING = st.sampled_from([None, "ContainerCreating", "ImagePullBackOff", "CrashLoopBackOff", "ErrImagePull"])


@st.composite
def pod_states(draw, index):
    version = draw(st.sampled_from([A, B]))
    ready = draw(st.booleans())
    return pod(
        "bk-bookie-%d" % index,
        version,
        ready=ready,
        waiting=None if ready else draw(WAITING),
        restarts=draw(st.integers(0, 4)),
        terminating=draw(st.booleans()) and draw(st.booleans()),
        created=at(draw(st.integers(0, 900))),
    )


@st.composite
def snapshots(draw):
    replicas = draw(st.integers(1, 6))
    present = draw(st.lists(st.integers(0, replicas), unique=True, max_size=replicas + 1))
    pod_list = [draw(pod_states(i)) for i in sorted(present)]
    state = draw(st.sampled_from(["idle", "upgrading", "rollback", "upgrade_failed", "rollback_failed"]))
    status = idle_status(A, draw(st.sampled_from([[A], ["0.12.0", A]])))
    status["conditions"] = cond.set_condition(
        status["conditions"], cond.PODS_READY, draw(st.sampled_from(["True", "False"])), T0
    )
    active = {"upgrading": (cond.UPGRADING, B), "rollback": (cond.ROLLBACK_IN_PROGRESS, A)}.get(state)
    if active:
        status["targetVersion"] = active[1]
        status["conditions"] = cond.set_condition(status["conditions"], active[0], cond.TRUE, T0)
        status["rollout"] = {
            "action": state,
            "startedAt": cond.format_time(T0),
            "lastProgressTime": cond.format_time(T0),
            "readyOnTarget": 0,
        }
    failed = {"upgrade_failed": cond.UPGRADE_FAILED, "rollback_failed": cond.ROLLBACK_FAILED}.get(state)
    if failed:
        status["conditions"] = cond.set_condition(status["conditions"], cond.ERROR, cond.TRUE, T0, failed, "x")
    spec = draw(st.sampled_from([A, B, "0.12.0", "0.15.0"]))
    template = draw(st.sampled_from([A, B]))
    return snapshot(cluster(spec, status, replicas=replicas), statefulset(template), pod_list)


@settings(max_examples=400, deadline=None)
@given(snapshots(), st.integers(0, 2000), st.sampled_from([None, machine.ROLLBACK]))
def test_a_pod_is_replaced_only_when_every_other_pod_is_ready(snap, seconds, intent):
    decision = machine.decide(snap, at(seconds), intent=intent)
    if decision.kind != machine.REPLACE_POD:
        return
    component = snap["components"][0]
    replicas = snap["cluster"]["spec"]["replicas"]
    assert len(component["pods"]) == replicas
    assert not any(pods.is_terminating(p) for p in component["pods"])
    others = [p for p in component["pods"] if pods.name(p) != decision.effect["pod"]]
    assert all(pods.is_ready(p) for p in others)


@settings(max_examples=300, deadline=None)
@given(snapshots(), st.integers(0, 2000), st.sampled_from([None, machine.ROLLBACK]))
def test_the_same_snapshot_and_time_give_the_same_step_and_inputs_are_untouched(snap, seconds, intent):
    original = copy.deepcopy(snap)
    first = machine.decide(snap, at(seconds), intent=intent)
    assert snap == original
    assert machine.decide(copy.deepcopy(snap), at(seconds), intent=intent) == first


@settings(max_examples=300, deadline=None)
@given(snapshots(), st.integers(0, 2000), st.sampled_from([None, machine.ROLLBACK]))
def test_rollbacks_only_target_the_last_stable_version(snap, seconds, intent):
    decision = machine.decide(snap, at(seconds), intent=intent)
    if decision.kind == machine.START_ROLLBACK:
        history = snap["cluster"]["status"]["versionHistory"]
        assert decision.status["targetVersion"] == versions.last_stable(history)


@settings(max_examples=300, deadline=None)
@given(snapshots(), st.integers(0, 2000), st.sampled_from([None, machine.ROLLBACK]))
def test_condition_timestamps_follow_the_rules(snap, seconds, intent):
    now = at(seconds)
    decision = machine.decide(snap, now, intent=intent)
    if decision.status is None:
        return
    stamp = cond.format_time(now)
    before = {c["type"]: c for c in snap["cluster"]["status"]["conditions"]}
    for after in decision.status["conditions"]:
        old = before.get(after["type"])
        if old is None:
            assert after["lastTransitionTime"] == after["lastUpdateTime"] == ""
        elif old["status"] != after["status"]:
            assert after["lastTransitionTime"] == after["lastUpdateTime"] == stamp
        elif (old["reason"], old["message"]) != (after["reason"], after["message"]):
            assert after["lastTransitionTime"] == old["lastTransitionTime"]
            assert after["lastUpdateTime"] == stamp
        else:
            assert after == old


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 8),
    st.sampled_from(["ready", "pull", "crash", "slow"]),
    st.sampled_from(["ready", "crash"]),
    st.integers(0, 60),
)
def test_stories_never_take_two_bookies_down(replicas, new_behaviour, old_behaviour, pause):
    """Upgrade, then roll back when it failed, with pods of either version misbehaving."""
    fake = FakeCluster(cluster(B, idle_status(A), replicas=replicas), replicas, A, {B: new_behaviour})
    now = T0
    for _attempt in range(4):
        decisions = fake.drive(now)
        now = now + (at(pause + 700) - T0)
        if decisions[-1].kind in (machine.FAIL, machine.HOLD):
            fake.behaviour[A] = old_behaviour
            fake.cr["spec"]["version"] = A
    status = fake.cr["status"]
    assert status["currentVersion"] in (A, B)
    assert versions.last_stable(status["versionHistory"]) == status["currentVersion"]
    assert len(fake.replaced) == len(set(fake.replaced)) or new_behaviour != "ready"
