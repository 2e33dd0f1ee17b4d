"""Follows a BookkeeperCluster during the demo and prints one line per change.

Each change of a condition (status, reason or message) and each bookie that is
replaced or becomes Ready is printed once, with the time since the watch began.
On SIGTERM or SIGINT it prints the timeline and each pod's replacement time.
"""

import datetime
import signal
import sys
import threading
import time

from kubernetes import client, config, watch

GROUP, VERSION, PLURAL = "bookkeeper.pravega.io", "v1alpha1", "bookkeeperclusters"


class Timeline:
    def __init__(self):
        self.started = time.monotonic()
        self.lines = []
        self.replaced = {}
        self.lock = threading.Lock()

    def note(self, text):
        with self.lock:
            stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%H:%M:%S")
            line = "%s  +%5.1fs  %s" % (stamp, time.monotonic() - self.started, text)
            self.lines.append(line)
            print("  [watch] " + line, flush=True)


def condition_note(condition):
    """(type, line) of a condition; the fields a writer leaves out when empty (omitempty) read as empty."""
    kind = condition.get("type") or "?"
    state = condition.get("status") or "Unknown"
    detail = ", ".join(part for part in (condition.get("reason"), condition.get("message")) if part)
    return kind, "%-18s %-5s %s" % (kind, state, detail)


def follow_cluster(custom, namespace, name, timeline):
    seen = {}
    for event in watch.Watch().stream(
        custom.list_namespaced_custom_object, GROUP, VERSION, namespace, PLURAL, field_selector="metadata.name=" + name
    ):
        status = event["object"].get("status") or {}
        for condition in status.get("conditions") or ():
            kind, line = condition_note(condition)
            if seen.get(kind) != line:
                seen[kind] = line
                timeline.note(line)


def follow_pods(core, namespace, name, timeline):
    ready, versions = {}, {}
    for event in watch.Watch().stream(core.list_namespaced_pod, namespace, label_selector="bookkeeper_cluster=" + name):
        pod = event["object"]
        pod_name = pod.metadata.name
        version = (pod.metadata.annotations or {}).get("bookkeeper.version", "")
        is_ready = any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or ())
        waiting = ""
        for status in pod.status.container_statuses or ():
            if status.state and status.state.waiting:
                waiting = status.state.waiting.reason or ""
        if event["type"] == "DELETED":
            timeline.note("pod %s (%s) deleted" % (pod_name, version))
            timeline.replaced[pod_name] = time.monotonic()
            ready.pop(pod_name, None)
            continue
        if versions.get(pod_name) not in (None, version):
            timeline.note("pod %s recreated at version %s" % (pod_name, version))
        versions[pod_name] = version
        state = "Ready" if is_ready else (waiting or "not Ready")
        if ready.get(pod_name) != state:
            extra = ""
            if is_ready and pod_name in timeline.replaced:
                extra = " (replaced in %.1f s)" % (time.monotonic() - timeline.replaced.pop(pod_name))
            timeline.note("pod %s %s on %s%s" % (pod_name, state, version, extra))
            ready[pod_name] = state


def main():
    namespace, name = sys.argv[1], sys.argv[2]
    config.load_kube_config()
    timeline = Timeline()
    for target, api in ((follow_cluster, client.CustomObjectsApi()), (follow_pods, client.CoreV1Api())):
        threading.Thread(target=target, args=(api, namespace, name, timeline), daemon=True).start()

    def finish(*_args):
        print("\nTimeline (UTC, seconds since the demo began)")
        for line in timeline.lines:
            print("  " + line)
        sys.stdout.flush()
        sys.exit(0)

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
