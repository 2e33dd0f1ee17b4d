"""A fake of the watch API the progress display follows: its unit tests and the operator-status ones share it."""

import threading

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import watch


class FakeWatchAPI:
    """Lists once, then hands out the queued watch events; the cluster list has one cluster.

    ``shown()`` waits until the display has handled every queued event: a generator resumes past its last event
    only when the next one is asked for.
    """

    namespace, name = "default", "bk"

    def __init__(self, pods, events, cluster_events=()):
        self.pods, self.events, self.cluster_events = pods, list(events), list(cluster_events)
        self.done = threading.Event()
        self.cluster_done = threading.Event()

    def shown(self, timeout=5):
        return self.done.wait(timeout) and self.cluster_done.wait(timeout)

    def follow_pods(self, seconds):
        for item in self.pods:
            yield {"type": watch.LISTED, "object": item}
        yield from self.events
        self.done.set()
        while True:
            threading.Event().wait(0.01)
            yield {"type": watch.QUIET, "object": None}

    def follow_cluster(self, seconds):
        status = {"conditions": [cond.new_condition(cond.UPGRADING), cond.new_condition(cond.ERROR)]}
        yield {"type": watch.LISTED, "object": {"metadata": {"name": "bk"}, "status": status}}
        yield from self.cluster_events
        self.cluster_done.set()
        while True:
            threading.Event().wait(0.01)
            yield {"type": watch.QUIET, "object": None}
