"""Data-plane mode on real bookies on the real node: read-only before each eviction, autorecovery paused for the
rollout and given back (after success, after a failed upgrade rolled back, after a run killed mid-rollout), the
capacity hold, and bookies without the admin endpoints falling back to the plain rollout.

Every test with a writer fails if an acknowledged entry is lost; every test fails if two bookies are down at once.
"""

import json
import signal
import subprocess
import sys
import threading
import time

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import data_plane, health
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations, runner
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.support import clusters
from ansible_collections.bookkeeper.ops.tests.support.paths import REPO
from ansible_collections.bookkeeper.ops.tests.support.real_bookies import (
    NAME,
    NEW,
    OLD,
    Writer,
    assert_nothing_lost,
    deploy,
    extra_bookie,
)
from ansible_collections.bookkeeper.ops.tests.support.wait import wait_for
from ansible_collections.bookkeeper.ops.tests.support.watchers import BookieWatch

MODE = {"ensemble_size": 3, "accept_write_stall": False, "read_only_seconds": 30, "port": 8000, "timeout": 10}
MISSING = "0.17.0-real-missing"  # no such image


def admin(api, path, bookie="bk-bookie-1"):
    status, body = api.proxy_get(bookie, 8000, path, 10)
    assert status == 200, (path, status, body)
    return json.loads(body)


def autorecovery_enabled(api, bookie="bk-bookie-1"):
    return admin(api, data_plane.AUTORECOVERY_PATH, bookie)["enabled"]


def upgrade(api, version=NEW, mode=None, timeout=300, **options):
    """The upgrade in data-plane mode, with MODE unless ``mode`` says otherwise."""
    return operations.upgrade(
        api, version=version, options=RolloutOptions(wait=True, timeout=timeout, data_plane=mode or MODE, **options)
    )


class UnderReplicationWatch:
    """Asks a bookie every second for the ledgers marked under-replicated, from a thread; ``marked`` lists what it
    saw (time, ledgers), empty when none was ever marked."""

    def __init__(self, api, bookie="bk-bookie-3"):
        self.api, self.bookie = api, bookie
        self.marked, self.answers = [], 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(1):
            status, body = self.api.proxy_get(self.bookie, 8000, health.UNDER_REPLICATED_PATH, 5)
            self.answers += status in (200, 404)
            if status == 200 and json.loads(body):
                self.marked.append((time.monotonic(), body))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *failure):
        self._stop.set()
        self._thread.join(timeout=10)


def test_each_bookie_is_read_only_before_it_goes_and_autorecovery_comes_back(client, namespace, writer_classes):
    api = deploy(client, namespace)
    assert autorecovery_enabled(api)
    writer = Writer(writer_classes, namespace)
    with BookieWatch(client, namespace, NAME, 4) as watch:
        result = upgrade(api)
    report = writer.stop()
    assert_nothing_lost(report)
    assert watch.most_down <= 1, "bookies down at once (seconds in, which): %s" % (watch.worst,)
    steps = [(step["step"], step["pod"], step["message"]) for step in result["steps"]]
    for ordinal in range(4):
        pod = "%s-bookie-%d" % (NAME, ordinal)
        asked = [i for i, step in enumerate(steps) if step[:2] == (data_plane.SET_READ_ONLY, pod)]
        [replaced] = [i for i, step in enumerate(steps) if step[:2] == ("replace_pod", pod)]
        assert asked and asked[-1] < replaced, steps
        # The eviction came once the bookie said it was read-only and had left BookKeeper's writable bookies.
        assert steps[replaced][2].endswith(", read-only"), steps[replaced]
    kinds = [step[0] for step in steps]
    assert kinds.index(data_plane.PAUSE_AUTORECOVERY) < kinds.index("replace_pod")
    assert kinds.index(data_plane.RESUME_AUTORECOVERY) > max(i for i, kind in enumerate(kinds) if kind == "replace_pod")
    assert autorecovery_enabled(api) and "dataPlane" not in api.get_cluster()["status"]
    # Write errors are the writer's to retry (a new ledger) and are measured by bench/data_plane.py, not asserted:
    # on a freshly started, loaded node the client has seen failed adds for seconds while bookies start.
    print(
        "data-plane rollout: %d write errors, longest stall %d ms"
        % (report["write_errors"], report["longest_stall_ms"])
    )
    writable = admin(api, data_plane.WRITABLE_PATH)
    assert sorted(writable) == ["%s-bookie-%d" % (NAME, i) for i in range(4)]


def test_no_ledger_is_marked_under_replicated_while_a_failed_upgrade_is_rolled_back(client, namespace, writer_classes):
    # The auditor marks the ledgers of a bookie that is gone for 5 s: bookie 0 is gone far longer than that.
    api = deploy(client, namespace, options={"lostBookieRecoveryDelay": "5"})
    writer = Writer(writer_classes, namespace)
    with (
        BookieWatch(client, namespace, NAME, 4) as watch,
        UnderReplicationWatch(api) as marks,
        pytest.raises(runner.RunFailed) as failed,
    ):
        upgrade(api, version=MISSING, auto_rollback=True)
    report = writer.stop()
    assert_nothing_lost(report)
    assert watch.most_down <= 1, "bookies down at once (seconds in, which): %s" % (watch.worst,)
    assert failed.value.result["rolled_back"] is True, str(failed.value)
    assert marks.answers > 10 and marks.marked == [], marks.marked
    kinds = [step["step"] for step in failed.value.result["steps"]]
    assert kinds.count(data_plane.PAUSE_AUTORECOVERY) == 1 and kinds.count(data_plane.RESUME_AUTORECOVERY) == 1
    assert kinds.index(data_plane.RESUME_AUTORECOVERY) > kinds.index("start_rollback")
    assert autorecovery_enabled(api) and "dataPlane" not in api.get_cluster()["status"]


