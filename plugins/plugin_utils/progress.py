# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""Live progress of a bk_upgrade or bk_rollback task, printed by the controller while the module runs.

A module cannot print while it works, so the action plugins of these modules
watch the cluster from the controller meanwhile: the bookie pods and the
BookkeeperCluster's conditions. They print one line per change (a pod's state,
a condition), each with the seconds since the task started, and a reminder of
what is awaited when nothing has changed for a minute. Watches, not polling: a
handful of requests per task, sent with their own User-Agent.

The display connects in its own thread: importing the Kubernetes client takes
about half a second, which the module's start does not wait for.
"""

__metaclass__ = type

import contextlib
import os
import threading
import time

from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import args, faults, pods, redaction, resource
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond

display = Display()
# Option aliases of the modules, to read the task's connection options as the module does.
_ALIASES = {alias: name for name, option in args.argspec().items() for alias in option.get("aliases") or ()}

REMINDER_SECONDS = 60
WATCH_SECONDS = 30


def pod_line(pod):
    """How a bookie looks, in a few words: ``bk-bookie-1 0.14.0: Pending (ImagePullBackOff)``."""
    if pods.is_terminating(pod):
        state = "Terminating"
    elif pods.is_ready(pod):
        state = "Ready"
    else:
        phase = (pod.get("status") or {}).get("phase") or "Pending"
        reason = faults.waiting_reason(pod)
        state = "%s, not Ready%s" % (phase, " (%s)" % reason if reason else "")
    return "%s %s: %s" % (pods.name(pod), pods.version(pod) or "?", state)


def condition_line(condition):
    """A condition in a few words; the progress count of a rollout is spelled out."""
    condition = cond.complete(condition)
    text = "%s %s" % (condition["type"], condition["status"] or "Unknown")
    reason, message = condition["reason"], condition["message"]
    if reason == cond.UPDATING and message.isdigit():
        return "%s: %s bookie(s) updated" % (text, message)
    details = [part for part in (reason, message) if part]
    return text + (": " + ", ".join(details) if details else "")


class Progress:
    """Watches one cluster (its pods and its resource, a thread each) and prints its changes through ``say``.

    ``connect()`` gives the ClusterAPI to watch; it is called in a thread of the display's own, and if it fails,
    ``no_display`` gets the reason and nothing is shown. What changed before it connected counts as the state
    before the task: on a busy controller, the module's first change may be among it.
    """

    def __init__(self, connect, say, clock=time.monotonic, no_display=None):
        self.connect = connect
        self.say = say
        self.no_display = no_display or say
        self.clock = clock
        self.started = clock()
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.shown = {}
        self.last_line = clock()
        self.api = None

    def __enter__(self):
        threading.Thread(target=self._start, daemon=True).start()
        return self

    def __exit__(self, *exc):
        # No join: a thread may sit in a watch for seconds more. It prints nothing once
        # stopping is set, and dies with the worker process that ran the task.
        with self.lock:
            self.stopping.set()

    def _start(self):
        try:
            self.api = self.connect()
        except Exception as error:  # no display is better than a failed task
            self.no_display("bookkeeper.ops: no progress display: %s" % error)
            return
        if self.stopping.is_set():
            return  # the task ended while the display connected
        for follow in (self._pods, self._cluster):
            threading.Thread(target=self._guard, args=(follow,), daemon=True).start()

    def show(self, key, line, quiet=False):
        """Print ``line`` if it differs from what ``key`` showed last; ``quiet`` only remembers it."""
        with self.lock:
            if self.shown.get(key) == line or self.stopping.is_set():
                return
            self.shown[key] = line
            if not quiet:
                self.last_line = self.clock()
                self.say("[%4ds] %s" % (self.clock() - self.started, line))

    def remind(self):
        """After a minute without change, say again which bookies are not Ready."""
        with self.lock:
            if self.clock() - self.last_line < REMINDER_SECONDS or self.stopping.is_set():
                return
            down = [
                line
                for key, line in sorted(self.shown.items())
                if key.startswith("pod/") and not line.endswith(": Ready")
            ]
            self.last_line = self.clock()
            self.say(
                "[%4ds] still waiting: %s" % (self.clock() - self.started, "; ".join(down) or "every bookie is Ready")
            )

    def _guard(self, watch):
        try:
            watch()
        except Exception as error:  # the display must never fail the task it accompanies
            if not self.stopping.is_set():
                self.say("progress display stopped: %s" % error)

    def _follow(self, events, handle):
        """Show what ``events`` (watch.follow's) bring, until stopped.

        What the first list shows is the state before the task: remembered, not printed.
        """
        from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import watch  # loaded by connect()

        quiet = True
        for event in events:
            if self.stopping.is_set():
                return
            if event["type"] != watch.LISTED:
                quiet = False
            if event["type"] == watch.QUIET:
                self.remind()
            elif event["type"] == "DELETED":
                self.show("pod/" + pods.name(event["object"]), "%s: deleted" % pods.name(event["object"]))
            else:
                handle(event["object"], quiet)
                self.remind()

    def _pods(self):
        self._follow(
            self.api.follow_pods(WATCH_SECONDS),
            lambda pod, quiet: self.show("pod/" + pods.name(pod), pod_line(pod), quiet),
        )

    def _cluster(self):
        def handle(cluster, quiet):
            for condition in (cluster.get("status") or {}).get("conditions") or ():
                condition = cond.complete(condition)
                if condition["type"] != cond.PODS_READY:
                    line = condition_line(condition)
                    self.show("condition/" + condition["type"], line, quiet and condition["status"] != cond.TRUE)

        self._follow(self.api.follow_cluster(WATCH_SECONDS), handle)


class ProgressAction(ActionBase):
    """Runs the module as it is, with the Progress display beside it when it waits."""

    _requires_connection = True
    _supports_check_mode = True
    # Under async the task returns at once and Ansible polls the job: nothing waits here, so no display.
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super(ProgressAction, self).run(tmp, task_vars)
        wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
        with contextlib.nullcontext() if wrap_async else self._progress():
            result.update(
                self._execute_module(
                    module_name=self._task.resolved_action or self._task.action,
                    module_args=self._task.args,
                    task_vars=task_vars,
                    wrap_async=wrap_async,
                )
            )
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _progress(self):
        args = self._task.args
        wanted = boolean(args.get("progress", True), strict=False) and boolean(args.get("wait", True), strict=False)
        if self._play_context.check_mode or not wanted:
            return contextlib.nullcontext()
        hidden = redaction.connection_secrets(args)  # as the module hides them from its result
        params = {_ALIASES.get(key, key): value for key, value in args.items()}

        def connect():
            # Imported here, in the display's thread, for the reason the module docstring gives.
            from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection
            from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI

            client = connection.api_client(params, os.environ)
            client.user_agent = resource.PROGRESS_USER_AGENT
            return ClusterAPI(client, params["name"], params.get("namespace") or "default")

        label = args.get("pod") or params.get("name")
        return Progress(
            connect,
            lambda line: display.display(remove_values("  %s %s" % (label, line), hidden)),
            no_display=lambda line: display.vv(remove_values(line, hidden)),
        )
