# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""The upgrade and rollback state machine.

``decide(snapshot, now)`` is a pure function: from one observation of a
cluster it returns the next Decision, made of the status to write, at most one
effect on the cluster's workloads and at most one event. Status is the only
memory, so a run stopped at any instant is resumed by the next one.

A snapshot is plain data::

    {"cluster": <BookkeeperCluster>,
     "components": [{"name": "bookie", "workload": <StatefulSet or None>,
                     "pods": [<Pod>, ...]}]}

The life of a cluster, as the reference operator records it:

* idle: ``currentVersion == spec.version``; Upgrading, PodsReady and Error exist.
* upgrade: a newer ``spec.version`` on a cluster whose pods are all Ready sets
  ``targetVersion`` and Upgrading True; each component then gets the new pod
  template and its pods are replaced one at a time, lowest ordinal first.
  Completion appends the version to ``versionHistory``.
* UpgradeFailed: a replaced pod that cannot start, or no progress within
  ``upgradeTimeout`` minutes, sets Error True/UpgradeFailed. The pod template
  goes back to the current version at once, so no other pod drifts onto the
  broken image while the cluster waits for a human.
* rollback: only from UpgradeFailed and only to the last stable version (the
  last entry of versionHistory), triggered by setting ``spec.version`` back to
  it. RollbackInProgress shows the progress; success clears Error.
* RollbackFailed: the way out, once the cause is fixed, is either a repeated
  rollback (``bk_rollback`` again, the ``rollback`` intent here) or an upgrade
  to a new version, which clears Error and starts over. The reference leaves
  this state as a dead end.

Beyond the reference:

* abort: the annotation ``bookkeeper.ops/abort`` on the cluster stops an
  upgrade at its next decision. It is recorded as Error/UpgradeFailed with a
  message saying so, which is what allows the rollback afterwards. While the
  annotation stays, no new upgrade starts.
* health gate: when the snapshot carries ``health``, a Ready bookie is taken
  down only after the check passed; the core asks for the check with a
  CHECK_HEALTH decision and reads its result from the next snapshot. While it
  fails, the rollout waits, HealthCheckFailing says why, and the progress
  deadline runs.
* status.lastRollout records how the last upgrade or rollback ended (with
  its trigger: requested, or automatic after a failed upgrade).
* data-plane mode: when the snapshot carries ``data_plane``, BookKeeper's own
  admin API is used around each replacement (autorecovery paused, capacity
  checked, read-only first, writable again after), and whatever the rollout
  took from the data plane is given back before it completes, fails or rests
  (core/data_plane.py holds the rules; OBSERVE_DATA_PLANE asks for a look).

