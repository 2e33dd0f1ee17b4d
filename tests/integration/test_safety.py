"""Health gate, abort, automatic rollback and the way out of RollbackFailed, on the real API server."""

import json
import threading

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import errors, resource
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations, runner
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.support.clusters import (
    GOOD,
    HEALTHY,
    MISSING,
    NAME,
    STABLE,
    deploy,
    pod_versions,
    shown,
    versions_of,
)
from ansible_collections.bookkeeper.ops.tests.support.kubectl import get_json
from ansible_collections.bookkeeper.ops.tests.support.wait import wait_for
from ansible_collections.bookkeeper.ops.tests.support.watchers import BookieWatch

SLOW = "0.14.3-slow"  # Ready 15 s after it starts (scripts/cluster/registry.yaml)


def uids(kubectl, namespace):
    pods = get_json(kubectl, "pods", "-n", namespace, "-l", "bookkeeper_cluster=%s" % NAME)["items"]
    return {pod["metadata"]["name"]: pod["metadata"]["uid"] for pod in pods}


def test_a_failing_health_gate_holds_the_rollout_and_says_why(client, kubectl, namespace):
    api = deploy(client, namespace)
    # Passes before the first bookie goes, then reports under-replicated ledgers.
    gate = {
        "type": "command",
        "command": ["sh", "-c", 'test "$BK_NEXT_POD" = bk-bookie-0 || { echo "2 under-replicated ledgers"; exit 1; }'],
        "timeout": 10,
    }
    with pytest.raises(errors.TimedOut) as held:
        operations.upgrade(api, version=GOOD, options=RolloutOptions(wait=True, timeout=15, health=gate))
    assert held.value.retryable
    assert (
        "waiting for health check command to pass before replacing pod bk-bookie-1: "
        "sh exited with 1: 2 under-replicated ledgers" in str(held.value)
    )
    assert shown(api)["HealthCheckFailing"] == ("True", "CommandFailed", "sh exited with 1: 2 under-replicated ledgers")
    assert shown(api)["Upgrading"] == ("True", "Updating Bookkeeper", "1")
    assert pod_versions(kubectl, namespace) == [STABLE, STABLE, GOOD], "no bookie after the first one was touched"
    # The ledgers are replicated again: the next run goes on and clears the condition.
    with BookieWatch(client, namespace, NAME, 3) as watch:
        operations.upgrade(
            api,
            version=GOOD,
            options=RolloutOptions(
                wait=True, timeout=120, health={"type": "command", "command": ["true"], "timeout": 5}
            ),
        )
    assert watch.most_down <= 1
    assert shown(api)["HealthCheckFailing"] == ("False", "", "")
    assert versions_of(api) == (GOOD, "", [STABLE, GOOD])


def test_the_bookkeeper_gate_holds_when_no_bookie_answers(client, kubectl, namespace):
    api = deploy(client, namespace)
    before = uids(kubectl, namespace)
    with pytest.raises(errors.TimedOut) as held:
        operations.upgrade(
            api,
            version=GOOD,
            options=RolloutOptions(wait=True, timeout=8, health={"type": "bookkeeper", "port": 8000, "timeout": 2}),
        )
    assert "waiting for health check bookkeeper to pass before replacing pod bk-bookie-0" in str(held.value)
    condition = shown(api)["HealthCheckFailing"]
    assert condition[:2] == ("True", "HealthCheckUnreachable")
    assert "could not read the under-replicated ledgers from bookie bk-bookie-2" in condition[2]
    assert uids(kubectl, namespace) == before, "no bookie was replaced"


