# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""What each module does, over the adapter: check the request, then drive the core.

Refusals happen before the first write, so a refused request changes nothing.
Check mode only reads, and returns the plan the run would follow.

Each operation takes the clocks the runner takes: ``clock`` (the wall clock's
aware UTC now, for what is recorded) and ``monotonic`` (for how long a run has
taken), so that its time rules are tested without sleeping.
"""

__metaclass__ = type

import contextlib
import functools
import time

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import (
    admission,
    data_plane,
    helm,
    machine,
    manifests,
    resource,
    summary,
    versions,
)
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils.core.errors import (
    KubeError,
    LeaseHeld,
    Refused,
    RunFailed,
    TimedOut,
)
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import runner, waiting
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import utcnow


def _unchanged(snapshot, now):
    """The result of a run that writes nothing: the cluster as ``snapshot`` shows it at ``now``."""
    status = summary.status_of(snapshot["cluster"])
    return {
        "changed": False,
        "cluster": summary.summarize(snapshot, now),
        "diff": {"before": status, "after": status},
        "steps": [],
    }


def _planned(snapshot, target, changed, now):
    return dict(_unchanged(snapshot, now), changed=changed, plan=machine.plan(snapshot, target) if target else [])


def _settled(snapshot, version, now):
    """True when the cluster asks for ``version``, is at it, and the core has nothing to write or repair."""
    if (snapshot["cluster"].get("spec") or {}).get("version") != version:
        return False
    decision = machine.decide(snapshot, now)
    return decision.kind == machine.IDLE and decision.status is None and decision.effect is None


def _drive_holding_lease(api, *, intent, version, options, clock, monotonic, first=None):
    """Under the Lease: run ``first`` (if any), set spec.version to ``version``, drive the rollout."""
    started = monotonic()
    with _lease_held(api, clock()):
        changed = bool(first and first())
        changed = _set_version(api, version) or changed
        try:
            result = runner.drive(api, intent=intent, options=options, clock=clock, monotonic=monotonic)
        except RunFailed as failure:
            failure.result["changed"] = True
            if options.auto_rollback and cond.is_true(
                failure.result["diff"]["after"].get("conditions"), cond.ERROR, cond.UPGRADE_FAILED
            ):
                remaining = options.timeout - (monotonic() - started)
                # The rollback covers every bookie, not only the one the upgrade was asked to stop at.
                _roll_back_automatically(
                    api,
                    failure,
                    options.replace(timeout=max(remaining, 1), pod=None),
                    clock=clock,
                    monotonic=monotonic,
                )
            raise
    result["changed"] = result["changed"] or changed
    return result


@contextlib.contextmanager
def _lease_held(api, now):
    """The cluster's Lease, taken at ``now`` for the block and released after it.

    After a failure the release must not hide why the block failed: a release the API server does not answer
    (often the very failure) leaves the Lease to expire, and the next run takes it over.
    """
    api.acquire(now)
    try:
        yield
    except BaseException:
        try:
            api.release()
        except KubeError:
            pass
        raise
    api.release()


def _roll_back_automatically(api, failure, options, *, clock, monotonic):
    """After a failed upgrade: roll back to the last stable version, then raise what happened."""
    failed_steps = failure.result["steps"]
    target = failure.result["cluster"]["last_stable_version"]
    _set_version(api, target)
    try:
        result = runner.drive(api, intent=machine.AUTO_ROLLBACK, options=options, clock=clock, monotonic=monotonic)
    except RunFailed as second:
        second.result.update(changed=True, rolled_back=False, steps=failed_steps + second.result["steps"])
        raise RunFailed(
            "%s; the automatic rollback to %s failed as well: %s" % (failure, target, second), second.result
        ) from second
    done = result["cluster"]["current_version"] == target and not result["cluster"]["target_version"]
    result.update(changed=True, rolled_back=done, steps=failed_steps + result["steps"])
    raise RunFailed(
        "%s; %s"
        % (
            failure,
            "rolled back to %s automatically" % target if done else "automatic rollback to %s started" % target,
        ),
        result,
    )


def _as_the_machine_reads(snapshot, now):
    """The cluster's status as machine.decide reads it, so that a request is admitted on what the run will see.

    (An Upgrading left True with no targetVersion, as the Pravega operator may leave it, is no upgrade.)
    """
    return machine.refreshed(snapshot, now)


def _check_pod(snapshot, pod):
    """Refuse a ``pod`` option that names no bookie of the cluster (ordinals of its StatefulSets)."""
    if not pod:
        return
    cluster = snapshot["cluster"]
    bookies = [
        "%s-%d" % (resource.workload_name(cluster["metadata"]["name"], component["name"]), ordinal)
        for component in snapshot["components"]
        for ordinal in range(resource.spec_replicas(cluster))
    ]
    if pod not in bookies:
        shown = ", ".join(bookies[:5]) + (", ..." if len(bookies) > 5 else "")
        raise Refused(
            "pod %s is not a bookie of cluster %s; its bookies are %s" % (pod, cluster["metadata"]["name"], shown)
        )


def _set_version(api, version):
    """Set spec.version unless it is already ``version``; True when written."""

    def attempt():
        cluster = api.get_cluster()
        if (cluster.get("spec") or {}).get("version") == version:
            return False
        api.set_version(cluster, version)
        return True

    return waiting.retry_conflicts(
        attempt, gave_up="gave up setting spec.version after repeated write conflicts; retryable"
    )


def upgrade(api, *, version, options, clock=utcnow, monotonic=time.monotonic):
    """Upgrade the cluster to ``version``, as ``options`` (a runner.RolloutOptions) say."""
    snapshot = api.observe()
    observed = _as_the_machine_reads(snapshot, clock())
    verdict = admission.check_upgrade(observed, version)
    if not verdict.allowed:
        raise Refused(verdict.message)
    _check_pod(snapshot, options.pod)
    abort_reason = resource.abort_requested(snapshot["cluster"])
    if abort_reason is not None and not cond.is_true(observed.get("conditions"), cond.UPGRADING):
        raise Refused(
            "the cluster carries the annotation %s (%s), so no upgrade starts; roll back with bk_rollback, or remove "
            "the annotation (kubectl annotate bk %s %s-) to upgrade"
            % (resource.ABORT_ANNOTATION, abort_reason, api.name, resource.ABORT_ANNOTATION)
        )
    settled = _settled(snapshot, version, clock())
    if options.check_mode:
        return _planned(snapshot, "" if settled else version, not settled, clock())
    if settled:
        # Nothing to write, so no Lease either: a rerun, a fleet or a reconcile on a done cluster costs one read.
        return _unchanged(snapshot, clock())
    return _drive_holding_lease(api, intent=None, version=version, options=options, clock=clock, monotonic=monotonic)


def helm_revision(api, helm_options, last_stable):
    """The Helm revision a rollback goes back to; Refused when it would not deploy ``last_stable``."""
    entries = helm.history(
        [helm.decode_release(record) for record in api.helm_release_records(helm_options["release"])], api.name
    )
    choice = helm.choose_revision(helm_options["release"], entries, last_stable, helm_options.get("revision"))
    if not choice.allowed:
        raise Refused(choice.message)
    return choice.revision, entries


def rollback(api, *, version=None, options, helm_options=None, clock=utcnow, monotonic=time.monotonic):
    """Roll back to the last stable version (or ``version``, which must be it); with ``helm_options``, through
    ``helm rollback``. ``options`` is a runner.RolloutOptions; its auto_rollback does not apply here.

    ``helm_options``: release, revision (None: the newest one that deploys the
    last stable version), binary and the connection settings for helm.
    """
    snapshot = api.observe()
    observed = _as_the_machine_reads(snapshot, clock())
    current = observed.get("currentVersion")
    if version in (None, current) and current and _settled(snapshot, current, clock()):
        # Nothing failed, nothing runs: as bk_upgrade on a settled cluster, one read, no Lease, no write.
        return dict(_unchanged(snapshot, clock()), msg="nothing to roll back: the cluster is healthy at %s" % current)
    verdict = admission.check_rollback(observed, version)
    if not verdict.allowed:
        raise Refused(verdict.message)
    _check_pod(snapshot, options.pod)
    revision = entries = None
    if helm_options:
        revision, entries = helm_revision(api, helm_options, verdict.target)
    if options.check_mode:
        result = _planned(snapshot, verdict.target, True, clock())
        if helm_options:
            result.update(helm_revision=revision, helm_history=entries)
        return result

    def helm_rollback():
        if (api.get_cluster().get("spec") or {}).get("version") == verdict.target:
            return False  # done by an earlier run, or by hand
        api.helm_rollback(
            binary=helm_options["binary"],
            release=helm_options["release"],
            revision=revision,
            settings=helm_options["settings"],
        )
        return True

    if resource.abort_requested(snapshot["cluster"]) is not None:
        # The abort did its work: it ended the upgrade. Left in place, it would stop the next one.
        api.annotate(resource.ABORT_ANNOTATION, None)
    result = _drive_holding_lease(
        api,
        intent=machine.ROLLBACK,
        version=verdict.target,
        options=options.replace(auto_rollback=False),
        first=helm_rollback if helm_options else None,
        clock=clock,
        monotonic=monotonic,
    )
    if helm_options:
        result.update(helm_revision=revision, helm_history=entries)
    return result


def abort(api, *, reason=None, options, clock=utcnow, monotonic=time.monotonic):
    """Stop the upgrade in progress before its next pod; it is then recorded as UpgradeFailed.

    The request is the cluster's abort annotation, so a run driving the upgrade
    elsewhere (holding the Lease) sees it at its next look. With ``options.wait``,
    this returns once the abort is recorded in the status, or fails after ``options.timeout``.
    """
    snapshot = api.observe()
    observed = _as_the_machine_reads(snapshot, clock())
    active = machine.rollout_in_progress(observed)
    if active != machine.UPGRADE:
        last = observed.get("lastRollout") or {}
        if cond.is_true(observed["conditions"], cond.ERROR, cond.UPGRADE_FAILED) and last.get("result") == "Aborted":
            return _planned(snapshot, "", False, clock())
        state = "rolling back" if active == machine.ROLLBACK else "not upgrading"
        raise Refused(
            "there is no upgrade to abort: the cluster is %s (current version %s)"
            % (state, observed.get("currentVersion") or "unknown")
        )
    if options.check_mode:
        return _planned(snapshot, "", True, clock())
    api.annotate(resource.ABORT_ANNOTATION, reason or "requested")
    return waiting.wait_until(
        functools.partial(
            _abort_recorded,
            api,
            before=summary.status_of(snapshot["cluster"]),
            options=options,
            clock=clock,
            monotonic=monotonic,
        ),
        timeout=options.timeout,
        pause=api.wait_for_cluster_change,  # the status that records the abort, written by whichever run drives
        timed_out=lambda: (
            "the abort was requested (annotation %s) but the run driving the upgrade did not record "
            "it within %d s" % (resource.ABORT_ANNOTATION, options.timeout)
        ),
        monotonic=monotonic,
    )


def _abort_recorded(api, *, before, options, clock, monotonic):
    """One look after an abort was requested: the result once the abort is recorded (or at once without wait).

    With no other run holding the Lease, this run records it; else the run that holds it does, at its next look.
    """
    try:
        with _lease_held(api, clock()):
            try:
                runner.drive(
                    api,
                    options=runner.RolloutOptions(wait=False, timeout=options.timeout),
                    clock=clock,
                    monotonic=monotonic,
                )
            except RunFailed:
                pass  # the abort, recorded as UpgradeFailed
    except LeaseHeld:
        pass  # taken by the run that drives the upgrade: it records the abort
    result = runner.Run(api, clock, before=before).result()
    result["changed"] = True
    result["aborted"] = not cond.is_true(result["diff"]["after"].get("conditions"), cond.UPGRADING)
    return result if result["aborted"] or not options.wait else None


# How long bk_status gives back what a stopped run left before it reports what is still recorded.
GIVE_BACK_SECONDS = 30


def status(api, *, condition=None, check_mode=False, clock=utcnow, monotonic=time.monotonic):
    """The cluster's summary; with ``condition``, that condition set by the reference's timestamp rules.

    What data-plane mode took and a stopped run left recorded (status.dataPlane) is given back first, unless a
    rollout is in progress (its run, or the next one, gives it back) or another run holds the Lease.
    """
    given_back = None if check_mode else _give_back_left_over(api, clock=clock, monotonic=monotonic)

    def attempt():
        snapshot = api.observe()
        before = summary.status_of(snapshot["cluster"])
        result = {
            "changed": False,
            "cluster": summary.summarize(snapshot, clock()),
            "diff": {"before": before, "after": before},
        }
        if given_back:
            result.update(changed=True, steps=given_back)
        if not condition:
            return result
        after = dict(before)
        after["conditions"] = cond.set_condition(
            cond.with_defaults(before.get("conditions")),
            condition["type"],
            condition["status"],
            clock(),
            condition.get("reason") or "",
            condition.get("text") or "",
        )
        if after == before:
            return result
        result["diff"]["after"] = after
        result["changed"] = True
        if check_mode:
            return result
        api.write_status(snapshot["cluster"], after)
        result["cluster"] = summary.summarize(api.observe(), clock())
        return result

    return waiting.retry_conflicts(
        attempt, gave_up="gave up writing the condition after repeated write conflicts; retryable"
    )


def _give_back_left_over(api, *, clock, monotonic):
    """The steps that gave back what status.dataPlane records, when no rollout runs; [] when nothing was left."""
    observed = _as_the_machine_reads(api.observe(), clock())
    if not data_plane.record(observed) or machine.rollout_in_progress(observed):
        return []
    try:
        with _lease_held(api, clock()):
            result = runner.drive(
                api,
                options=runner.RolloutOptions(wait=True, timeout=GIVE_BACK_SECONDS),
                clock=clock,
                monotonic=monotonic,
                decide=machine.give_back,
            )
    except LeaseHeld:
        return []  # the run that holds it gives back
    except TimedOut as waited:
        result = waited.result or {"steps": []}  # a bookie not writable yet: status.dataPlane still says so
    return [step for step in result["steps"] if step["step"] in data_plane.KINDS]


def deploy(api, *, spec, crd=None, options, clock=utcnow, monotonic=time.monotonic):
    """Create or update the cluster resource and its workload; a repeated run changes nothing.

    ``options`` is a runner.RolloutOptions: its wait, timeout and check_mode apply.

    spec.version is only set when the cluster is created: later version changes
    are upgrades, made by bk_upgrade, and a deploy run never undoes them.
    """
    problem = manifests.spec_problem(spec)
    if problem:
        raise Refused(problem)
    changed = []
    if crd:
        if api.apply(crd, options.check_mode)[0]:
            changed.append("CustomResourceDefinition %s" % crd["metadata"]["name"])
        if not options.check_mode:
            api.wait_for_type()
    existing = api.find_cluster()
    spec = dict(spec)
    if existing is not None:
        spec["version"] = (existing.get("spec") or {}).get("version") or spec.get("version")
    versions.check_requested(versions.effective(spec.get("version")))
    wanted = manifests.cluster(api.name, api.namespace, spec)
    resource_changed, applied = api.apply(wanted, options.check_mode)
    if resource_changed:
        changed.append("BookkeeperCluster %s" % api.name)
    observed = (existing or {}).get("status") or {}
    template_version = observed.get("currentVersion") or versions.effective(spec.get("version"))
    for obj in manifests.workload(applied if not options.check_mode else wanted, template_version):
        if api.apply(obj, options.check_mode)[0]:
            changed.append("%s %s" % (obj["kind"], obj["metadata"]["name"]))
    if options.check_mode:
        return {
            "changed": bool(changed),
            "applied": changed,
            "cluster": {},
            "steps": [],
            "diff": {"before": observed, "after": observed},
        }
    if options.wait:
        _wait_ready(api, options.timeout, monotonic)
    result = runner.drive(
        api, options=runner.RolloutOptions(wait=False, timeout=options.timeout), clock=clock, monotonic=monotonic
    )
    result["changed"] = result["changed"] or bool(changed)
    result["applied"] = changed
    return result


def _wait_ready(api, timeout, monotonic):
    state = {}

    def ready():
        state.update(machine.observed(api.observe()))
        return state["readyReplicas"] == state["replicas"] == state["currentReplicas"]

    waiting.wait_until(
        ready,
        timeout=timeout,
        pause=api.wait_for_change,
        timed_out=lambda: (
            "timed out after %d s waiting for the bookies to become Ready (%d of %d; not Ready: %s)"
            % (
                timeout,
                state["readyReplicas"],
                state["replicas"],
                ", ".join(state["members"]["unready"] or []) or "pods not created yet",
            )
        ),
        monotonic=monotonic,
    )