Safety: a pod is replaced only when every replica exists, none is terminating
and every pod but the one to replace is Ready, so at most one bookie is down
because of us. An unready pod that is not on the target version is replaced
first, since it is down already.
"""

__metaclass__ = type

import collections
import copy

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import data_plane, faults, pods, resource, versions

# Rollout kinds, as status.rollout.action and status.lastRollout.action record them.
UPGRADE = "upgrade"
ROLLBACK = "rollback"
# The intent of a rollback started by the tool itself after a failed upgrade.
AUTO_ROLLBACK = "auto_rollback"

# Decision kinds.
INITIALIZE = "initialize"
START_UPGRADE = "start_upgrade"
START_ROLLBACK = "start_rollback"
UPDATE_TEMPLATE = "update_template"
REPLACE_POD = "replace_pod"
WAIT = "wait"
CHECK_HEALTH = "check_health"
OBSERVE_DATA_PLANE = data_plane.OBSERVE
COMPLETE = "complete"
FAIL = "fail"
HOLD = "hold"
IDLE = "idle"
# Kinds after which a driving loop stops: nothing more will happen without a human.
TERMINAL = frozenset((FAIL, HOLD, IDLE))


EVENT_REASONS = {UPGRADE: "Upgrade Error", ROLLBACK: "Rollback Error"}
AUTO_ROLLBACK_EVENT_REASON = "Automatic Rollback"
_EVENT_VERBS = {UPGRADE: "Upgrading", ROLLBACK: "Rollingback"}
_ACTIVE_CONDITION = {UPGRADE: cond.UPGRADING, ROLLBACK: cond.ROLLBACK_IN_PROGRESS}
_FAILED_REASON = {UPGRADE: cond.UPGRADE_FAILED, ROLLBACK: cond.ROLLBACK_FAILED}

# ``effect`` is the one change to the workloads or the bookies (a dict whose "type" is UPDATE_TEMPLATE,
# REPLACE_POD, CHECK_HEALTH, OBSERVE_DATA_PLANE or one of data_plane.KINDS), or None.
Decision = collections.namedtuple("Decision", "kind message status effect event")


def rollout_in_progress(status):
    """UPGRADE or ROLLBACK while that rollout runs (its condition is True in the refreshed ``status``), else None."""
    if cond.is_true(status["conditions"], cond.ROLLBACK_IN_PROGRESS):
        return ROLLBACK
    if cond.is_true(status["conditions"], cond.UPGRADING):
        return UPGRADE
    return None


def observed(snapshot):
    """The replica counts and member lists a status carries."""
    all_pods = [pod for component in snapshot["components"] for pod in component.get("pods") or ()]
    ordered = pods.by_ordinal(all_pods)
    ready = [pods.name(pod) for pod in ordered if pods.is_ready(pod)]
    unready = [pods.name(pod) for pod in ordered if not pods.is_ready(pod)]
    return {
        "replicas": resource.spec_replicas(snapshot["cluster"]),
        "currentReplicas": len(ordered),
        "readyReplicas": len(ready),
        "members": {"ready": ready or None, "unready": unready or None},
    }


def refreshed(snapshot, now):
    """The stored status with the observed counts, and what the reference leaves out or empty filled in.

    Its empty fields are missing (omitempty); versionHistory is seeded with the
    current version, as the reference does; a rollout condition that is True
    without a targetVersion is cleared, as the reference cancels such a rollout,
    since carrying it on would point the pods at an empty image tag.
    """
    status = copy.deepcopy(snapshot["cluster"].get("status") or {})
    status.update(observed(snapshot))
    status["targetVersion"] = status.get("targetVersion") or ""
    status["versionHistory"] = versions.history(status)
    all_ready = status["readyReplicas"] == status["replicas"]
    conditions = cond.with_defaults(status.get("conditions"))
    if not status["targetVersion"]:
        for active in (cond.UPGRADING, cond.ROLLBACK_IN_PROGRESS):
            if cond.is_true(conditions, active):
                conditions = cond.clear(conditions, active, now)
                status.pop("rollout", None)
    status["conditions"] = cond.set_condition(conditions, cond.PODS_READY, cond.TRUE if all_ready else cond.FALSE, now)
    return status


def _error_text(error):
    """What the Error condition says; the reference leaves out an empty message."""
    return error.get("message") or error.get("reason") or "no message recorded"


def _decision(snapshot, kind, message, status, effect=None, event=None):
    old = snapshot["cluster"].get("status") or {}
    return Decision(kind, message, None if status == old else status, effect, event)


def _template_effect(cluster, component, version):
    return {
        "type": UPDATE_TEMPLATE,
        "component": component["name"],
        "workload": resource.workload_name(cluster["metadata"]["name"], component["name"]),
        "image": versions.image(resource.repository(cluster), version),
        "version": version,
    }


def _template_matches(cluster, component, version):
    workload = component.get("workload")
    return workload is None or (
        resource.template_image(workload) == versions.image(resource.repository(cluster), version)
        and resource.template_version(workload) == version
    )


def _drifted_template(cluster, snapshot, version):
    """An effect putting back the template of the first component not at ``version``, if any."""
    for component in snapshot["components"]:
        if not _template_matches(cluster, component, version):
            return _template_effect(cluster, component, version)
    return None


def decide(snapshot, now, intent=None, limits=faults.DEFAULT_LIMITS):
    """The next Decision for the cluster in ``snapshot`` at ``now``.

    ``intent`` is ROLLBACK when a user asked for a rollback explicitly (in
    RollbackFailed it repeats the rollback), AUTO_ROLLBACK when the tool rolls
    back a failed upgrade by itself (recorded as the rollback's trigger).
    """
    cluster = snapshot["cluster"]
    status = refreshed(snapshot, now)
    requested = resource.spec_version(cluster)
    if not status.get("currentVersion"):
        status.update(currentVersion=requested, versionHistory=[requested], targetVersion="")
        return _decision(snapshot, INITIALIZE, "recorded %s as the current version" % requested, status)
    active = rollout_in_progress(status)
    if active == UPGRADE:
        abort = resource.abort_requested(cluster)
        if abort is not None:
            return _abort(snapshot, status, now, abort)
    if active:
        return _rollout(snapshot, status, now, active, limits)
    if cond.is_true(status["conditions"], cond.ERROR):
        return _decide_in_error(snapshot, status, now, requested, intent)
    return _decide_at_rest(snapshot, status, now, requested)


def _decide_in_error(snapshot, status, now, requested, intent):
    """The next Decision after a failed rollout (or another recorded error): a rollback, an upgrade, or a hold."""
    conditions, current = status["conditions"], status["currentVersion"]
    last_stable = versions.rollback_target(status)
    error = cond.find(conditions, cond.ERROR)
    if cond.is_true(conditions, cond.ERROR, cond.UPGRADE_FAILED):
        if requested == last_stable:
            return _start(snapshot, status, now, ROLLBACK, last_stable, intent)
        message = "upgrade failed: %s; set spec.version back to %s to roll back" % (_error_text(error), last_stable)
        return _hold(snapshot, status, now, message, current)
    if cond.is_true(conditions, cond.ERROR, cond.ROLLBACK_FAILED):
        if intent == ROLLBACK and requested == last_stable:
            return _start(snapshot, status, now, ROLLBACK, last_stable, intent)
        if _is_upgrade(requested, current):
            return _start_upgrade(snapshot, status, now, requested)
        message = "rollback failed: %s; fix the cause, then roll back to %s again or upgrade to a new version" % (
            _error_text(error),
            last_stable,
        )
        return _hold(snapshot, status, now, message, current)
    return _hold(snapshot, status, now, "cluster is in error state: %s" % _error_text(error), current)


def _decide_at_rest(snapshot, status, now, requested):
    """The next Decision for a healthy cluster with no rollout: nothing, the repair of a template, or an upgrade."""
    current = status["currentVersion"]
    if requested == current:
        given_back = _give_back(snapshot, status, now)
        if given_back:
            return given_back
        effect = _drifted_template(snapshot["cluster"], snapshot, current)
        return _decision(snapshot, IDLE, "cluster is at version %s" % current, status, effect)
    if not versions.is_valid(requested):
        return _hold(
            snapshot, status, now, "spec.version %r is not valid (%s)" % (requested, versions.VERSION_FORM), current
        )
    if not _is_upgrade(requested, current):
        message = "downgrading the cluster from version %s to %s is not supported" % (current, requested)
        return _hold(snapshot, status, now, message, current)
    unready = status["members"]["unready"]
    if not cond.is_true(status["conditions"], cond.PODS_READY):
        message = "cannot trigger upgrade if there are unready pods (%s of %s Ready%s)" % (
            status["readyReplicas"],
            status["replicas"],
            ": " + ", ".join(unready) + " not Ready" if unready else "",
        )
        return _decision(snapshot, WAIT, message, status)
    return _start_upgrade(snapshot, status, now, requested)


def _is_upgrade(requested, current):
    return versions.is_valid(requested) and requested != current and versions.compare(requested, current) >= 0


def _hold(snapshot, status, now, message, stable_version):
    given_back = _give_back(snapshot, status, now)
    if given_back:
        return given_back
    return _decision(snapshot, HOLD, message, status, _drifted_template(snapshot["cluster"], snapshot, stable_version))


def give_back(snapshot, now, intent=None, limits=None):
    """The next decision that gives back what status.dataPlane records, whatever else the cluster waits for;
    IDLE (writing nothing) when nothing is left. As ``decide``, for a run that only puts the data plane right."""
    del intent, limits  # as decide's, so that a run can take either
    status = refreshed(snapshot, now)
    given_back = None if rollout_in_progress(status) else _give_back(snapshot, status, now)
    return given_back or Decision(IDLE, "nothing recorded in status.dataPlane to give back", None, None, None)


def _ready_names(snapshot):
    return [
        pods.name(pod)
        for component in snapshot["components"]
        for pod in pods.by_ordinal(component.get("pods") or ())
        if pods.is_ready(pod) and not pods.is_terminating(pod)
    ]


def _give_back(snapshot, status, now, keep_paused=False, leaving=None):
    """The decision that gives back what data-plane mode took (see data_plane.give_back), or None."""
    move = data_plane.give_back(
        snapshot.get("data_plane"), status, now, _ready_names(snapshot), keep_paused=keep_paused, leaving=leaving
    )
    return None if move is None else _data_plane_decision(snapshot, status, now, move)


def _data_plane_decision(snapshot, status, now, move):
    kind, message, effect = move
    if effect and effect["type"] in data_plane.KINDS:
        data_plane.after_change(status, effect, now)
    return _decision(snapshot, kind, message, status, effect)


def _start_upgrade(snapshot, status, now, target):
    abort = resource.abort_requested(snapshot["cluster"])
    if abort is not None:
        message = (
            "an upgrade to %s does not start while the cluster carries the annotation %s (%s); remove it "
            % (
                target,
                resource.ABORT_ANNOTATION,
                abort,
            )
            + "to upgrade"
        )
        return _hold(snapshot, status, now, message, status["currentVersion"])
    return _start(snapshot, status, now, UPGRADE, target)


def _start(snapshot, status, now, rollout_kind, target, intent=None):
    conditions = status["conditions"]
    if rollout_kind == UPGRADE:
        conditions = cond.clear(conditions, cond.ERROR, now)
    status["conditions"] = cond.set_condition(conditions, _ACTIVE_CONDITION[rollout_kind], cond.TRUE, now)
    status["targetVersion"] = target
    started = cond.format_time(now)
    trigger = "automatic" if intent == AUTO_ROLLBACK else "requested"
    status["rollout"] = {
        "action": rollout_kind,
        "trigger": trigger,
        "startedAt": started,
        "lastProgressTime": started,
        "readyOnTarget": 0,
    }
    kind = START_UPGRADE if rollout_kind == UPGRADE else START_ROLLBACK
    message = "%s from %s to %s started" % (rollout_kind, status["currentVersion"], target)
    event = None
    if trigger == "automatic":
        failed = status.get("lastRollout") or {}
        event = {
            "reason": AUTO_ROLLBACK_EVENT_REASON,
            "message": "Rolling back to version %s automatically after the failed upgrade to %s. %s"
            % (target, failed.get("toVersion", "?"), failed.get("message", "")),
            "type": "Warning",
        }
    return _decision(snapshot, kind, message, status, event=event)


def _rollout(snapshot, status, now, rollout_kind, limits):
    """The next decision of an upgrade or a rollback toward status.targetVersion."""
    cluster = snapshot["cluster"]
    target = status["targetVersion"]
    active = _ACTIVE_CONDITION[rollout_kind]
    rollout = status.setdefault("rollout", {"action": rollout_kind, "lastProgressTime": cond.format_time(now)})
    rollout["action"] = rollout_kind
    replicas = resource.spec_replicas(cluster)
    for component in snapshot["components"]:
        sts_name = resource.workload_name(cluster["metadata"]["name"], component["name"])
        ordered = pods.by_ordinal(component.get("pods") or ())
        on_target = _on_target(ordered, target, cond.parse_time(rollout.get("startedAt")))
        ready_on_target = sum(1 for pod in on_target if pods.is_ready(pod))
        if ready_on_target > rollout.get("readyOnTarget", 0):
            rollout["lastProgressTime"] = cond.format_time(now)
        rollout.update(component=component["name"], readyOnTarget=ready_on_target)
        status["conditions"] = cond.set_condition(
            status["conditions"], active, cond.TRUE, now, cond.UPDATING, str(len(on_target))
        )
        if component.get("workload") is None:
            move = _wait("statefulset %s does not exist" % sts_name)
        elif not _template_matches(cluster, component, target):
            effect = _template_effect(cluster, component, target)
            return _decision(
                snapshot, UPDATE_TEMPLATE, "%s: pod template set to %s" % (sts_name, effect["image"]), status, effect
            )
        else:
            for pod in on_target:
                fault = None if pods.is_ready(pod) else faults.classify(pod, now, limits)
                if fault:
                    return _fail(snapshot, status, now, rollout_kind, fault.message)
            done = len(ordered) == replicas and len(on_target) == replicas and ready_on_target == replicas
            if done:
                continue
            move = _next_pod(ordered, on_target, target, replicas, sts_name)
            move = _health_gate(snapshot, status, now, ordered, move)
            move = _data_plane_gate(snapshot, status, now, move)
        deadline = cond.parse_time(rollout["lastProgressTime"]) + resource.upgrade_timeout(cluster)
        if now > deadline:
            message = "updating statefulset (%s) failed due to progress deadline exceeded" % sts_name
            blocking = cond.find(status["conditions"], cond.HEALTH_CHECK_FAILING)
            if blocking and blocking["status"] == cond.TRUE:
                message += " (health check failing: %s)" % blocking["message"]
            return _fail(snapshot, status, now, rollout_kind, message)
        return _data_plane_decision(snapshot, status, now, move)
    return _give_back(snapshot, status, now) or _complete(snapshot, status, now, rollout_kind)


def _data_plane_gate(snapshot, status, now, move):
    """The move, unless data-plane mode has a step to take before the bookie it replaces goes down."""
    plane = snapshot.get("data_plane")
    kind, message, effect = move
    if plane is None or kind != REPLACE_POD:
        return move
    pod, ready = effect["pod"], _ready_names(snapshot)
    step = data_plane.give_back(plane, status, now, ready, keep_paused=True, leaving=pod)
    step = step or data_plane.before_replacing(plane, status, now, pod, ready)
    if step:
        return step
    added, grace = data_plane.eviction(plane, pod, ready)
    if grace is not None:
        effect = dict(effect, grace_seconds=grace)
    return kind, message + added, effect


def _health_gate(snapshot, status, now, ordered, move):
    """The move, unless it takes down a Ready bookie before the health check passed.

    An unready pod is replaced without the check: it is down already, and a
    cluster missing it may well report under-replicated ledgers.
    """
    health = snapshot.get("health")
    kind, _message, effect = move
    if health is None or kind != REPLACE_POD:
        return move
    pod = [candidate for candidate in ordered if pods.name(candidate) == effect["pod"]][0]
    if not pods.is_ready(pod):
        return move
    if health.get("passed") is None:
        message = "checking health (%s) before replacing pod %s" % (health["check"], effect["pod"])
        return CHECK_HEALTH, message, {"type": CHECK_HEALTH, "check": health["check"], "pod": effect["pod"]}
    if not health["passed"]:
        status["conditions"] = cond.set_condition(
            status["conditions"], cond.HEALTH_CHECK_FAILING, cond.TRUE, now, health["reason"], health["message"]
        )
        return _wait(
            "waiting for health check %s to pass before replacing pod %s: %s"
            % (health["check"], effect["pod"], health["message"])
        )
    status["conditions"] = cond.clear(status["conditions"], cond.HEALTH_CHECK_FAILING, now)
    return move


def _wait(message):
    """A move that waits: (kind, message, effect), as _next_pod and _health_gate return them."""
    return WAIT, message, None


def _on_target(ordered, target, started):
    """Pods that already run ``target`` for this rollout.

    A pod on the target version that was created before the rollout started
    and is not Ready is left over from an earlier attempt (a repeated rollback
    after RollbackFailed): it is replaced again, not taken as this run's fault.
    """

    def leftover(pod):
        created = cond.parse_time((pod.get("metadata") or {}).get("creationTimestamp"))
        return started is not None and created is not None and created < started and not pods.is_ready(pod)

    return [
        pod for pod in ordered if pods.version(pod) == target and not pods.is_terminating(pod) and not leftover(pod)
    ]


def _next_pod(ordered, on_target, target, replicas, sts_name):
    """WAIT with the reason, or REPLACE_POD for the one pod that may go down now."""
    current = {pods.name(pod) for pod in on_target}
    terminating = [pods.name(pod) for pod in ordered if pods.is_terminating(pod)]
    if terminating:
        return _wait("waiting for pod %s to terminate" % ", ".join(terminating))
    if len(ordered) < replicas:
        return _wait("waiting for %s to recreate %d of %d pods" % (sts_name, replicas - len(ordered), replicas))
    if len(ordered) > replicas:
        return _wait("waiting for %s to scale down to %d pods" % (sts_name, replicas))
    unready = [pod for pod in ordered if not pods.is_ready(pod)]
    for pod in unready:
        if pods.name(pod) in current:
            reason = faults.waiting_reason(pod)
            return _wait(
                "waiting for pod %s to become Ready on version %s%s"
                % (pods.name(pod), target, " (%s)" % reason if reason else "")
            )
    if len(unready) > 1:
        names = ", ".join(pods.name(pod) for pod in unready)
        return _wait("waiting for pods %s to become Ready before replacing another" % names)
    outdated = unready or [pod for pod in ordered if pods.name(pod) not in current]
    pod = outdated[0]
    effect = {"type": REPLACE_POD, "pod": pods.name(pod), "uid": pods.uid(pod), "from_version": pods.version(pod)}
    return REPLACE_POD, "replacing pod %s (%s -> %s)" % (pods.name(pod), pods.version(pod) or "?", target), effect


def _finish(status, now, rollout_kind, result, message):
    """Ends the rollout in status: conditions of the gate cleared, status.lastRollout written."""
    rollout = status.pop("rollout", None) or {}
    status["lastRollout"] = {
        "action": rollout_kind,
        "trigger": rollout.get("trigger", "requested"),
        "fromVersion": status["currentVersion"],
        "toVersion": status["targetVersion"],
        "startedAt": rollout.get("startedAt", ""),
        "finishedAt": cond.format_time(now),
        "result": result,
        "message": message,
    }
    conditions = cond.clear(status["conditions"], _ACTIVE_CONDITION[rollout_kind], now)
    return cond.clear(conditions, cond.HEALTH_CHECK_FAILING, now)


def _complete(snapshot, status, now, rollout_kind):
    target = status["targetVersion"]
    message = "%s to %s complete" % (rollout_kind, target)
    conditions = _finish(status, now, rollout_kind, "Succeeded", message)
    if rollout_kind == UPGRADE:
        status["versionHistory"] = versions.append_history(status.get("versionHistory"), target)
    else:
        conditions = cond.clear(conditions, cond.ERROR, now)
    status.update(conditions=conditions, currentVersion=target, targetVersion="")
    return _decision(snapshot, COMPLETE, message, status)


def _abort(snapshot, status, now, reason):
    target = status["targetVersion"]
    on_target = sum(
        1
        for component in snapshot["components"]
        for pod in component.get("pods") or ()
        if pods.version(pod) == target and not pods.is_terminating(pod)
    )
    message = "upgrade to %s aborted on request (annotation %s: %s) with %d of %d pods on %s" % (
        target,
        resource.ABORT_ANNOTATION,
        reason,
        on_target,
        status["replicas"],
        target,
    )
    return _fail(snapshot, status, now, UPGRADE, message, "Aborted")


def _fail(snapshot, status, now, rollout_kind, message, result="Failed"):
    # Data-plane mode gives back first; autorecovery stays paused for the rollback that follows at once.
    spec = (snapshot.get("data_plane") or {}).get("spec") or {}
    given_back = _give_back(snapshot, status, now, keep_paused=rollout_kind == UPGRADE and spec.get("keep_paused"))
    if given_back:
        return given_back
    current, target = status["currentVersion"], status["targetVersion"]
    conditions = _finish(status, now, rollout_kind, result, message)
    status["conditions"] = cond.set_condition(
        conditions, cond.ERROR, cond.TRUE, now, _FAILED_REASON[rollout_kind], message
    )
    status["targetVersion"] = ""
    event = {
        "reason": EVENT_REASONS[rollout_kind],
        "message": "Error %s from version %s to %s. %s" % (_EVENT_VERBS[rollout_kind], current, target, message),
        "type": "Warning",
    }
    effect = _drifted_template(snapshot["cluster"], snapshot, current)
    return _decision(snapshot, FAIL, message, status, effect, event)


def plan(snapshot, target):
    """The pods a rollout to ``target`` would replace, in the order it would replace them."""
    cluster = snapshot["cluster"]
    to_image = versions.image(resource.repository(cluster), target)
    planned = []
    for component in snapshot["components"]:
        ordered = pods.by_ordinal(component.get("pods") or ())
        outdated = [pod for pod in ordered if pods.version(pod) != target]
        outdated.sort(key=pods.is_ready)
        for pod in outdated:
            planned.append(
                {
                    "component": component["name"],
                    "pod": pods.name(pod),
                    "from_version": pods.version(pod),
                    "to_version": target,
                    "from_image": pods.image(pod),
                    "to_image": to_image,
                }
            )
    return planned
