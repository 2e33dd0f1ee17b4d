"""The JVMs that a real node's pods run, found from the host: each in its pod's cgroup, each from its image.

The kubelet puts every container in a cgroup named after its pod's uid (``.../pod<uid>/<container>``); the
container's root filesystem is visible from the host under ``/proc/<pid>/root``. So the host can tell which pod
a process belongs to and which BookKeeper release its image carries, without asking the pod anything.
"""

import pathlib
import re

from ansible_collections.bookkeeper.ops.tests.support.kubectl import get_json

BOOKIE_MAIN = "org.apache.bookkeeper.server.Main"
ZOOKEEPER_MAIN = "org.apache.zookeeper.server.ZooKeeperServerMain"
_POD_CGROUP = re.compile(r"/pod([0-9a-f-]{36})(/|$)")
_SERVER_JAR = re.compile(r"^bookkeeper-server-(.+)\.jar$")


def _pod_uid(pid):
    """The uid of the pod whose cgroup holds ``pid``, in every hierarchy the same; None outside pods."""
    uids = set()
    for line in (pathlib.Path("/proc") / pid / "cgroup").read_text().splitlines():
        found = _POD_CGROUP.search(line.split(":", 2)[2])
        uids.add(found.group(1).replace("_", "-") if found else None)
    return uids.pop() if len(uids) == 1 else None


def _release(pid):
    jars = (pathlib.Path("/proc") / pid / "root" / "opt" / "bookkeeper" / "lib").iterdir()
    return next((m.group(1) for m in map(_SERVER_JAR.match, (j.name for j in jars)) if m), None)


def _rss_mb(pid):
    for line in (pathlib.Path("/proc") / pid / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


def jvms(kubectl, namespace, main_class=BOOKIE_MAIN):
    """Pod name -> {"pid", "rss_mb", "release"} of each JVM running ``main_class`` in a pod of ``namespace``.

    A JVM counts only when it sits in the cgroup of one of the namespace's pods, where a real kubelet puts it.
    """
    pods = {p["metadata"]["uid"]: p["metadata"]["name"] for p in get_json(kubectl, "pods", "-n", namespace)["items"]}
    found = {}
    for cmdline in pathlib.Path("/proc").glob("[0-9]*/cmdline"):
        pid = cmdline.parent.name
        try:
            if main_class.encode() not in cmdline.read_bytes().split(b"\0"):
                continue
            uid = _pod_uid(pid)
            if uid in pods:
                release = _release(pid) if main_class == BOOKIE_MAIN else None
                found[pods[uid]] = {"pid": int(pid), "rss_mb": _rss_mb(pid), "release": release}
        except OSError:
            continue  # the process ended while we looked
    return found
