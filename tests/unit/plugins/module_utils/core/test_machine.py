import copy

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import machine, resource
from ansible_collections.bookkeeper.ops.tests.support.factories import (
    T0,
    FakeCluster,
    at,
    cluster,
    healthy,
    idle_status,
    pod,
    snapshot,
    statefulset,
)

A, B = "0.13.0", "0.14.0"


def kinds(decisions):
    return [d.kind for d in decisions]


def shown(status):
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in status["conditions"]}


def fresh(behaviour=None, replicas=3, spec=B, status=None):
    return FakeCluster(cluster(spec, status or idle_status(A), replicas=replicas), replicas, A, behaviour)


def test_first_reconcile_records_the_spec_version():
    decision = machine.decide(snapshot(cluster(""), statefulset("0.11.0"), healthy("0.11.0")), T0)
    assert decision.kind == machine.INITIALIZE
    assert decision.status["currentVersion"] == "0.11.0"
    assert decision.status["versionHistory"] == ["0.11.0"]
    assert shown(decision.status) == {
        "Upgrading": ("False", "", ""),
        "PodsReady": ("True", "", ""),
        "Error": ("False", "", ""),
    }
    assert decision.status["members"] == {"ready": ["bk-bookie-0", "bk-bookie-1", "bk-bookie-2"], "unready": None}


def test_idle_cluster_needs_nothing():
    fake = fresh(spec=A)
    first = machine.decide(fake.snapshot(), T0)
    fake.apply(first)
    again = machine.decide(fake.snapshot(), at(5))
    assert (again.kind, again.status, again.effect) == (machine.IDLE, None, None)


def test_successful_upgrade_replaces_pods_in_order_and_appends_history():
    fake = fresh()
    decisions = fake.drive(T0)
    assert kinds(decisions) == [
        machine.START_UPGRADE,
        machine.UPDATE_TEMPLATE,
        machine.REPLACE_POD,
        machine.REPLACE_POD,
        machine.REPLACE_POD,
        machine.COMPLETE,
        machine.IDLE,
    ]
    assert fake.replaced == ["bk-bookie-0", "bk-bookie-1", "bk-bookie-2"]
    status = fake.cr["status"]
    assert (status["currentVersion"], status["targetVersion"], status["versionHistory"]) == (B, "", [A, B])
    assert shown(status) == {"Upgrading": ("False", "", ""), "PodsReady": ("True", "", ""), "Error": ("False", "", "")}
    assert "rollout" not in status
    assert decisions[1].effect["image"] == "pravega/bookkeeper:0.14.0"


def test_upgrade_progress_message_counts_updated_pods():
    fake = fresh()
    messages = []
    for _attempt in range(4):
        decision = machine.decide(fake.snapshot(), T0)
        fake.apply(decision)
        messages.append(cond.find(fake.cr["status"]["conditions"], cond.UPGRADING)["message"])
    assert messages == ["", "0", "0", "1"]


def test_pods_are_replaced_in_numeric_ordinal_order():
    fake = fresh(replicas=12)
    fake.drive(T0)
    assert fake.replaced == ["bk-bookie-%d" % i for i in range(12)]


def failed_upgrade(fault="pull"):
    fake = fresh({B: fault})
    decisions = fake.drive(T0)
    return fake, decisions


@pytest.mark.parametrize("fault, reason", [("pull", "ImagePullBackOff"), ("crash", "CrashLoopBackOff")])
def test_failed_upgrade_records_upgrade_failed_and_restores_the_template(fault, reason):
    fake, decisions = failed_upgrade(fault)
    failure = decisions[-1]
    message = "pod bk-bookie-0 update failed because of %s" % reason
    assert failure.kind == machine.FAIL and failure.message == message
    assert fake.replaced == ["bk-bookie-0"]
    status = fake.cr["status"]
    assert shown(status)["Error"] == ("True", "UpgradeFailed", message)
    assert shown(status)["Upgrading"] == ("False", "", "")
    assert shown(status)["PodsReady"][0] == "False"
    assert (status["currentVersion"], status["targetVersion"], status["versionHistory"]) == (A, "", [A])
    assert failure.event == {
        "reason": "Upgrade Error",
        "message": "Error Upgrading from version %s to %s. %s" % (A, B, message),
        "type": "Warning",
    }
    assert failure.effect["type"] == machine.UPDATE_TEMPLATE and failure.effect["version"] == A
    assert fake.sts["spec"]["template"]["metadata"]["annotations"]["bookkeeper.version"] == A