def test_abort_stops_the_upgrade_before_its_next_pod_and_the_rollback_follows(client, kubectl, namespace):
    api = deploy(client, namespace)
    outcome = {}

    def upgrade():
        other = ClusterAPI(client, NAME, namespace)  # its own Lease holder, as a second job would be
        try:
            outcome["result"] = operations.upgrade(other, version=SLOW, options=RolloutOptions(wait=True, timeout=180))
        except (runner.RunFailed, errors.TimedOut, errors.KubeError) as error:
            outcome["error"] = error

    driving = threading.Thread(target=upgrade, daemon=True)
    driving.start()
    wait_for("the first bookie replaced", lambda: SLOW in pod_versions(kubectl, namespace), timeout=60)
    before = uids(kubectl, namespace)
    result = operations.abort(api, reason="change freeze", options=RolloutOptions(wait=True, timeout=60))
    driving.join(60)
    assert result["aborted"] is True and result["changed"] is True
    assert isinstance(outcome.get("error"), runner.RunFailed)
    message = "upgrade to %s aborted on request (annotation bookkeeper.ops/abort: change freeze)" % SLOW
    assert str(outcome["error"]).startswith(message)
    assert shown(api)["Error"][:2] == ("True", "UpgradeFailed")
    assert shown(api)["Error"][2].startswith(message)
    assert shown(api)["Upgrading"][0] == "False"
    assert api.get_cluster()["status"]["lastRollout"]["result"] == "Aborted"
    wait_for("the replaced bookie to settle", lambda: pod_versions(kubectl, namespace).count(SLOW) == 1, timeout=30)
    after = uids(kubectl, namespace)
    assert {name: uid for name, uid in after.items() if name != "bk-bookie-0"} == {
        name: uid for name, uid in before.items() if name != "bk-bookie-0"
    }, "no further bookie replaced after the abort"
    # A new upgrade is refused while the abort stands; the rollback is allowed and lifts it.
    with pytest.raises(operations.Refused) as refused:
        operations.upgrade(api, version=GOOD, options=RolloutOptions(wait=True, timeout=60))
    assert "Rollback to version %s not supported" % GOOD in str(refused.value)
    operations.rollback(api, options=RolloutOptions(wait=True, timeout=120))
    assert resource.ABORT_ANNOTATION not in (api.get_cluster()["metadata"].get("annotations") or {})
    assert pod_versions(kubectl, namespace) == [STABLE] * 3
    assert shown(api) == HEALTHY
    with pytest.raises(operations.Refused) as nothing:
        operations.abort(api, options=RolloutOptions(wait=True, timeout=30))
    assert "there is no upgrade to abort: the cluster is not upgrading (current version %s)" % STABLE in str(
        nothing.value
    )


def test_auto_rollback_ends_healthy_on_the_old_version(client, kubectl, namespace):
    api = deploy(client, namespace)
    with BookieWatch(client, namespace, NAME, 3) as watch, pytest.raises(runner.RunFailed) as failed:
        operations.upgrade(api, version=MISSING, options=RolloutOptions(wait=True, timeout=180, auto_rollback=True))
    assert str(failed.value) == (
        "pod bk-bookie-0 update failed because of ImagePullBackOff; rolled back to %s automatically" % STABLE
    )
    assert failed.value.result["rolled_back"] is True
    assert failed.value.result["cluster"]["last_rollout"]["trigger"] == "automatic"
    assert watch.most_down <= 1
    assert shown(api) == HEALTHY
    assert versions_of(api) == (STABLE, "", [STABLE])
    assert pod_versions(kubectl, namespace) == [STABLE] * 3
    last = api.get_cluster()["status"]["lastRollout"]
    assert (last["action"], last["trigger"], last["result"]) == ("rollback", "automatic", "Succeeded")
    events = get_json(kubectl, "events", "-n", namespace, "--field-selector", "involvedObject.name=%s" % NAME)
    assert sorted(event["reason"] for event in events["items"]) == ["Automatic Rollback", "Upgrade Error"]


def test_rollback_failed_is_left_by_an_upgrade_to_a_newer_version(client, kubectl, namespace):
    api = deploy(client, namespace)
    with pytest.raises(runner.RunFailed):
        operations.upgrade(api, version=MISSING, options=RolloutOptions(wait=True, timeout=120))
    typo = {"spec": {"version": STABLE, "image": {"imageSpec": {"repository": "registry.local/typo"}}}}
    kubectl("patch", "bk", NAME, "-n", namespace, "--type=merge", "-p", json.dumps(typo))
    with pytest.raises(runner.RunFailed):
        operations.rollback(api, options=RolloutOptions(wait=True, timeout=120))
    assert shown(api)["Error"][:2] == ("True", "RollbackFailed")
    # The documented second way out: fix the cause, then upgrade to a version newer than the current one.
    fixed = {"spec": {"image": {"imageSpec": {"repository": "pravega/bookkeeper"}}}}
    kubectl("patch", "bk", NAME, "-n", namespace, "--type=merge", "-p", json.dumps(fixed))
    started = operations.upgrade(api, version=GOOD, options=RolloutOptions(wait=False, timeout=60))
    assert [step["step"] for step in started["steps"]] == ["start_upgrade"]
    assert shown(api)["Error"] == ("False", "", "")
    assert shown(api)["Upgrading"] == ("True", "", "")
    with BookieWatch(client, namespace, NAME, 3) as watch:
        done = operations.upgrade(api, version=GOOD, options=RolloutOptions(wait=True, timeout=120))
    replaced = [step["action"]["pod"] for step in done["steps"] if step["step"] == "replace_pod"]
    assert replaced[0] == "bk-bookie-0", "the broken bookie goes first"
    assert watch.most_down <= 1
    assert versions_of(api) == (GOOD, "", [STABLE, GOOD])
    assert shown(api) == HEALTHY
