# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""The observe, decide, act loop that the bk_* modules share.

``drive`` takes an adapter.ClusterAdapter (so that it can be exercised with a
fake), asks the pure core for each decision and carries out its effect,
recording one step per decision in the run's ``steps``. With ``options.wait``
it looks again until a terminal decision or the timeout, waiting on a watch of
the cluster's pods between looks (waiting.wait_until); without it, it looks
once.
"""

__metaclass__ = type

import datetime
import functools
import time

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import data_plane, machine, pods, summary
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import health as health_checks
from ansible_collections.bookkeeper.ops.plugins.module_utils.core.errors import RunFailed, TimedOut
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import waiting


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class RolloutOptions:
    """How a rollout runs, as the user asked: given by keyword, so that no call reads as a row of flags.

    ``wait``: go on until the rollout ends (else one look); ``timeout``: seconds for the whole run;
    ``check_mode``: only read, and return the plan; ``pod``: stop once that bookie is Ready on the target;
    ``health``: the health_check option; ``auto_rollback``: after a failed upgrade, roll back to the last
    stable version; ``data_plane``: the data_plane option when its mode is on (core/data_plane.py), else None.
    """

    __slots__ = ("wait", "timeout", "check_mode", "pod", "health", "auto_rollback", "data_plane")

    def __init__(self, *, wait, timeout, check_mode=False, pod=None, health=None, auto_rollback=False, data_plane=None):
        self.wait = wait
        self.timeout = timeout
        self.check_mode = check_mode
        self.pod = pod
        self.health = health
        self.auto_rollback = auto_rollback
        self.data_plane = data_plane

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
            data_plane=data_plane_option(params.get("data_plane")),
        )

    def replace(self, **changes):
        """A copy with ``changes``; the value itself stays as the user gave it."""
        values = {name: getattr(self, name) for name in self.__slots__}
        values.update(changes)
        return RolloutOptions(**values)


def data_plane_option(param):
    """The data_plane option as the core reads it, or None when its mode is off."""
    if not param or not param.get("enabled"):
        return None
    return {key: value for key, value in param.items() if key != "enabled"}


class Run:
    """One run's memory between its looks: the steps it returns and what its last look decided."""

    def __init__(self, api, clock, before=None, decide=machine.decide):
        self.api = api
        self.clock = clock
        self.decide = decide
        self.steps = []
        self.changed = False
        self.pod = ""
        self.before = before  # the status as the first look saw it
        self.decision = None
        self.blocked = ""  # why the last decision could not be carried out yet, or ""
        self.snapshot = None  # what the last look observed

    def record(self, decision, note=""):
        message = note or decision.message
        if self.steps and (self.steps[-1]["step"], self.steps[-1]["message"]) == (decision.kind, message):
            return  # one line per change: a wait that did not change is not repeated
        # Each step names the bookie it concerns, so that one run's steps can be shown bookie by bookie: a wait
        # concerns the bookie of the step before it; the steps of the whole cluster name none.
        if decision.kind != machine.WAIT:
            self.pod = (decision.effect or {}).get("pod", "")
        entry = {"time": cond.format_time(self.clock()), "step": decision.kind, "message": message, "pod": self.pod}
        if decision.effect:
            entry["action"] = dict(decision.effect)
        self.steps.append(entry)

    def result(self):
        """The run's result: its steps, and the cluster as it is now."""
        return self._result(self.api.observe())

    def reached(self):
        """The run's result as its last look saw the cluster, without asking again (the API server may be
        why the run is out of time); None before a first look."""
        return None if self.snapshot is None else self._result(self.snapshot)

    def _result(self, snapshot):
        return {
            "changed": self.changed,
            "steps": self.steps,
            "cluster": summary.summarize(snapshot, self.clock()),
            "diff": {"before": self.before, "after": summary.status_of(snapshot["cluster"])},
        }

    def look(self, *, options, stop, intent):
        """One look (a write conflict observes and decides again); the run's result once it ends, else None."""
        advance = functools.partial(self.advance, stop=stop, options=options, intent=intent)
        gave_up = "gave up after %d write conflicts on %s; retryable" % (waiting.MAX_CONFLICTS + 1, self.api.name)
        if not waiting.retry_conflicts(advance, gave_up=gave_up):
            return self.result()
        self.record(self.decision, self.blocked)
        if self.decision.kind in (machine.FAIL, machine.HOLD):
            raise RunFailed(self.decision.message, self.result())
        if self.decision.kind in machine.TERMINAL or not options.wait:
            return self.result()
        return None

    def pause(self, seconds):
        """Between two looks: renew the Lease; wait for a change only when the last decision was blocked or empty.

        After a write the next look comes at once, to see its effect; a request to the bookies asked again
        without a write (they took it but do not show it yet) waits too, rather than asking in a tight loop.
        """
        self.api.renew(self.clock())
        effect = (self.decision.effect or {}).get("type")
        if self.blocked or (self.decision.status is None and (effect is None or effect in data_plane.KINDS)):
            self.api.wait_for_change(seconds)

    def advance(self, *, stop, options, intent):
        """Observe, decide and act once; False when ``stop`` ends the run before a decision.

        The health gate's check and the data plane's looks run when the core asks for them, and it decides again.
        """
        snapshot = self.api.observe()
        self.snapshot = snapshot
        if self.before is None:
            self.before = summary.status_of(snapshot["cluster"])
        if stop and stop(snapshot):
            return False
        snapshot["health"] = health_checks.pending(options.health)
        snapshot["data_plane"] = data_plane.pending(
            options.data_plane, snapshot["cluster"].get("status"), keep_paused=options.auto_rollback
        )
        decision = self.decide(snapshot, self.clock(), intent=intent)
        while decision.kind in (machine.CHECK_HEALTH, machine.OBSERVE_DATA_PLANE):
            pod = decision.effect["pod"]
            if decision.kind == machine.CHECK_HEALTH:
                snapshot["health"] = self.api.run_health_check(options.health, snapshot, pod)
            else:
                snapshot["data_plane"]["observed"][pod] = self.api.observe_data_plane(snapshot, pod)
            decision = self.decide(snapshot, self.clock(), intent=intent)
        blocked = self.act(snapshot, decision)
        self.decision, self.blocked = decision, blocked
        return True

    def act(self, snapshot, decision):
        """Carry out one decision; returns a reason to wait that the decision could not know, or ""."""
        cluster = snapshot["cluster"]
        effect = decision.effect or {}
        blocked = ""
        if effect.get("type") in data_plane.RECORDED_FIRST:
            # Recorded before it is made (unless recorded already): if the run stops in between, the next one
            # gives it back.
            if decision.status is not None:
                self.api.write_status(cluster, decision.status)
            self.changed = True
            return self.api.change_data_plane(snapshot, effect)
        if effect.get("type") == machine.REPLACE_POD:
            # Evict before recording: if the run stops in between, the next one sees the pod going.
            blocked = self.api.evict(effect["pod"], effect["uid"], grace_seconds=effect.get("grace_seconds"))
            self.changed = self.changed or not blocked
        if effect.get("type") in data_plane.KINDS:
            # Given back before the record is cleared: if the run stops in between, the next one does it again.
            blocked = self.api.change_data_plane(snapshot, effect)
            self.changed = True
        if decision.status is not None and not blocked:
            self.api.write_status(cluster, decision.status)
            self.changed = True
        if effect.get("type") == machine.UPDATE_TEMPLATE:
            self.api.set_template(effect, snapshot)
            self.changed = True
        if decision.event:
            self.api.emit_event(cluster, decision.event, self.clock())
        return blocked


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


def drive(api, *, options, intent=None, clock=utcnow, monotonic=time.monotonic, decide=machine.decide):
    """Run the state machine; returns the result dict, raises RunFailed, TimedOut (carrying what the run
    reached) or KubeError.

    With ``options.pod``, a waiting run ends once that pod is Ready on the target
    version. ``options.health`` is the health_check option: the check runs when
    the core asks for it. ``options.check_mode`` is the caller's to honour: this writes. ``decide`` is the
    core's function that decides (machine.give_back for a run that only gives back to the data plane).
    """
    stop = pod_done(options.pod) if options.pod else None
    run = Run(api, clock, decide=decide)

    def timed_out():
        raise TimedOut(
            "timed out after %d s while the cluster was at step '%s': %s; the run can be resumed by running "
            "it again" % (options.timeout, run.decision.kind, run.blocked or run.decision.message),
            run.reached(),
        )

    return waiting.wait_until(
        functools.partial(run.look, options=options, stop=stop, intent=intent),
        timeout=options.timeout,
        pause=run.pause,
        timed_out=timed_out,
        monotonic=monotonic,
    )
