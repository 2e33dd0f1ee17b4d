"""Plain-data builders of clusters, StatefulSets and pods for the core's tests."""

import copy
import datetime

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import machine, versions

T0 = datetime.datetime(2026, 11, 24, 9, 0, 0, tzinfo=datetime.timezone.utc)
REPO = "pravega/bookkeeper"


def at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


def pod(name, version, ready=True, waiting=None, restarts=0, terminating=False, created=T0, uid=None, **extra):
    container = {"name": "bookie", "ready": ready, "restartCount": restarts, "state": {"running": {}}}
    if waiting:
        container["state"] = {"waiting": {"reason": waiting}}
    result = {
        "metadata": {
            "name": name,
            "uid": uid or "uid-%s-%s" % (name, version),
            "annotations": {"bookkeeper.version": version},
            "creationTimestamp": cond.format_time(created),
        },
        "spec": {"containers": [{"name": "bookie", "image": versions.image(REPO, version)}]},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [container],
        },
    }
    if terminating:
        result["metadata"]["deletionTimestamp"] = cond.format_time(created)
    for key, value in extra.items():
        result["status"][key] = value
    return result


def statefulset(version, name="bk-bookie"):
    return {
        "metadata": {"name": name},
        "spec": {
            "template": {
                "metadata": {"annotations": {"bookkeeper.version": version}},
                "spec": {"containers": [{"name": "bookie", "image": versions.image(REPO, version)}]},
            }
        },
    }


def cluster(spec_version, status=None, replicas=3, timeout=None, name="bk"):
    spec = {"version": spec_version, "replicas": replicas}
    if timeout is not None:
        spec["upgradeTimeout"] = timeout
    return {"metadata": {"name": name, "namespace": "default"}, "spec": spec, "status": status or {}}


def idle_status(version, history=None):
    return {
        "currentVersion": version,
        "targetVersion": "",
        "versionHistory": list(history or [version]),
        "conditions": cond.with_defaults([]),
    }


def status_with(condition_type, reason="", target="", history=("0.12.0", "0.13.0")):
    """An idle status at 0.13.0 with ``condition_type`` True for ``reason``, on its way to ``target``."""
    status = idle_status("0.13.0", list(history))
    status["targetVersion"] = target
    status["conditions"] = cond.set_condition(status["conditions"], condition_type, cond.TRUE, at(0), reason, "m")
    return status


# The states admission and reconcile decide on.
IDLE = idle_status("0.13.0", ["0.12.0", "0.13.0"])
UPGRADING = status_with(cond.UPGRADING, target="0.14.0")
ROLLING_BACK = status_with(cond.ROLLBACK_IN_PROGRESS, cond.UPDATING, target="0.13.0")
UPGRADE_FAILED = status_with(cond.ERROR, cond.UPGRADE_FAILED)
ROLLBACK_FAILED = status_with(cond.ERROR, cond.ROLLBACK_FAILED)
OTHER_ERROR = status_with(cond.ERROR, "Other")


def snapshot(cr, sts, pod_list):
    return {"cluster": copy.deepcopy(cr), "components": [{"name": "bookie", "workload": sts, "pods": pod_list}]}


def healthy(version, replicas=3, name="bk"):
    return [pod("%s-bookie-%d" % (name, i), version) for i in range(replicas)]


# What a recreated pod shows once its container has started, by what its version does (FakeCluster.behaviour).
STARTED_WAITING = {"pull": "ImagePullBackOff", "crash": "CrashLoopBackOff", "slow": "ContainerCreating"}


class FakeCluster:
    """A cluster that obeys the decisions of the core, as the adapter and kubelet would.

    ``behaviour`` maps a version to what its pods do once recreated: "ready",
    "pull" (the image does not exist), "crash" or "slow" (never Ready, no fault).
    """

    def __init__(self, cr, replicas, version, behaviour=None):
        self.cr = copy.deepcopy(cr)
        self.sts = statefulset(version, "%s-bookie" % cr["metadata"]["name"])
        self.pods = healthy(version, replicas, cr["metadata"]["name"])
        self.behaviour = behaviour or {}
        self.replaced = []
        self.events = []
        self.generation = 0
        self.now = T0
        self.health = None  # what a health check would answer; None: no health gate

    def snapshot(self):
        result = snapshot(self.cr, copy.deepcopy(self.sts), copy.deepcopy(self.pods))
        if self.health is not None:
            result["health"] = dict(self.health)
        return result

    def unavailable(self):
        return sum(1 for p in self.pods if p["status"]["conditions"][0]["status"] != "True")

    def apply(self, decision):
        if decision.status is not None:
            self.cr["status"] = copy.deepcopy(decision.status)
        if decision.event:
            self.events.append(decision.event)
        effect = decision.effect
        if not effect:
            return
        if effect["type"] == machine.UPDATE_TEMPLATE:
            self.sts = statefulset(effect["version"], self.sts["metadata"]["name"])
        elif effect["type"] == machine.REPLACE_POD:
            self.replaced.append(effect["pod"])
            self.generation += 1
            version = self.sts["spec"]["template"]["metadata"]["annotations"]["bookkeeper.version"]
            self.put(self.started(effect["pod"], version, "uid-%s-%d" % (effect["pod"], self.generation), self.now))

    def started(self, name, version, uid, created):
        """Pod ``name`` once its container has started, as ``behaviour`` says ``version`` behaves."""
        kind = self.behaviour.get(version, "ready")
        return pod(name, version, ready=kind == "ready", waiting=STARTED_WAITING.get(kind), uid=uid, created=created)

    def put(self, fresh):
        """Put ``fresh`` in the place of the pod of the same name."""
        name = fresh["metadata"]["name"]
        self.pods = [fresh if p["metadata"]["name"] == name else p for p in self.pods]

    def drive(self, now, intent=None, steps=200):
        """Run decide/apply until a terminal decision; returns the decisions made."""
        made = []
        self.now = now
        for _attempt in range(steps):
            decision = machine.decide(self.snapshot(), now, intent=intent)
            made.append(decision)
            self.apply(decision)
            assert self.unavailable() <= 1, "two bookies down after %s" % (decision,)
            if decision.kind in machine.TERMINAL or decision.kind == machine.WAIT:
                return made
        raise AssertionError("no terminal decision after %d steps: %s" % (steps, made[-3:]))
