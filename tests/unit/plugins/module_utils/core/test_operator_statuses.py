"""Every reader of a cluster's status, fed the statuses the Pravega BookKeeper operator writes."""

import importlib.util
import pathlib

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import admission, machine, summary, versions
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.plugin_utils import progress
from ansible_collections.bookkeeper.ops.tests.support import operator_statuses as operator
from ansible_collections.bookkeeper.ops.tests.support.factories import FakeCluster, at
from ansible_collections.bookkeeper.ops.tests.support.fake_watch import FakeWatchAPI
from ansible_collections.bookkeeper.ops.tests.support.older_cores import trust_as_template

REPO = pathlib.Path(__file__).resolve().parents[5]
NOW = at(600)


def render_status_role(cluster):
    """The status role's table, rendered by Ansible's own templating as the role renders it."""
    text = (REPO / "roles" / "status" / "templates" / "status.j2").read_text()
    templar = Templar(loader=DataLoader(), variables={"status_result": {"cluster": cluster}})
    return templar.template(trust_as_template(text))


@pytest.mark.parametrize("name", operator.NAMES)
def test_the_summary_gives_every_condition_field_and_the_status_role_renders_it(name):
    result = summary.summarize(operator.snapshot(name), NOW)
    stored = (operator.cluster(name).get("status") or {}).get("conditions") or []
    assert [c["type"] for c in result["conditions"]] == [c["type"] for c in stored]
    for shown, written in zip(result["conditions"], stored):
        assert set(shown) == set(cond.FIELDS)
        assert shown == dict(dict.fromkeys(cond.FIELDS, ""), **written)
    assert isinstance(result["current_version"], str) and isinstance(result["target_version"], str)
    table = render_status_role(result)
    for condition in result["conditions"]:
        assert condition["type"] in table
        assert (condition["message"] or "-") in table


def test_the_status_role_shows_dashes_for_what_a_new_cluster_lacks():
    table = render_status_role(summary.summarize(operator.snapshot("created"), NOW))
    assert "Current version   -" in table and "Version history   -" in table


EXPECTED = {
    "created": (machine.INITIALIZE, "recorded 0.13.0 as the current version"),
    "first-reconcile": (machine.IDLE, "cluster is at version 0.13.0"),
    "starting": (machine.IDLE, "cluster is at version 0.13.0"),
    "ready": (machine.IDLE, "cluster is at version 0.13.0"),
    "members-null": (machine.IDLE, "cluster is at version 0.13.0"),
    "upgrading": (machine.REPLACE_POD, "replacing pod bk-bookie-1 (0.13.0 -> 0.14.0)"),
    "upgrade-failed": (
        machine.HOLD,
        "upgrade failed: pod bk-bookie-0 update failed because of ImagePullBackOff; set spec.version back to 0.13.0 "
        "to roll back",
    ),
    "rolling-back": (machine.COMPLETE, "rollback to 0.13.0 complete"),
    "rolled-back": (machine.IDLE, "cluster is at version 0.13.0"),
    "rollback-failed": (
        machine.HOLD,
        "rollback failed: updating statefulset (bk-bookie) failed due to progress deadline exceeded; fix the cause, "
        "then roll back to 0.13.0 again or upgrade to a new version",
    ),
}


@pytest.mark.parametrize("name", operator.NAMES)
def test_the_core_decides_on_every_operator_status(name):
    decision = machine.decide(operator.snapshot(name), NOW)
    assert (decision.kind, decision.message) == EXPECTED[name]
    written = decision.status or operator.cluster(name)["status"]
    assert written["versionHistory"] == ["0.13.0"], "seeded from currentVersion when the operator had not yet"
    assert written["targetVersion"] == ("0.14.0" if name == "upgrading" else "")


def test_an_operator_upgrade_failure_puts_the_template_back_and_is_rolled_back():
    hold = machine.decide(operator.snapshot("upgrade-failed"), NOW)
    assert hold.effect["type"] == machine.UPDATE_TEMPLATE and hold.effect["version"] == "0.13.0"
    assert admission.check_rollback(operator.cluster("upgrade-failed")["status"]) == (True, "", "0.13.0")
    fake = operator_cluster("upgrade-failed")
    fake.cr["spec"]["version"] = "0.13.0"
    made = drive_to_idle(fake, machine.ROLLBACK)
    assert machine.COMPLETE in [d.kind for d in made]
    assert fake.replaced == ["bk-bookie-0"]
    status = fake.cr["status"]
    assert status["currentVersion"] == "0.13.0" and status["targetVersion"] == ""
    assert not cond.is_true(status["conditions"], cond.ERROR) and status["lastRollout"]["result"] == "Succeeded"