def test_failed_state_holds_until_the_version_goes_back():
    fake = failed_upgrade()[0]
    hold = machine.decide(fake.snapshot(), at(60))
    assert hold.kind == machine.HOLD
    assert "set spec.version back to 0.13.0 to roll back" in hold.message
    assert hold.status is None and hold.effect is None


def test_rollback_after_failed_upgrade_ends_healthy():
    fake = failed_upgrade()[0]
    fake.cr["spec"]["version"] = A
    decisions = fake.drive(at(100))
    assert kinds(decisions) == [machine.START_ROLLBACK, machine.REPLACE_POD, machine.COMPLETE, machine.IDLE]
    assert fake.replaced == ["bk-bookie-0", "bk-bookie-0"]
    status = fake.cr["status"]
    assert shown(status) == {
        "Upgrading": ("False", "", ""),
        "PodsReady": ("True", "", ""),
        "Error": ("False", "", ""),
        "RollbackInProgress": ("False", "", ""),
    }
    assert (status["currentVersion"], status["targetVersion"], status["versionHistory"]) == (A, "", [A])


def test_rollback_shows_progress_on_rollback_in_progress():
    fake = failed_upgrade()[0]
    fake.cr["spec"]["version"] = A
    start = machine.decide(fake.snapshot(), at(100))
    fake.apply(start)
    assert shown(fake.cr["status"])["RollbackInProgress"] == ("True", "", "")
    decision = machine.decide(fake.snapshot(), at(101))
    assert shown(decision.status)["RollbackInProgress"] == ("True", "Updating Bookkeeper", "2")
    assert shown(decision.status)["Error"][:2] == ("True", "UpgradeFailed")
    assert decision.effect == {
        "type": machine.REPLACE_POD,
        "pod": "bk-bookie-0",
        "uid": "uid-bk-bookie-0-1",
        "from_version": B,
    }


def test_rollback_failure_then_the_documented_ways_out():
    fake = failed_upgrade()[0]
    fake.behaviour[A] = "crash"
    fake.cr["spec"]["version"] = A
    decisions = fake.drive(at(100))
    assert decisions[-1].kind == machine.FAIL
    status = fake.cr["status"]
    error = cond.find(status["conditions"], cond.ERROR)
    assert (error["reason"], error["message"]) == (
        "RollbackFailed",
        "pod bk-bookie-0 update failed because of CrashLoopBackOff",
    )
    assert error["lastTransitionTime"] == cond.format_time(T0)
    assert error["lastUpdateTime"] == cond.format_time(at(100))
    assert shown(status)["RollbackInProgress"] == ("False", "", "")
    assert decisions[-1].event["reason"] == "Rollback Error"
    assert decisions[-1].event["message"].startswith("Error Rollingback from version 0.13.0 to 0.13.0. ")
    hold = machine.decide(fake.snapshot(), at(200))
    assert hold.kind == machine.HOLD and "roll back to 0.13.0 again or upgrade to a new version" in hold.message

    # Way out 1: the cause is fixed, the rollback is asked for again.
    retry = copy.deepcopy(fake)
    retry.behaviour[A] = "ready"
    assert kinds(retry.drive(at(300), intent=machine.ROLLBACK))[-2:] == [machine.COMPLETE, machine.IDLE]
    assert shown(retry.cr["status"])["Error"] == ("False", "", "")

    # Way out 2: an upgrade to a new version clears Error and replaces the broken pod first.
    onward = copy.deepcopy(fake)
    onward.cr["spec"]["version"] = "0.15.0"
    decisions = onward.drive(at(300))
    assert decisions[0].kind == machine.START_UPGRADE
    assert shown(decisions[0].status)["Error"] == ("False", "", "")
    assert decisions[-1].kind == machine.IDLE
    assert onward.cr["status"]["versionHistory"] == [A, "0.15.0"]
    assert onward.replaced[-3:] == ["bk-bookie-0", "bk-bookie-1", "bk-bookie-2"]


def stuck_upgrade():
    """An upgrade whose replaced pod starts but never becomes Ready (no fault reason)."""
    fake = fresh({B: "slow"})
    assert fake.drive(T0)[-1].kind == machine.WAIT
    return fake


