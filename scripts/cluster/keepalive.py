#!/usr/bin/env python3
"""Starts the local cluster's kube-controller-manager and kube-scheduler again when they exit.

Usage: keepalive.py --cluster-dir KWOK_WORKDIR/clusters/NAME

Each of them exits by design when it cannot renew its leader-election lease in time, which is what an API server
paused (or unreachable) for longer than their renew deadline causes. On a real control plane their supervisor (the
kubelet of a static pod, or systemd) starts them again; kwokctl's binary runtime does not, and without them the
StatefulSet and disruption controllers stop, so a rollout waits on a stale PodDisruptionBudget for ever.

This process looks at their pid files (as kwokctl wrote them) every second and, when the process is gone, starts it
again exactly as kwokctl did: the binary, arguments and working directory of its entry in the cluster's kwok.yaml,
output appended to its log, its new pid written back. It stops on SIGTERM (scripts/cluster.sh down stops it before
removing the cluster) and writes each restart to its own log.
"""

import argparse
import pathlib
import signal
import subprocess
import sys
import threading
import time

import yaml

WATCHED = ("kube-controller-manager", "kube-scheduler")


def components(cluster_dir):
    """The kwok.yaml entries of the watched components, by name."""
    documents = [d for d in yaml.safe_load_all((cluster_dir / "kwok.yaml").read_text()) if d]
    config = [d for d in documents if d.get("kind") == "KwokctlConfiguration"][0]
    return {entry["name"]: entry for entry in config["components"] if entry["name"] in WATCHED}


def alive(pid_file, cluster_dir):
    """Whether the pid file names a running process of this cluster (pids are reused; zombies are gone)."""
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = pathlib.Path("/proc/%d/cmdline" % pid).read_bytes()
        state = pathlib.Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, ValueError):
        return False
    return state != "Z" and str(cluster_dir).encode() in cmdline


def start(entry, cluster_dir):
    log = (cluster_dir / "logs" / ("%s.log" % entry["name"])).open("ab")
    process = subprocess.Popen(
        [entry["binary"], *entry.get("args", [])],
        cwd=entry.get("workDir") or None,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    (cluster_dir / "pids" / ("%s.pid" % entry["name"])).write_text(str(process.pid))
    return process


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cluster-dir", required=True, type=pathlib.Path)
    cluster_dir = parser.parse_args(argv).cluster_dir.resolve()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    entries = components(cluster_dir)
    children = []  # reaped as they exit, so that a restarted one never lingers as a zombie
    while not stopping.wait(1.0):
        children = [child for child in children if child.poll() is None]
        for name, entry in entries.items():
            if not alive(cluster_dir / "pids" / ("%s.pid" % name), cluster_dir):
                children.append(start(entry, cluster_dir))
                print("%s %s had exited; started again (pid %d)" % (time.strftime("%H:%M:%S"), name, children[-1].pid))
                sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