def test_an_upgrade_from_the_operators_first_status_keeps_the_version_it_started_from():
    fake = operator_cluster("first-reconcile")
    fake.cr["spec"]["version"] = "0.14.0"
    drive_to_idle(fake)
    assert fake.cr["status"]["currentVersion"] == "0.14.0"
    assert fake.cr["status"]["versionHistory"] == ["0.13.0", "0.14.0"]


def test_an_upgrade_the_operator_started_is_carried_on_to_the_end():
    fake = operator_cluster("upgrading")
    drive_to_idle(fake)
    assert fake.replaced == ["bk-bookie-1", "bk-bookie-2"]
    assert fake.cr["status"]["versionHistory"] == ["0.13.0", "0.14.0"]
    assert fake.cr["status"]["lastRollout"]["trigger"] == "requested"


@pytest.mark.parametrize("active", [cond.UPGRADING, cond.ROLLBACK_IN_PROGRESS])
def test_a_rollout_condition_without_a_target_version_is_cancelled_not_carried_to_an_empty_tag(active):
    snapshot = operator.snapshot("upgrading")
    status = snapshot["cluster"]["status"]
    del status["targetVersion"]
    status["conditions"] = [dict(c, status=cond.FALSE) for c in status["conditions"] if c["type"] != active]
    status["conditions"].append({"type": active, "status": cond.TRUE, "reason": cond.UPDATING, "message": "1"})
    decision = machine.decide(snapshot, NOW)
    # Cancelled, then, as the operator does on its next reconcile, an upgrade to the newer spec.version starts
    # afresh, since every pod is Ready.
    assert decision.kind == machine.START_UPGRADE and decision.status["targetVersion"] == "0.14.0"
    assert decision.effect is None
    assert cond.find(decision.status["conditions"], cond.UPGRADING)["reason"] == ""
    assert not cond.is_true(decision.status["conditions"], cond.ROLLBACK_IN_PROGRESS)


def test_the_version_history_is_seeded_from_the_current_version():
    assert versions.history({"currentVersion": "0.13.0"}) == ["0.13.0"]
    assert versions.history({"currentVersion": "0.13.0", "versionHistory": ["0.12.0", "0.13.0"]}) == [
        "0.12.0",
        "0.13.0",
    ]
    assert versions.history({}) == []


@pytest.mark.parametrize("name", operator.NAMES)
def test_the_progress_display_reads_every_operator_condition(name):
    for condition in (operator.cluster(name).get("status") or {}).get("conditions") or []:
        line = progress.condition_line(condition)
        assert line.startswith("%s %s" % (condition["type"], condition["status"]))
        if condition.get("message"):
            assert line.endswith(condition["message"]) or "bookie(s) updated" in line


def test_the_progress_display_reads_a_condition_with_only_a_type():
    assert progress.condition_line({"type": cond.ERROR}) == "Error Unknown"


def test_the_progress_display_prints_the_operators_rollout():
    events = [{"type": "MODIFIED", "object": operator.cluster(name)} for name in ("upgrading", "upgrade-failed")]
    api = FakeWatchAPI(operator.bookies("ready"), [], events)
    lines = []
    with progress.Progress(lambda: api, lines.append, clock=lambda: 3.0):
        assert api.shown()
    assert sorted(lines) == [
        "[   0s] Error True: UpgradeFailed, pod bk-bookie-0 update failed because of ImagePullBackOff",
        "[   0s] Upgrading False",
        "[   0s] Upgrading True: 1 bookie(s) updated",
    ]


def demo_watch():
    spec = importlib.util.spec_from_file_location("demo_watch", REPO / "scripts" / "demo_watch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", operator.NAMES)
def test_the_demo_watch_reads_every_operator_condition(name):
    note = demo_watch().condition_note
    for condition in (operator.cluster(name).get("status") or {}).get("conditions") or []:
        kind, line = note(condition)
        assert kind == condition["type"] and line.split()[:2] == [condition["type"], condition["status"]]
    assert note({"type": cond.ERROR}) == (cond.ERROR, "Error              Unknown ")


def operator_cluster(name):
    """A FakeCluster holding the fixture's resource, StatefulSet and bookies."""
    fake = FakeCluster(operator.cluster(name), 3, "0.13.0")
    fake.sts = operator.workload(name)
    fake.pods = operator.bookies(name)
    return fake


def drive_to_idle(fake, intent=None):
    made = []
    for _attempt in range(20):
        made += fake.drive(NOW, intent=intent)
        if made[-1].kind == machine.IDLE:
            return made
    raise AssertionError("not idle: %s" % made[-3:])