def test_progress_deadline_is_measured_from_the_last_ready_pod():
    fake = stuck_upgrade()
    waiting = machine.decide(fake.snapshot(), at(599))
    assert waiting.kind == machine.WAIT
    assert waiting.message == "waiting for pod bk-bookie-0 to become Ready on version 0.14.0 (ContainerCreating)"
    failure = machine.decide(fake.snapshot(), at(601))
    assert failure.kind == machine.FAIL
    assert failure.message == "updating statefulset (bk-bookie) failed due to progress deadline exceeded"
    # A pod becoming Ready on the target restarts the clock.
    fake.pods[0] = pod("bk-bookie-0", B, uid="new")
    progress = machine.decide(fake.snapshot(), at(500))
    fake.apply(progress)
    assert progress.kind == machine.REPLACE_POD
    assert fake.cr["status"]["rollout"]["lastProgressTime"] == cond.format_time(at(500))
    assert machine.decide(fake.snapshot(), at(1000)).kind == machine.WAIT
    assert machine.decide(fake.snapshot(), at(1101)).kind == machine.FAIL


def test_upgrade_timeout_comes_from_the_spec():
    fake = stuck_upgrade()
    fake.cr["spec"]["upgradeTimeout"] = 1
    assert machine.decide(fake.snapshot(), at(59)).kind == machine.WAIT
    assert machine.decide(fake.snapshot(), at(61)).kind == machine.FAIL


def test_upgrade_waits_for_unready_pods_before_it_starts():
    pods_ = healthy(A)
    pods_[1] = pod("bk-bookie-1", A, ready=False)
    decision = machine.decide(snapshot(cluster(B, idle_status(A)), statefulset(A), pods_), T0)
    assert decision.kind == machine.WAIT
    assert decision.message == "cannot trigger upgrade if there are unready pods (2 of 3 Ready: bk-bookie-1 not Ready)"
    assert shown(decision.status)["Upgrading"] == ("False", "", "")


@pytest.mark.parametrize(
    "spec, message",
    [
        ("0.12.0", "downgrading the cluster from version 0.13.0 to 0.12.0 is not supported"),
        ("latest", "spec.version 'latest' is not valid"),
    ],
)
def test_spec_versions_the_machine_will_not_act_on(spec, message):
    decision = machine.decide(snapshot(cluster(spec, idle_status(A)), statefulset(A), healthy(A)), T0)
    assert decision.kind == machine.HOLD and message in decision.message
    assert decision.effect is None


def upgrading(pods_, replicas=3):
    status = idle_status(A)
    status["targetVersion"] = B
    status["conditions"] = cond.set_condition(status["conditions"], cond.UPGRADING, cond.TRUE, T0)
    status["rollout"] = {"action": "upgrade", "lastProgressTime": cond.format_time(T0), "readyOnTarget": 0}
    return snapshot(cluster(B, status, replicas=replicas), statefulset(B), pods_)


@pytest.mark.parametrize(
    "pods_, message",
    [
        ([pod("bk-bookie-0", B), pod("bk-bookie-2", A)], "waiting for bk-bookie to recreate 1 of 3 pods"),
        (
            [pod("bk-bookie-0", B), pod("bk-bookie-1", A, terminating=True), pod("bk-bookie-2", A)],
            "waiting for pod bk-bookie-1 to terminate",
        ),
        (
            [pod("bk-bookie-0", B), pod("bk-bookie-1", A, ready=False), pod("bk-bookie-2", A, ready=False)],
            "waiting for pods bk-bookie-1, bk-bookie-2 to become Ready before replacing another",
        ),
        (
            healthy(A) + [pod("bk-bookie-3", A)],
            "waiting for bk-bookie to scale down to 3 pods",
        ),
        (
            [
                pod("bk-bookie-0", B, ready=False, waiting="ContainerCreating"),
                pod("bk-bookie-1", A),
                pod("bk-bookie-2", A),
            ],
            "waiting for pod bk-bookie-0 to become Ready on version 0.14.0 (ContainerCreating)",
        ),
    ],
)
def test_no_pod_is_replaced_while_another_is_missing_or_down(pods_, message):
    decision = machine.decide(upgrading(pods_), at(1))
    assert (decision.kind, decision.message, decision.effect) == (machine.WAIT, message, None)


def test_an_old_pod_that_is_already_down_is_replaced_first():
    pods_ = [pod("bk-bookie-0", A), pod("bk-bookie-1", A), pod("bk-bookie-2", A, ready=False)]
    decision = machine.decide(upgrading(pods_), at(1))
    assert decision.kind == machine.REPLACE_POD and decision.effect["pod"] == "bk-bookie-2"


