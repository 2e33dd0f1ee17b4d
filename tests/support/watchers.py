"""One watcher of a cluster's bookies, for the assertion that matters most: never more than one bookie down.

It lists the bookies once and then follows every change as a watch event, resuming each watch where the last
one ended: a bookie that is unavailable for a few milliseconds is seen, where sampling could miss it.
"""

import collections
import threading
import time

from kubernetes import watch as kubernetes_watch

from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection

# Each watch ends after this long and the next resumes from the last resourceVersion seen; leaving the block waits
# for the current one to end.
WATCH_SECONDS = 2


class BookieWatch:
    """``with BookieWatch(client, namespace, cluster, replicas) as watch:`` follows the bookies from a thread.

    After the block:

    * ``most_down``: the most bookies unavailable at once: not Ready, terminating or missing, out of ``replicas``;
    * ``worst``: when that was first seen (seconds since the watch began) and which bookies it was;
    * ``uids``: the pod UIDs seen for each pod name (a replaced pod comes back under its name with a new UID);
    * ``events``: how many watch events it followed;
    * ``blind``: the seconds it could not follow (the API server away, or a watch too old to resume): every
      change goes through the API server, so nothing changes while it is away, but a change in the rest of that
      time shows only in the next list.
    """

    def __init__(self, client, namespace, cluster, replicas):
        self.core = connection.k8s.CoreV1Api(client)
        self.namespace, self.replicas = namespace, replicas
        self.selector = "bookkeeper_cluster=%s" % cluster
        self.available = {}  # pod name -> Ready and not terminating
        self.uids = collections.defaultdict(set)
        self.most_down = 0
        self.worst = None
        self.events = 0
        self.blind = 0.0
        self._began = time.monotonic()
        self._listed = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _see(self, pod, deleted=False):
        name = pod.metadata.name
        self.uids[name].add(pod.metadata.uid)
        if deleted:
            self.available.pop(name, None)
        else:
            ready = any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or ())
            self.available[name] = ready and not pod.metadata.deletion_timestamp

    def _count(self):
        down = self.replicas - sum(self.available.values())
        if down > self.most_down:
            self.most_down = down
            unavailable = sorted(name for name, available in self.available.items() if not available)
            self.worst = (round(time.monotonic() - self._began, 1), unavailable)

    def _list(self):
        """The bookies as they are now; returns the resourceVersion to watch from."""
        listed = self.core.list_namespaced_pod(self.namespace, label_selector=self.selector, _request_timeout=5)
        self.available = {}
        for pod in listed.items:
            self._see(pod)
        self._count()  # once all are seen: a half-read list is no moment of the cluster
        return listed.metadata.resource_version

    def _run(self):
        version, lost = None, None
        while not self._stop.is_set():
            if version is None:
                try:
                    version = self._list()
                except Exception:  # the API server is away: ask again
                    time.sleep(0.2)
                    continue
                if lost is not None:
                    self.blind += time.monotonic() - lost
                self._listed.set()
            try:
                for event in kubernetes_watch.Watch().stream(
                    self.core.list_namespaced_pod,
                    self.namespace,
                    label_selector=self.selector,
                    resource_version=version,
                    timeout_seconds=WATCH_SECONDS,
                    _request_timeout=(5, WATCH_SECONDS + 5),  # a paused API server ends the watch too
                ):
                    self.events += 1
                    version = event["object"].metadata.resource_version
                    self._see(event["object"], event["type"] == "DELETED")
                    self._count()
                    if self._stop.is_set():
                        return
            except Exception:  # the connection broke, or the version is too old to resume (410): list again
                version, lost = None, time.monotonic()

    def __enter__(self):
        self._thread.start()
        if not self._listed.wait(30):
            self._stop.set()
            raise AssertionError("could not list the bookies of %s in 30 s" % self.namespace)
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=WATCH_SECONDS + 10)