KILLED_RUN = """
import json, sys
sys.path.insert(0, %(links)r)
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
api = ClusterAPI(connection.api_client({"kubeconfig": %(kubeconfig)r}, environ={}), %(name)r, %(namespace)r)
operations.upgrade(api, version=%(version)r, options=RolloutOptions(wait=True, timeout=300, data_plane=%(mode)r))
"""


def test_a_run_killed_mid_rollout_is_put_right_by_the_next_one(client, kubeconfig, namespace, writer_classes):
    api = deploy(client, namespace)
    writer = Writer(writer_classes, namespace)
    script = KILLED_RUN % {
        "links": str(REPO / "build" / "links"),
        "kubeconfig": kubeconfig,
        "name": NAME,
        "namespace": namespace,
        "version": NEW,
        "mode": MODE,
    }
    with BookieWatch(client, namespace, NAME, 4) as watch:
        run = subprocess.Popen([sys.executable, "-c", script])
        try:
            wait_for(
                "the run to set bookie 1 read-only",
                lambda: (api.get_cluster()["status"].get("dataPlane") or {}).get("readOnly") == "bk-bookie-1",
                timeout=240,
                interval=0.2,
            )
        finally:
            run.send_signal(signal.SIGKILL)
            run.wait()
        left = api.get_cluster()["status"]["dataPlane"]
        assert left["autorecoveryPausedAt"] and not autorecovery_enabled(api, "bk-bookie-2")
        # bk_status says what is taken; the rollout is in progress, so the run that resumes it gives it back.
        shown = operations.status(api)["cluster"]["data_plane"]
        assert shown["readOnly"] == "bk-bookie-1" and shown["autorecoveryPausedAt"]
        result = upgrade(api)
    report = writer.stop()
    assert_nothing_lost(report)
    assert watch.most_down <= 1, "bookies down at once (seconds in, which): %s" % (watch.worst,)
    kinds = [step["step"] for step in result["steps"]]
    assert kinds.count(data_plane.PAUSE_AUTORECOVERY) == 0 and kinds.count(data_plane.RESUME_AUTORECOVERY) == 1, kinds
    assert autorecovery_enabled(api), result["steps"]
    assert "dataPlane" not in api.get_cluster()["status"]
    assert clusters.versions_of(api)[0] == NEW


def test_the_rollout_holds_while_writers_would_stall_and_goes_on_once_a_bookie_returns(
    client, kubectl, namespace, writer_classes
):
    api = deploy(client, namespace, replicas=3)
    writer = Writer(writer_classes, namespace)  # ensemble 3: every bookie of the cluster
    with BookieWatch(client, namespace, NAME, 3) as watch:
        for _look in range(6):
            operations.upgrade(api, version=NEW, options=RolloutOptions(wait=False, timeout=60, data_plane=MODE))
        assert clusters.pod_versions(kubectl, namespace) == [OLD] * 3, "a bookie went while writers would stall"
        held = clusters.shown(api)["HealthCheckFailing"]
        assert held[:2] == ("True", data_plane.WRITERS_WOULD_STALL), held
        assert "2 writable bookies are left (bk-bookie-1, bk-bookie-2)" in held[2], held
        kubectl("apply", "-n", namespace, "-f", "-", stdin=extra_bookie())  # a fourth bookie joins
        result = upgrade(api)
    report = writer.stop()
    assert_nothing_lost(report)
    assert watch.most_down <= 1, "bookies down at once (seconds in, which): %s" % (watch.worst,)
    assert clusters.pod_versions(kubectl, namespace) == [NEW] * 3
    assert clusters.shown(api)["HealthCheckFailing"][0] == "False"
    assert autorecovery_enabled(api) and result["cluster"]["data_plane"] == {}
    kubectl("delete", "pod", "outside", "-n", namespace, "--wait=false")


def test_bookies_without_the_admin_endpoints_are_replaced_as_the_plain_rollout_replaces_them(client, namespace):
    # The stand-in release's admin server answers only /api/v1/bookie/is_ready (404 for the rest), as a
    # BookKeeper release before the read-only endpoint (4.14.5 and 4.15.0) does for it.
    api = clusters.deploy(client, namespace, replicas=3, version="0.14.0", timeout=180)
    with BookieWatch(client, namespace, NAME, 3) as watch:
        result = upgrade(api, version="0.15.0", mode=dict(MODE, ensemble_size=2))
    assert watch.most_down <= 1, "bookies down at once (seconds in, which): %s" % (watch.worst,)
    kinds = [step["step"] for step in result["steps"]]
    assert not set(kinds) & set(data_plane.KINDS), kinds
    replaced = [step["message"] for step in result["steps"] if step["step"] == "replace_pod"]
    assert len(replaced) == 3 and all("without read-only first" in message for message in replaced), replaced
    assert "HTTP 404" in replaced[0]
    assert "dataPlane" not in api.get_cluster()["status"]