def test_missing_workload_waits_and_then_fails_on_the_deadline():
    snap = upgrading(healthy(A))
    snap["components"][0]["workload"] = None
    assert machine.decide(snap, at(1)).message == "statefulset bk-bookie does not exist"
    assert machine.decide(snap, at(601)).kind == machine.FAIL


def test_idle_cluster_puts_back_a_drifted_template():
    decision = machine.decide(snapshot(cluster(A, idle_status(A)), statefulset(B), healthy(A)), T0)
    assert decision.kind == machine.IDLE
    assert decision.effect["version"] == A and decision.effect["workload"] == "bk-bookie"


def test_other_error_reasons_hold():
    status = idle_status(A)
    status["conditions"] = cond.set_condition(status["conditions"], cond.ERROR, cond.TRUE, T0, "Other", "broken")
    decision = machine.decide(snapshot(cluster(B, status), statefulset(A), healthy(A)), T0)
    assert decision.kind == machine.HOLD and decision.message == "cluster is in error state: broken"


def test_plan_lists_down_pods_first_then_by_ordinal():
    pods_ = [pod("bk-bookie-10", A), pod("bk-bookie-2", A), pod("bk-bookie-1", B), pod("bk-bookie-3", A, ready=False)]
    steps = machine.plan(snapshot(cluster(B), statefulset(A), pods_), B)
    assert [s["pod"] for s in steps] == ["bk-bookie-3", "bk-bookie-2", "bk-bookie-10"]
    assert steps[0] == {
        "component": "bookie",
        "pod": "bk-bookie-3",
        "from_version": A,
        "to_version": B,
        "from_image": "pravega/bookkeeper:0.13.0",
        "to_image": "pravega/bookkeeper:0.14.0",
    }


def test_repository_and_timeout_defaults():
    assert resource.repository({"spec": {"image": {"imageSpec": {"repository": "r/bk"}}}}) == "r/bk"
    assert resource.upgrade_timeout({"spec": {"upgradeTimeout": 0}}).total_seconds() == 600
    assert resource.spec_replicas({"spec": {}}) == 3


def step_once(fake, now, intent=None):
    decision = machine.decide(fake.snapshot(), now, intent=intent)
    fake.apply(decision)
    return decision


def upgraded_one_pod(fake):
    """Drive an upgrade until its first pod runs the new version and is Ready."""
    for decision in iter(lambda: step_once(fake, T0), None):
        if decision.kind == machine.REPLACE_POD:
            return decision
    raise AssertionError("no pod replaced")


def test_abort_stops_an_upgrade_before_its_next_pod_and_allows_the_rollback():
    fake = fresh()
    upgraded_one_pod(fake)
    fake.cr["metadata"]["annotations"] = {resource.ABORT_ANNOTATION: "maintenance window over"}
    decision = step_once(fake, at(30))
    assert decision.kind == machine.FAIL
    assert fake.replaced == ["bk-bookie-0"]
    assert shown(fake.cr["status"])["Error"] == (
        "True",
        "UpgradeFailed",
        "upgrade to 0.14.0 aborted on request (annotation bookkeeper.ops/abort: maintenance window over) "
        "with 1 of 3 pods on 0.14.0",
    )
    assert fake.cr["status"]["lastRollout"]["result"] == "Aborted"
    assert decision.effect["version"] == A, "the template goes back to the current version"
    # The rollback that an abort allows: spec.version back to the last stable version.
    fake.cr["spec"]["version"] = A
    made = fake.drive(at(40))
    assert kinds(made)[0] == machine.START_ROLLBACK and made[-1].kind == machine.IDLE
    assert fake.replaced == ["bk-bookie-0", "bk-bookie-0"]
    assert fake.cr["status"]["currentVersion"] == A


def test_no_upgrade_starts_while_the_abort_annotation_stays():
    fake = fresh()
    fake.cr["metadata"]["annotations"] = {resource.ABORT_ANNOTATION: ""}
    decision = step_once(fake, T0)
    assert decision.kind == machine.HOLD
    assert "does not start while the cluster carries the annotation bookkeeper.ops/abort (requested)" in (
        decision.message
    )
    assert fake.replaced == []


def gate(fake, passed, message=""):
    fake.health = {"check": "bookkeeper", "passed": passed, "reason": "UnderReplicatedLedgers", "message": message}


