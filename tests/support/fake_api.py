"""An in-memory ClusterAdapter, for the unit tests of the drive loop and the operations."""

import copy

from ansible_collections.bookkeeper.ops.plugins.module_utils.core.errors import Conflict
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge import bookie_admin, probes
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import runner
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.adapter import ClusterAdapter
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.support.factories import (
    FakeCluster,
    at,
    cluster,
    idle_status,
    pod,
)


class FakeAPI(ClusterAdapter):
    """Pods replaced through ``evict`` come back not Ready and settle on the next wait."""

    def __init__(self, spec, behaviour=None, replicas=3, version="0.13.0", status=None):
        self.fake = FakeCluster(
            cluster(spec, status or idle_status(version), replicas=replicas), replicas, version, behaviour
        )
        self.name = "bk"
        self.writes = []
        self.conflicts = 0
        self.blocked = ""
        self.waits = 0
        self.lease = []
        self.seconds = 0
        self.bookkeeper = None  # a FakeBookKeeper answering the pod proxy, for data-plane mode
        self.graces = []  # the grace period of each eviction (None: the pod's own)

    def clock(self):
        return at(self.seconds)

    def monotonic(self):
        return float(self.seconds)

    def get_cluster(self):
        return copy.deepcopy(self.fake.cr)

    def observe(self):
        return self.fake.snapshot()

    def write_status(self, cluster, status):
        if self.conflicts:
            self.conflicts -= 1
            raise Conflict("status")
        self.writes.append(("status", copy.deepcopy(status)))
        self.fake.cr["status"] = copy.deepcopy(status)

    def set_version(self, cluster, version):
        self.writes.append(("version", version))
        self.fake.cr["spec"]["version"] = version

    def set_template(self, effect, snapshot):
        self.writes.append(("template", effect["version"]))
        self.fake.sts["spec"]["template"]["metadata"]["annotations"]["bookkeeper.version"] = effect["version"]
        self.fake.sts["spec"]["template"]["spec"]["containers"][0]["image"] = effect["image"]

    def evict(self, pod_name, pod_uid, grace_seconds=None):
        if self.blocked:
            return self.blocked
        self.writes.append(("evict", pod_name))
        self.graces.append(grace_seconds)
        self.fake.replaced.append(pod_name)
        if self.bookkeeper is not None:
            self.bookkeeper.replaced(pod_name)
        version = self.fake.sts["spec"]["template"]["metadata"]["annotations"]["bookkeeper.version"]
        uid = "%s-%d" % (pod_name, len(self.fake.replaced))
        self.fake.put(pod(pod_name, version, ready=False, waiting="ContainerCreating", created=self.clock(), uid=uid))
        return ""

    def emit_event(self, cluster, event, now):
        self.writes.append(("event", event["reason"]))

    def seconds_left(self):
        return None

    def run_health_check(self, spec, snapshot, next_pod):
        return probes.run(spec, self, snapshot, next_pod)

    def proxy_get(self, pod_name, port, path, timeout):
        return self.bookkeeper.get(pod_name, port, path, timeout)

    def proxy_put(self, pod_name, port, path, body, timeout):
        return self.bookkeeper.put(pod_name, port, path, body, timeout)

    def observe_data_plane(self, snapshot, pod_name):
        return bookie_admin.observe(self, snapshot, pod_name)

    def change_data_plane(self, snapshot, effect):
        return bookie_admin.change(self, snapshot, effect)

    def wait_for_change(self, seconds):
        self.waits += 1
        self.seconds += seconds
        # Each pod the last eviction left starting has started by now, as the fake cluster's behaviour says.
        for current in list(self.fake.pods):
            waiting = current["status"]["containerStatuses"][0]["state"].get("waiting", {})
            if waiting.get("reason") != "ContainerCreating":
                continue
            version = current["metadata"]["annotations"]["bookkeeper.version"]
            name, uid = current["metadata"]["name"], current["metadata"]["uid"]
            self.fake.put(self.fake.started(name, version, uid, at(self.seconds - seconds)))

    # In the fake, the cluster resource changes only by the run's own writes: a wait for it lets time pass likewise.
    wait_for_cluster_change = wait_for_change

    def acquire(self, now):
        self.lease.append("acquire")

    def renew(self, now):
        self.lease.append("renew")

    def release(self):
        self.lease.append("release")


def drive(api, *, intent=None, wait=True, timeout=3600):
    """runner.drive over the fake ``api``, on its clocks."""
    return runner.drive(
        api, intent=intent, options=RolloutOptions(wait=wait, timeout=timeout), clock=api.clock, monotonic=api.monotonic
    )
