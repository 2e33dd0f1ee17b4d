# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""The observe, decide, act loop that the bk_* modules share.

``drive`` takes an adapter with the ClusterAPI methods (so that it can be
exercised with a fake), asks the pure core for each step and carries it out.
With ``wait`` it loops until a terminal decision or the timeout, sleeping on
a watch of the cluster's pods between steps; without it, it makes one step.
"""

__metaclass__ = type

import datetime
import time

from ansible_collections.bookkeeper.ops.plugins.module_utils import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils import health as health_checks
from ansible_collections.bookkeeper.ops.plugins.module_utils import machine, pods, summary
from ansible_collections.bookkeeper.ops.plugins.module_utils.errors import Conflict, KubeError, RunFailed

# The longest sleep between two looks while nothing changes: it bounds how late
# a deadline or a grace period is noticed and keeps the Lease renewed.
MAX_SLEEP = 5.0
MAX_CONFLICTS = 20


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class RolloutOptions:
    """How a rollout runs, as the user asked: given by keyword, so that no call reads as a row of flags.

    ``wait``: go on until the rollout ends (else one step); ``timeout``: seconds for the whole run;
    ``check_mode``: only read, and return the plan; ``pod``: stop once that bookie is Ready on the target;
    ``health``: the health_check option; ``auto_rollback``: after a failed upgrade, roll back to the last
    stable version.
    """

    __slots__ = ("wait", "timeout", "check_mode", "pod", "health", "auto_rollback")

    def __init__(self, *, wait, timeout, check_mode=False, pod=None, health=None, auto_rollback=False):
        self.wait = wait
        self.timeout = timeout
        self.check_mode = check_mode
        self.pod = pod
        self.health = health
        self.auto_rollback = auto_rollback

    @classmethod
    def from_params(cls, params, check_mode):
        """The options of a module run, from its parameters (those of args.WAIT_ARG_SPEC and HEALTH_ARG_SPEC)."""
        return cls(
            wait=params["wait"],
            timeout=params["timeout"],
            check_mode=check_mode,
            pod=params.get("pod"),
            health=params.get("health_check"),
            auto_rollback=params.get("auto_rollback") or False,
        )

    def replace(self, **changes):
        """A copy with ``changes``; the value itself stays as the user gave it."""
        values = {name: getattr(self, name) for name in self.__slots__}
        values.update(changes)
        return RolloutOptions(**values)


class Run:
    def __init__(self, api, clock, monotonic=time.monotonic):
        self.api = api
        self.clock = clock
        self.monotonic = monotonic
        self.steps = []
        self.changed = False
        self.pod = ""

    def record(self, decision, note=""):
        message = note or decision.message
        if self.steps and (self.steps[-1]["step"], self.steps[-1]["message"]) == (decision.kind, message):
            return  # one line per change: a wait that did not change is not repeated
        # Each step names the bookie it concerns, so that one run's steps can be shown bookie by bookie: a wait
        # concerns the bookie of the step before it; the steps of the whole cluster name none.
        if decision.kind != machine.WAIT:
            self.pod = (decision.action or {}).get("pod", "")
        entry = {"time": cond.format_time(self.clock()), "step": decision.kind, "message": message, "pod": self.pod}
        if decision.action:
            entry["action"] = dict(decision.action)
        self.steps.append(entry)

    def act(self, snapshot, decision):
        """Carry out one decision; returns a reason to wait that the decision could not know, or ""."""
        cluster = snapshot["cluster"]
        action = decision.action or {}
        blocked = ""
        if action.get("type") == machine.REPLACE_POD:
            # Evict before recording: if the run stops in between, the next one sees the pod going.
            blocked = self.api.evict(action["pod"], action["uid"])
            self.changed = self.changed or not blocked
        if decision.status is not None and not blocked:
            self.api.write_status(cluster, decision.status)
            self.changed = True
        if action.get("type") == machine.UPDATE_TEMPLATE:
            self.api.set_template(action, snapshot)
            self.changed = True
        if decision.event:
            self.api.emit_event(cluster, decision.event, self.clock())
        return blocked


def wait_until(api, done, *, timeout, timed_out, monotonic=time.monotonic):
    """Look with ``done()`` until it returns a true value, and return that value.

    Between two looks, sleep on a watch of the cluster (at most MAX_SLEEP). After
    ``timeout`` seconds, raise a retryable KubeError whose text ``timed_out()`` gives
    (called then, so that it can tell what the last look saw).
    """
    started = monotonic()
    while True:
        value = done()
        if value:
            return value
        remaining = timeout - (monotonic() - started)
        if remaining <= 0:
            raise KubeError(timed_out(), retryable=True)
        api.wait_for_change(min(remaining, MAX_SLEEP))


def pod_done(pod_name):
    """A stop test: a rollout runs and the named pod is Ready on its target version.

    A finished rollout ends the run anyway, through its terminal decision.
    """

    def done(snapshot):
        target = (snapshot["cluster"].get("status") or {}).get("targetVersion")
        return bool(target) and any(
            pods.name(pod) == pod_name and pods.version(pod) == target and pods.is_ready(pod)
            for component in snapshot["components"]
            for pod in component.get("pods") or ()
        )

    return done


def drive(api, *, options, intent=None, clock=utcnow, monotonic=time.monotonic):
    """Run the state machine; returns the result dict, raises RunFailed or KubeError.

    With ``options.pod``, a waiting run ends once that pod is Ready on the target
    version. ``options.health`` is the health_check option: the check runs when
    the core asks for it. ``options.check_mode`` is the caller's to honour: this writes.
    """
    stop = pod_done(options.pod) if options.pod else None
    run = Run(api, clock, monotonic)
    started = run.monotonic()
    before = None
    conflicts = 0
    while True:
        snapshot = api.observe()
        if before is None:
            before = summary.status_of(snapshot["cluster"])
        if stop and stop(snapshot):
            return result(run, api, before)
        snapshot["health"] = health_checks.pending(options.health)
        decision = machine.decide(snapshot, clock(), intent=intent)
        if decision.kind == machine.CHECK_HEALTH:
            snapshot["health"] = health_checks.run(options.health, api, snapshot, decision.action["pod"])
            decision = machine.decide(snapshot, clock(), intent=intent)
        try:
            blocked = run.act(snapshot, decision)
        except Conflict:
            conflicts += 1
            if conflicts > MAX_CONFLICTS:
                raise KubeError("gave up after %d write conflicts on %s; retryable" % (conflicts, api.name), True)
            continue
        run.record(decision, blocked)
        if decision.kind in (machine.FAIL, machine.HOLD):
            raise RunFailed(decision.message, result(run, api, before))
        if decision.kind in machine.TERMINAL or not options.wait:
            return result(run, api, before)
        remaining = options.timeout - (run.monotonic() - started)
        if remaining <= 0:
            raise KubeError(
                "timed out after %d s while the cluster was at step '%s': %s; the run can be resumed by running "
                "it again" % (options.timeout, decision.kind, blocked or decision.message),
                retryable=True,
            )
        api.renew(clock())
        if blocked or (decision.status is None and decision.action is None):
            api.wait_for_change(min(remaining, MAX_SLEEP))


def result(run, api, before):
    snapshot = api.observe()
    return {
        "changed": run.changed,
        "steps": run.steps,
        "cluster": summary.summarize(snapshot),
        "diff": {"before": before, "after": summary.status_of(snapshot["cluster"])},
    }
