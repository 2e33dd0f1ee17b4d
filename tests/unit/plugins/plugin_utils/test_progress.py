from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.plugin_utils import progress
from ansible_collections.bookkeeper.ops.tests.support.factories import pod
from ansible_collections.bookkeeper.ops.tests.support.fake_watch import FakeWatchAPI


def test_pod_lines_say_state_and_reason():
    assert progress.pod_line(pod("bk-bookie-1", "0.14.0")) == "bk-bookie-1 0.14.0: Ready"
    pulling = pod("bk-bookie-1", "0.14.0", ready=False, waiting="ImagePullBackOff")
    pulling["status"]["phase"] = "Pending"
    assert progress.pod_line(pulling) == "bk-bookie-1 0.14.0: Pending, not Ready (ImagePullBackOff)"
    assert progress.pod_line(pod("bk-bookie-2", "0.13.0", terminating=True)) == "bk-bookie-2 0.13.0: Terminating"


def test_condition_lines_spell_out_the_progress_count():
    updating = cond.new_condition(cond.UPGRADING, cond.TRUE, cond.UPDATING, "2")
    assert progress.condition_line(updating) == "Upgrading True: 2 bookie(s) updated"
    failed = cond.new_condition(cond.ERROR, cond.TRUE, cond.UPGRADE_FAILED, "pod x update failed because of Y")
    assert progress.condition_line(failed) == "Error True: UpgradeFailed, pod x update failed because of Y"
    assert progress.condition_line(cond.new_condition(cond.UPGRADING)) == "Upgrading False"


def test_only_changes_are_printed_with_the_time_since_the_start():
    replaced = pod("bk-bookie-0", "0.14.0", ready=False, waiting="ContainerCreating")
    events = [
        {"type": "MODIFIED", "object": pod("bk-bookie-0", "0.13.0", terminating=True)},
        {"type": "DELETED", "object": pod("bk-bookie-0", "0.13.0", terminating=True)},
        {"type": "ADDED", "object": replaced},
        {"type": "MODIFIED", "object": replaced},  # no change: no line
        {"type": "MODIFIED", "object": pod("bk-bookie-0", "0.14.0")},
    ]
    failed = cond.new_condition(cond.ERROR, cond.TRUE, cond.UPGRADE_FAILED, "boom")
    cluster_events = [{"type": "MODIFIED", "object": {"metadata": {"name": "bk"}, "status": {"conditions": [failed]}}}]
    api = FakeWatchAPI([pod("bk-bookie-%d" % i, "0.13.0") for i in range(3)], events, cluster_events)
    lines = []
    watcher = progress.Progress(lambda: api, lines.append, clock=lambda: 7.0)
    with watcher:
        assert api.shown()
    assert sorted(lines) == sorted(
        [
            "[   0s] bk-bookie-0 0.13.0: Terminating",
            "[   0s] bk-bookie-0: deleted",
            "[   0s] bk-bookie-0 0.14.0: Running, not Ready (ContainerCreating)",
            "[   0s] bk-bookie-0 0.14.0: Ready",
            "[   0s] Error True: UpgradeFailed, boom",
        ]
    )


def test_a_minute_without_change_brings_a_reminder_of_the_bookies_not_ready():
    now = [0.0]
    lines = []
    watcher = progress.Progress(lambda: FakeWatchAPI([], []), lines.append, clock=lambda: now[0])
    watcher.show("pod/bk-bookie-1", progress.pod_line(pod("bk-bookie-1", "0.14.0", ready=False)), quiet=True)
    watcher.show("pod/bk-bookie-2", progress.pod_line(pod("bk-bookie-2", "0.13.0")), quiet=True)
    now[0] = 30.0
    watcher.remind()
    assert lines == []
    now[0] = 61.0
    watcher.remind()
    assert lines == ["[  61s] still waiting: bk-bookie-1 0.14.0: Running, not Ready"]
