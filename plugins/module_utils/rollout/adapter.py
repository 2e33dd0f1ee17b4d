# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""What the rollout shell (runner, operations) asks of a cluster: the interface its adapters implement.

k8s/cluster.py implements it over the API server; the unit tests implement it
in memory. Errors are those of errors.py: Conflict when an object changed
since it was read, KubeError for the rest.
"""

__metaclass__ = type


class ClusterAdapter:
    """One BookkeeperCluster, ``name`` in ``namespace``."""

    name = ""
    namespace = ""

    # Reading
    def observe(self):
        """One snapshot (see machine.py): the cluster, then each component's StatefulSet and pods."""
        raise NotImplementedError

    def get_cluster(self):
        """The cluster resource; KubeError when it does not exist."""
        raise NotImplementedError

    def find_cluster(self):
        """The cluster resource, or None when it does not exist yet."""
        raise NotImplementedError

    def helm_release_records(self, release):
        """The ``data.release`` of each Secret in which Helm stores a revision of ``release``."""
        raise NotImplementedError

    def proxy_get(self, pod_name, port, path, timeout):
        """GET ``path`` on a pod's port through the API server; returns (HTTP status, body), 0 when unanswered."""
        raise NotImplementedError

    def observe_data_plane(self, snapshot, pod_name):
        """What the bookies' admin API says of the data plane around ``pod_name`` (core/data_plane.py)."""
        raise NotImplementedError

    # Writing
    def write_status(self, cluster, status):
        """Replace the status of ``cluster`` as read; Conflict when it changed since."""
        raise NotImplementedError

    def set_version(self, cluster, version):
        """Set spec.version of ``cluster`` as read; Conflict when it changed since."""
        raise NotImplementedError

    def set_template(self, effect, snapshot):
        """Point a component's pod template at the image and version of ``effect`` (an UPDATE_TEMPLATE effect)."""
        raise NotImplementedError

    def evict(self, pod_name, pod_uid, grace_seconds=None):
        """Evict a pod (within ``grace_seconds``, else its own grace period); returns why it was refused or failed
        for now, or "" when it goes."""
        raise NotImplementedError

    def change_data_plane(self, snapshot, effect):
        """Make a data-plane ``effect`` (core/data_plane.py) through the bookies' admin API; returns why it was
        not made, or "" when it was."""
        raise NotImplementedError

    def emit_event(self, cluster, event, now):
        raise NotImplementedError

    def annotate(self, key, value):
        """Set (or with None remove) one annotation of the cluster resource."""
        raise NotImplementedError

    def apply(self, obj, dry_run=False):
        """Server-side apply ``obj``; returns (changed, applied object)."""
        raise NotImplementedError

    # What a rollout runs besides requests
    def run_health_check(self, spec, snapshot, next_pod):
        """The health gate's check ``spec`` before ``next_pod`` goes down: its verdict (core/health.py)."""
        raise NotImplementedError

    def helm_rollback(self, *, binary, release, revision, settings):
        """``helm rollback`` of ``release`` to ``revision``; returns helm's output, raises HelmError."""
        raise NotImplementedError

    # Waiting
    def seconds_left(self):
        """The run's seconds left, which bound whatever it waits on (probes, helm); None when nothing bounds it."""
        raise NotImplementedError

    def wait_for_change(self, seconds):
        """Block until a pod of the cluster changes, or ``seconds`` pass."""
        raise NotImplementedError

    def wait_for_cluster_change(self, seconds):
        """Block until the cluster resource changes (its spec, annotations or status), or ``seconds`` pass."""
        raise NotImplementedError

    def wait_for_type(self, seconds=30):
        """Wait until the BookkeeperCluster resource type is served, after its CRD was applied."""
        raise NotImplementedError

    # The Lease that keeps two runs apart
    def acquire(self, now):
        """Take the cluster's Lease; LeaseHeld when another run holds it."""
        raise NotImplementedError

    def renew(self, now):
        raise NotImplementedError

    def release(self):
        raise NotImplementedError