def test_health_gate_is_asked_before_a_ready_bookie_goes_down():
    fake = fresh()
    gate(fake, None)
    decisions = [step_once(fake, T0) for _step in range(3)]
    assert kinds(decisions) == [machine.START_UPGRADE, machine.UPDATE_TEMPLATE, machine.CHECK_HEALTH]
    assert decisions[-1].effect == {"type": machine.CHECK_HEALTH, "check": "bookkeeper", "pod": "bk-bookie-0"}
    assert fake.replaced == []


def test_failing_health_gate_holds_the_rollout_says_why_and_meets_the_deadline():
    fake = fresh()
    upgraded_one_pod(fake)
    gate(fake, False, "2 under-replicated ledgers: 11, 12")
    decision = step_once(fake, at(60))
    assert decision.kind == machine.WAIT and fake.replaced == ["bk-bookie-0"]
    assert "waiting for health check bookkeeper to pass before replacing pod bk-bookie-1" in decision.message
    assert shown(fake.cr["status"])["HealthCheckFailing"] == (
        "True",
        "UnderReplicatedLedgers",
        "2 under-replicated ledgers: 11, 12",
    )
    assert shown(fake.cr["status"])["Upgrading"] == ("True", "Updating Bookkeeper", "1")
    late = step_once(fake, at(12 * 60))
    assert late.kind == machine.FAIL and fake.replaced == ["bk-bookie-0"]
    assert late.message == (
        "updating statefulset (bk-bookie) failed due to progress deadline exceeded "
        "(health check failing: 2 under-replicated ledgers: 11, 12)"
    )
    assert shown(fake.cr["status"])["HealthCheckFailing"] == ("False", "", "")


def test_passing_health_gate_lets_the_next_pod_go_and_clears_the_condition():
    fake = fresh()
    upgraded_one_pod(fake)
    gate(fake, False, "1 under-replicated ledger")
    step_once(fake, at(10))
    gate(fake, True)
    decision = step_once(fake, at(20))
    assert decision.kind == machine.REPLACE_POD and decision.effect["pod"] == "bk-bookie-1"
    assert shown(fake.cr["status"])["HealthCheckFailing"] == ("False", "", "")
    fake.health = None
    made = fake.drive(at(30))
    assert made[-1].kind == machine.IDLE and fake.cr["status"]["currentVersion"] == B
    assert set(shown(fake.cr["status"]).values()) >= {("False", "", "")}
    assert all(state == "False" for kind, (state, _r, _m) in shown(fake.cr["status"]).items() if kind != "PodsReady")


def test_a_pod_that_is_down_already_is_replaced_without_the_health_gate():
    fake = fresh(behaviour={B: "pull"})
    fake.drive(T0)
    assert shown(fake.cr["status"])["Error"][1] == "UpgradeFailed"
    fake.cr["spec"]["version"] = A
    gate(fake, False, "ledgers under-replicated while bk-bookie-0 is down")
    decisions = [step_once(fake, at(30)) for _step in range(2)]
    assert kinds(decisions) == [machine.START_ROLLBACK, machine.REPLACE_POD]
    assert decisions[-1].effect["pod"] == "bk-bookie-0"


def test_automatic_rollback_is_recorded_as_such():
    fake = fresh(behaviour={B: "crash"})
    fake.drive(T0)
    failed = fake.cr["status"]["lastRollout"]
    assert (failed["action"], failed["result"], failed["toVersion"]) == ("upgrade", "Failed", B)
    fake.cr["spec"]["version"] = A
    start = step_once(fake, at(5), intent=machine.AUTO_ROLLBACK)
    assert start.kind == machine.START_ROLLBACK
    assert fake.cr["status"]["rollout"]["trigger"] == "automatic"
    assert start.event["reason"] == "Automatic Rollback" and start.event["type"] == "Warning"
    assert start.event["message"].startswith(
        "Rolling back to version 0.13.0 automatically after the failed upgrade to 0.14.0. pod bk-bookie-0 update "
        "failed because of CrashLoopBackOff"
    )
    fake.drive(at(6), intent=machine.AUTO_ROLLBACK)
    last = fake.cr["status"]["lastRollout"]
    assert (last["action"], last["trigger"], last["result"], last["fromVersion"], last["toVersion"]) == (
        "rollback",
        "automatic",
        "Succeeded",
        A,
        A,
    )
